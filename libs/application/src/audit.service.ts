import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { KeyObject, createPublicKey, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DomainError } from '@ledger/domain';
import { EventStore, ExpectedVersion, GlobalPosition, WrongExpectedVersionError } from '@ledger/event-store';
import {
  DIGEST_EVENT_TYPE,
  DIGEST_STREAM,
  LogDigest,
  LogWitness,
  TreeHead,
  VerificationReport,
  WitnessNotReady,
  WitnessStatus,
  consistencyProof,
  inclusionProof,
  keyIdOf,
  leafDataOf,
  leafHash,
  loadSigningKey,
  newSigningKeyPem,
  publicKeyText,
  rootOf,
  signDigest,
  verifyLog,
} from '@ledger/integrity';
import { ReadModels, recordedLeaves, recordedLeavesForVerification, refusedLeaves } from '@ledger/projections';
import { Settings } from './settings';
import { EVENT_STORE, READ_MODELS, SETTINGS } from './tokens';
import { WritePipeline, metadataOf } from './write-pipeline';
import { LedgerMigratedData, MIGRATION_EVENT_TYPE, MIGRATION_STREAM } from './migrate-ledger/migrate-ledger';

/** Why the service cannot give audit evidence now (an HTTP 503, with the integrity status). */
export type AuditUnavailableCode = 'INTEGRITY_CHECK_IN_PROGRESS' | 'INTEGRITY_ALARM' | 'SIGNING_KEY_MISSING' | 'SIGNING_KEY_MISMATCH' | 'SIGNING_KEY_UNREADABLE' | 'AUDIT_UNAVAILABLE';

export interface SigningStatus {
  /** `ready`: digests are signed with key `keyId`; `refused`: none is signed, for `reason`. */
  state: 'ready' | 'refused' | 'not_started';
  keyId?: string;
  code?: AuditUnavailableCode;
  reason?: string;
}

export interface IntegrityStatus {
  witness: WitnessStatus;
  signing: SigningStatus;
}

export class AuditUnavailableError extends Error {
  constructor(
    readonly code: AuditUnavailableCode,
    message: string,
    readonly integrity: IntegrityStatus,
  ) {
    super(message);
    this.name = 'AuditUnavailableError';
  }
}

/** Against which key digest signatures were checked: one the caller trusts, or only each digest's own. */
export interface SignatureTrust {
  source: string;
  keyId?: string;
  keyIds?: string[];
}

export const UNTRUSTED_KEYS = 'the key each digest names (not a trusted key)';

/** Who asked for a digest (an auditor, an admin), and the request: recorded in the digest event's metadata. */
export interface DigestRequest {
  requestedBy: { id: string; role: string };
  correlationId?: string;
  causationId?: string;
}

/** Digests appended at once (EventStoreDB limits the size of one append). */
const DIGESTS_PER_APPEND = 500;

