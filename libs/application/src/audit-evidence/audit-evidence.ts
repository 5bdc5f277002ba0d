import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { EventStore } from '@ledger/event-store';
import { keyIdOf } from '@ledger/integrity';
import { AuditService } from '../audit.service';
import { EVENT_STORE } from '../tokens';
import { exportLogLines } from '../audit-reports';
import { ParametersInvalid, wholeNumberParameter } from '../query-parameters';

/**
 * The auditor's evidence (AuditService): the public key, the signed digests, inclusion and
 * consistency proofs (RFC 6962), verification of the whole log, and the log itself with its hashes.
 */

export class PublicKeyQuery extends Query<{ algorithm: 'Ed25519'; format: 'spki-der-base64'; publicKey: string; keyId: string }> {}

export class DigestsQuery extends Query<{ digests: Awaited<ReturnType<AuditService['digests']>> }> {}

/** Proof that an event is leaf i of the tree of size `treeSize` (default: the latest digest's); the parameters as the query string gives them. */
export class InclusionProofQuery extends Query<Awaited<ReturnType<AuditService['inclusionProof']>>> {
  constructor(
    readonly eventId: string | undefined,
    readonly treeSize: string | undefined,
  ) {
    super();
  }
}

/** Proof that the tree of size `firstSize` is a prefix of the tree of size `secondSize` (default: the log as witnessed now). */
export class ConsistencyProofQuery extends Query<Awaited<ReturnType<AuditService['consistencyProof']>>> {
  constructor(
    readonly firstSize: string | undefined,
    readonly secondSize: string | undefined,
  ) {
    super();
  }
}

/**
 * Recompute the hash chains, the Merkle roots and the digest signatures, against `trusted` (default:
 * the service's own key, when it has one). `onProgress` is told the events checked so far.
 */
export class VerifyLogQuery extends Query<Awaited<ReturnType<AuditService['verify']>>> {
  constructor(readonly options: { trusted?: { publicKey: string; source: string }; onProgress?: (events: number) => void } = {}) {
    super();
  }
}

/** The whole log, one JSON object a line (NDJSON), each event with its recomputed hash and leaf index. */
export class LogExportQuery extends Query<AsyncIterable<string>> {}

@QueryHandler(PublicKeyQuery)
export class PublicKeyHandler implements IQueryHandler<PublicKeyQuery> {
  constructor(private readonly audit: AuditService) {}
  async execute() {
    const publicKey = this.audit.publicKey();
    return { algorithm: 'Ed25519' as const, format: 'spki-der-base64' as const, publicKey, keyId: keyIdOf(publicKey) };
  }
}

@QueryHandler(DigestsQuery)
export class DigestsHandler implements IQueryHandler<DigestsQuery> {
  constructor(private readonly audit: AuditService) {}
  async execute() {
    return { digests: await this.audit.digests() };
  }
}

@QueryHandler(InclusionProofQuery)
export class InclusionProofHandler implements IQueryHandler<InclusionProofQuery> {
  constructor(private readonly audit: AuditService) {}
  async execute({ eventId, treeSize }: InclusionProofQuery) {
    if (!eventId) throw new ParametersInvalid([{ field: 'eventId', message: 'eventId is required' }]);
    return this.audit.inclusionProof(eventId, wholeNumberParameter(treeSize, 'treeSize'));
  }
}

@QueryHandler(ConsistencyProofQuery)
export class ConsistencyProofHandler implements IQueryHandler<ConsistencyProofQuery> {
  constructor(private readonly audit: AuditService) {}
  async execute({ firstSize, secondSize }: ConsistencyProofQuery) {
    const first = wholeNumberParameter(firstSize, 'firstSize');
    if (first === undefined) throw new ParametersInvalid([{ field: 'firstSize', message: 'firstSize is required' }]);
    return this.audit.consistencyProof(first, wholeNumberParameter(secondSize, 'secondSize'));
  }
}

@QueryHandler(VerifyLogQuery)
export class VerifyLogHandler implements IQueryHandler<VerifyLogQuery> {
  constructor(private readonly audit: AuditService) {}
  execute({ options }: VerifyLogQuery) {
    return this.audit.verify(options.onProgress, options.trusted ?? this.audit.ownTrust());
  }
}

@QueryHandler(LogExportQuery)
export class LogExportHandler implements IQueryHandler<LogExportQuery, AsyncIterable<string>> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async execute(): Promise<AsyncIterable<string>> {
    return exportLogLines(this.store);
  }
}