/**
 * The auditor's evidence: signed digests of the log and inclusion and consistency proofs (RFC 6962),
 * given only from what the log witness recomputed from the log itself and checked; and
 * verification of the whole log. The signing key is never made while the log holds digests.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');
  private key: KeyObject | undefined;
  private keyId: string | undefined;
  private refusal: { code: AuditUnavailableCode; reason: string } | undefined;
  private witness: LogWitness | undefined;
  private digestRevision: ExpectedVersion = 'no_stream';
  /** One signer at a time, so that digests enter the log in order of size. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private quietTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly pipeline: WritePipeline,
    @Optional() @Inject(READ_MODELS) private readonly models?: Pick<ReadModels, 'db'>,
  ) {}

  // --- the signing key

  /**
   * At the service's start: loads the signing key, or makes one for a log that holds no digest yet.
   * Signing is refused (the reason returned, for one line in the log) when the key is missing or
   * unusable, or is not the key that signed the log's digests: never a new key for a signed log.
   */
  async prepareSigning(): Promise<string | undefined> {
    const digestEvents = (await this.store.readStream(DIGEST_STREAM)).filter((event) => event.type === DIGEST_EVENT_TYPE);
    const last = digestEvents[digestEvents.length - 1];
    if (last) this.digestRevision = last.revision;
    const signers = [...new Set(digestEvents.map((event) => (event.data as LogDigest).keyId))];
    const path = this.settings.signingKeyFile;
    const putItBack = 'no digest is signed until the key that signed them is put back (README, "Backup and restore")';
    let made = false;
    if (!existsSync(path)) {
      if (signers.length > 0) {
        return this.refuseToSign('SIGNING_KEY_MISSING', `no signing key (LEDGER_SIGNING_KEY_FILE), and the log's digests were signed by key ${signers.join(', ')}: ${putItBack}`, path);
      }
      mkdirSync(dirname(path), { recursive: true });
      try {
        writeFileSync(path, newSigningKeyPem(), { mode: 0o600, flag: 'wx' });
        made = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another instance made it first
      }
    }
    try {
      this.key = loadSigningKey(readFileSync(path, 'utf8'));
    } catch (error) {
      return this.refuseToSign('SIGNING_KEY_UNREADABLE', `the signing key (LEDGER_SIGNING_KEY_FILE) cannot be used (${(error as Error).message}): no digest is signed`, path);
    }
    this.keyId = keyIdOf(publicKeyText(createPublicKey(this.key)));
    // A new key is news to the auditors: the digests it signs prove nothing to them until they hold its public key.
    if (made) {
      this.logger.warn(
        `made a new signing key ${this.keyId} (LEDGER_SIGNING_KEY_FILE: ${path}), the log holding no digest: give auditors its public key (GET /audit/public-key) ` +
          'before they rely on its digests, and keep a copy of the key apart (README, "Backup and restore")',
      );
    }
    const others = signers.filter((keyId) => keyId !== this.keyId);
    if (others.length > 0) {
      return this.refuseToSign('SIGNING_KEY_MISMATCH', `the signing key (LEDGER_SIGNING_KEY_FILE) is key ${this.keyId}, but the log's digests were signed by key ${others.join(', ')}: ${putItBack}`, path);
    }
    return undefined;
  }

  /** Refuses to sign, for `reason` (shown by health, which answers anyone: no file paths); returns the line for the log. */
  private refuseToSign(code: AuditUnavailableCode, reason: string, path?: string): string {
    this.refusal ??= { code, reason };
    return path ? `${reason} (the key file: ${path})` : reason;
  }

  /** The public key of the local key file, if there is one (never makes one: for the CLI's checks). */
  existingPublicKey(): string | undefined {
    const path = this.settings.signingKeyFile;
    return existsSync(path) ? publicKeyText(createPublicKey(loadSigningKey(readFileSync(path, 'utf8')))) : undefined;
  }

  /** The public key of the key the service signs with. */
  publicKey(): string {
    if (this.key && !this.refusal) return publicKeyText(createPublicKey(this.key));
    throw this.unavailable(this.refusal?.code ?? 'SIGNING_KEY_MISSING', this.refusal?.reason ?? 'the service has no signing key loaded');
  }

  // --- the witness

  /** Starts the log witness over the service's read models (after they caught up at start). */
  startWitnessing(models: ReadModels): void {
    if (this.witness) return;
    const leaves = recordedLeaves(models.db);
    const refused = refusedLeaves(models.db);
    const witness = new LogWitness(
      this.store,
      { recordedLeaves: leaves.from, recordedUpTo: () => models.checkpoint, ...(refused && { refusedLeaves: refused }) },
      {
        digestEvery: this.settings.digestEvery,
        onProgress: () => {
          void this.signDue().catch((error: Error) => this.logger.error(`signing the digests due failed (tried again with the next events): ${error.message}`));
          this.signWhenQuiet();
        },
        onAlarm: (problem) =>
          this.logger.error(`integrity alarm: ${problem.kind} at position ${problem.position}: ${problem.detail}. No digest is signed and no proof given (README, "Auditing")`),
        onReadFailure: (error) => this.logger.warn(`the log witness could not read the log (it tries again): ${error.message}`),
      },
    );
    this.witness = witness;
    models.onPageApplied((events, after) => witness.observe(events, after));
    witness.start();
  }

  integrityStatus(): IntegrityStatus {
    return {
      witness: this.witness?.status ?? { state: 'checking', eventsWitnessed: 0, position: '0' },
      signing: this.refusal
        ? { state: 'refused', code: this.refusal.code, reason: this.refusal.reason }
        : this.key
          ? { state: 'ready', keyId: this.keyId! }
          : { state: 'not_started' },
    };
  }

  /** Stops witnessing and signing (at shutdown), once the digest being appended is in. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.quietTimer);
    await this.witness?.stop();
    await this.queue;
  }

  private unavailable(code: AuditUnavailableCode, message: string): AuditUnavailableError {
    return new AuditUnavailableError(code, message, this.integrityStatus());
  }

  /** Waits (up to LEDGER_READ_WAIT_MS) until the witness, done with its first pass and clean, satisfies `test`. */
  private async witnessed(test: (tree: { treeSize: number; position: GlobalPosition }) => boolean): Promise<LogWitness> {
    const witness = this.witness;
    if (!witness || this.stopped) throw this.unavailable('AUDIT_UNAVAILABLE', 'the log witness is not running: no digest or proof can be given');
    try {
      await witness.until(test, this.settings.readWaitMs);
    } catch (error) {
      if (!(error instanceof WitnessNotReady)) throw error;
      const code = error.status.state === 'alarm' ? 'INTEGRITY_ALARM' : error.status.state === 'stopped' ? 'AUDIT_UNAVAILABLE' : 'INTEGRITY_CHECK_IN_PROGRESS';
      throw this.unavailable(code, error.message);
    }
    return witness;
  }

  /** The witness, having reached the log's head as of now. */
  private async witnessedToHead(): Promise<LogWitness> {
    const head = await this.store.headPosition();
    return this.witnessed((tree) => tree.position >= head);
  }

  // --- digests

  private get db(): Database.Database {
    if (!this.models) throw new Error('the read models are not open in this process (a data directory the service has not run on yet has none: start the service once, it builds them)');
    return this.models.db;
  }

  /** What the log says of the log it was migrated from (its first event, LedgerMigrated), if it was. */
  async migratedFrom(): Promise<(LedgerMigratedData & { position: string }) | undefined> {
    const [event] = (await this.store.readStream(MIGRATION_STREAM)).filter((stored) => stored.type === MIGRATION_EVENT_TYPE);
    return event && { ...(event.data as LedgerMigratedData), position: event.position.toString() };
  }

  async digests(): Promise<Array<LogDigest & { position: string }>> {
    const events = await this.store.readStream(DIGEST_STREAM);
    return events.filter((event) => event.type === DIGEST_EVENT_TYPE).map((event) => ({ ...(event.data as LogDigest), position: event.position.toString() }));
  }

  private requireSigning(): KeyObject {
    this.checkDigestSigners();
    if (this.refusal) throw this.unavailable(this.refusal.code, this.refusal.reason);
    if (!this.key) throw this.unavailable('AUDIT_UNAVAILABLE', 'the service has not loaded its signing key');
    return this.key;
  }

  /** A digest in the log signed by another key (another instance's) stops this one signing. */
  private checkDigestSigners(): void {
    if (!this.witness || !this.keyId || this.refusal) return;
    const others = [...this.witness.digestKeys.keys()].filter((keyId) => keyId !== this.keyId);
    if (others.length > 0) {
      const reason = this.refuseToSign('SIGNING_KEY_MISMATCH', `digests in the log are signed by key ${others.join(', ')}, not by this service's key ${this.keyId}: it signs no more digests`);
      this.logger.error(reason);
    }
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private signHead(key: KeyObject, head: TreeHead): LogDigest {
    return signDigest(key, { ...head, signedAt: new Date().toISOString() });
  }

  /** Signs the digests due (every multiple of LEDGER_DIGEST_EVERY the witness passed), each over exactly its prefix. */
  private signDue(): Promise<void> {
    return this.serially(() => this.appendDueDigests());
  }

  /**
   * (Re)starts the quiet timer: once no event has come for LEDGER_DIGEST_QUIET_MS, the events no
   * digest covers are signed, so that what an insider could change or drop unnoticed by the
   * service's own checks (the tail after the last digest) stays short in time, whatever the cadence.
   */
  private signWhenQuiet(): void {
    if (this.settings.digestQuietMs === 0 || this.stopped) return;
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(
      () =>
        void this.serially(async () => {
          await this.appendDueDigests();
          this.checkDigestSigners();
          const head = this.witness?.unsignedHead();
          if (head && this.key && !this.refusal && !this.stopped) await this.appendDigests([this.signHead(this.key, head)]);
        }).catch((error: Error) => this.logger.error(`signing a digest after a quiet spell failed (tried again after the next events): ${error.message}`)),
      this.settings.digestQuietMs,
    );
    this.quietTimer.unref();
  }

  private async appendDueDigests(): Promise<void> {
    const witness = this.witness;
    if (!witness || this.stopped || witness.status.state !== 'witnessed') return;
    const due = witness.dueDigests();
    if (due.length === 0) return;
    this.checkDigestSigners();
    if (this.refusal || !this.key) return;
    const key = this.key;
    await this.appendDigests(due.map((head) => this.signHead(key, head)));
  }

  private async appendDigests(digests: LogDigest[], request?: DigestRequest): Promise<void> {
    const witness = this.witness!;
    // The system signs every digest; one signed on request names who asked (and the request).
    const metadata = metadataOf({ actor: { id: 'system:digest', role: 'system' }, ...(request && { requestedBy: request.requestedBy, correlationId: request.correlationId, causationId: request.causationId }) });
    for (let start = 0; start < digests.length; start += DIGESTS_PER_APPEND) {
      let chunk = digests.slice(start, start + DIGESTS_PER_APPEND);
      for (let attempt = 0; chunk.length > 0; attempt++) {
        try {
          const result = await this.pipeline.appendPrepared(
            DIGEST_STREAM,
            chunk.map((digest) => ({ eventId: randomUUID(), type: DIGEST_EVENT_TYPE, data: digest })),
            metadata,
            this.digestRevision,
          );
          this.digestRevision = result.nextExpectedVersion;
          witness.markSigned(chunk.map((digest) => digest.treeSize));
          break;
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError) || attempt >= 5) throw error;
          // Another instance signed meanwhile: leave out the sizes it signed, and follow its revision.
          const stream = await this.store.readStream(DIGEST_STREAM);
          this.digestRevision = stream.length > 0 ? stream[stream.length - 1].revision : 'no_stream';
          const signed = new Set(stream.map((event) => (event.data as LogDigest).treeSize));
          witness.markSigned(signed);
          chunk = chunk.filter((digest) => !signed.has(digest.treeSize));
        }
      }
    }
  }

  /**
   * Signs a digest of the log as the witness has checked it, up to the head as of this request
   * (after the digests due), unless the last digest is of that size already.
   */
  async signDigestNow(request?: DigestRequest): Promise<LogDigest | undefined> {
    this.requireSigning();
    const witness = await this.witnessedToHead();
    return this.serially(async () => {
      const key = this.requireSigning();
      await this.appendDueDigests();
      const head = witness.currentHead();
      if (head.treeSize === 0) return undefined;
      const last = (await this.digests()).at(-1);
      if (last && last.treeSize >= head.treeSize) {
        const { position: _, ...digest } = last;
        return digest;
      }
      const digest = this.signHead(key, head);
      await this.appendDigests([digest], request);
      return digest;
    });
  }

  // --- proofs, from recorded leaves the witness has checked

  private static sizeBeyond(recorded: number, size: number): DomainError | undefined {
    return recorded < size ? new DomainError('TREE_SIZE_TOO_LARGE', 'invalid', `the log holds ${recorded} events, fewer than a tree of size ${size}`, 'treeSize') : undefined;
  }

  /**
   * Refuses with what the log does not hold (no such event, no such size) only while the witness
   * vouches for the log: under an integrity alarm, the alarm is the answer (the event may be one removed).
   */
  private async refuseFromTheLog(error: DomainError): Promise<never> {
    await this.witnessedToHead();
    throw error;
  }

  private leafHashesOf(size: number): Buffer[] {
    return recordedLeaves(this.db)
      .hashes(size)
      .map((hash) => leafHash(leafDataOf(hash)));
  }

  /** Proof that an event is leaf i of the tree of size `treeSize` (default: the latest digest's). */
  async inclusionProof(eventId: string, treeSize?: number) {
    const leaves = recordedLeaves(this.db);
    const leaf = leaves.ofEvent(eventId);
    if (!leaf) return this.refuseFromTheLog(new DomainError('EVENT_NOT_IN_LOG', 'not_found', `no event ${eventId} in the log`, 'eventId'));
    const size = treeSize ?? (await this.digests()).at(-1)?.treeSize ?? (await this.witnessedToHead()).status.eventsWitnessed;
    if (leaf.leafIndex >= size) return this.refuseFromTheLog(new DomainError('EVENT_NOT_IN_TREE', 'invalid', `event ${eventId} is leaf ${leaf.leafIndex}, not in a tree of size ${size}`, 'treeSize'));
    const beyond = AuditService.sizeBeyond(leaves.count(), size);
    if (beyond) return this.refuseFromTheLog(beyond);
    await this.witnessed((tree) => tree.treeSize >= size);
    const hashes = this.leafHashesOf(size);
    return {
      eventId,
      position: leaf.position,
      eventHash: leaf.hash,
      leafIndex: leaf.leafIndex,
      treeSize: size,
      rootHash: rootOf(hashes).toString('hex'),
      auditPath: inclusionProof(hashes, leaf.leafIndex).map((hash) => hash.toString('hex')),
    };
  }

  /** Proof that the tree of size `firstSize` is a prefix of the tree of size `secondSize` (default: the log as witnessed now). */
  async consistencyProof(firstSize: number, secondSize?: number) {
    const invalid = (second: number | string) => new DomainError('TREE_SIZES_INVALID', 'invalid', `need 1 ≤ first size (${firstSize}) ≤ second size (${second})`, 'firstSize');
    if (!Number.isInteger(firstSize) || firstSize < 1) throw invalid(secondSize ?? 'the log’s');
    if (secondSize !== undefined && firstSize > secondSize) throw invalid(secondSize);
    const beyond = secondSize !== undefined && AuditService.sizeBeyond(recordedLeaves(this.db).count(), secondSize);
    if (beyond) return this.refuseFromTheLog(beyond);
    const second = secondSize ?? (await this.witnessedToHead()).status.eventsWitnessed;
    if (firstSize > second) return this.refuseFromTheLog(invalid(second));
    await this.witnessed((tree) => tree.treeSize >= second);
    const hashes = this.leafHashesOf(second);
    return {
      firstSize,
      secondSize: second,
      firstRoot: rootOf(hashes, 0, firstSize).toString('hex'),
      secondRoot: rootOf(hashes).toString('hex'),
      proof: consistencyProof(hashes, firstSize).map((hash) => hash.toString('hex')),
    };
  }

  // --- verification

  /** What the service checks digest signatures against: its own key when it has one. */
  ownTrust(): { publicKey: string; source: string } | undefined {
    return this.key ? { publicKey: publicKeyText(createPublicKey(this.key)), source: 'the service’s signing key' } : undefined;
  }

  /**
   * Recomputes the whole log against its chains, the signed digests and the recorded leaves. Digest
   * signatures are checked against `trusted` when given, else only against the key each names.
   */
  async verify(onProgress?: (events: number) => void, trusted?: { publicKey: string; source: string }): Promise<VerificationReport & { signaturesCheckedAgainst: SignatureTrust }> {
    const recorded = this.models ? recordedLeavesForVerification(this.models.db) : undefined;
    const report = await verifyLog(this.store, {
      ...(trusted && { trustedPublicKey: trusted.publicKey }),
      ...(recorded && { recordedLeaves: recorded }),
      ...(onProgress && { onProgress }),
    });
    const signaturesCheckedAgainst: SignatureTrust = trusted
      ? { source: trusted.source, keyId: keyIdOf(trusted.publicKey) }
      : { source: UNTRUSTED_KEYS, keyIds: [...new Set((await this.digests()).map((digest) => digest.keyId))] };
    return { ...report, signaturesCheckedAgainst };
  }
}
