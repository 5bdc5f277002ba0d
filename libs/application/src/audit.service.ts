import { Inject, Injectable, Optional } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { KeyObject, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DomainError } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import {
  DIGEST_EVENT_TYPE,
  DIGEST_STREAM,
  Hash,
  IncrementalMerkleTree,
  LogDigest,
  VerificationReport,
  consistencyProof,
  inclusionProof,
  leafDataOf,
  leafHash,
  loadSigningKey,
  newSigningKeyPem,
  publicKeyText,
  rootOf,
  signDigest,
  verifyLog,
} from '@ledger/integrity';
import { ReadModels } from '@ledger/projections';
import { Settings } from './settings';
import { EVENT_STORE, READ_MODELS, SETTINGS } from './tokens';


/**
 * The auditor's evidence: signed digests of the log, inclusion and consistency proofs (RFC 6962)
 * computed from the leaves the read models recorded, and verification of the whole log.
 */
@Injectable()
export class AuditService {
  private key: KeyObject | undefined;
  private readonly tree = new IncrementalMerkleTree();
  private lastPosition = '0';
  private lastDigestSize = -1;
  private digesting: Promise<LogDigest | undefined> | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Optional() @Inject(READ_MODELS) private readonly models?: Pick<ReadModels, 'db'>,
  ) {}

  /** The Ed25519 signing key from LEDGER_SIGNING_KEY_FILE; made (mode 0600) on first use when missing. */
  signingKey(): KeyObject {
    if (!this.key) {
      const path = this.settings.signingKeyFile;
      if (!existsSync(path)) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, newSigningKeyPem(), { mode: 0o600, flag: 'wx' });
      }
      this.key = loadSigningKey(readFileSync(path, 'utf8'));
    }
    return this.key;
  }

  /** The public key of an existing key file, without making one (for tools on another machine). */
  existingPublicKey(): string | undefined {
    return existsSync(this.settings.signingKeyFile) ? this.publicKey() : undefined;
  }

  publicKey(): string {
    return publicKeyText(createPublicKey(this.signingKey()));
  }

  private get db(): Database.Database {
    if (!this.models) throw new Error('the read models are not open in this process');
    return this.models.db;
  }

  /** Brings the in-memory tree up to the leaves the read models recorded. */
  private advanceTree(): void {
    const rows = this.db
      .prepare<[number], { hash: string; position: string }>('SELECT hash, position FROM log_leaves WHERE leaf_index >= ? ORDER BY leaf_index')
      .iterate(this.tree.size);
    for (const row of rows) {
      this.tree.append(leafHash(leafDataOf(row.hash)));
      this.lastPosition = row.position;
    }
  }

  async digests(): Promise<Array<LogDigest & { position: string }>> {
    const events = await this.store.readStream(DIGEST_STREAM);
    return events.filter((event) => event.type === DIGEST_EVENT_TYPE).map((event) => ({ ...(event.data as LogDigest), position: event.position.toString() }));
  }

  /** Signs a digest of the log as the read models have it now, unless the last digest is of the same size. */
  signDigestNow(): Promise<LogDigest | undefined> {
    this.digesting ??= this.sign().finally(() => (this.digesting = undefined));
    return this.digesting;
  }

  private async sign(): Promise<LogDigest | undefined> {
    this.advanceTree();
    if (this.tree.size === 0) return undefined;
    const existing = await this.store.readStream(DIGEST_STREAM);
    const last = existing[existing.length - 1];
    if (last && (last.data as LogDigest).treeSize >= this.tree.size) {
      this.lastDigestSize = (last.data as LogDigest).treeSize;
      return last.data as LogDigest;
    }
    const digest = signDigest(this.signingKey(), {
      treeSize: this.tree.size,
      rootHash: this.tree.root().toString('hex'),
      lastPosition: this.lastPosition,
      signedAt: new Date().toISOString(),
    });
    try {
      await this.store.appendToStream(
        DIGEST_STREAM,
        [{ eventId: crypto.randomUUID(), type: DIGEST_EVENT_TYPE, schemaVersion: 1, data: digest, metadata: { actor: { id: 'system:digest', role: 'system' } } }],
        last ? last.revision : 'no_stream',
      );
    } catch {
      return undefined; // another instance signed at the same moment
    }
    this.lastDigestSize = digest.treeSize;
    return digest;
  }

  /** Called after each page the read models apply: signs a digest every `digestEvery` events. */
  async digestIfDue(): Promise<void> {
    if (this.settings.digestEvery <= 0 || this.digesting) return;
    this.advanceTree();
    if (this.lastDigestSize < 0) {
      const digests = await this.digests();
      this.lastDigestSize = digests.length ? digests[digests.length - 1].treeSize : 0;
    }
    if (this.tree.size - this.lastDigestSize >= this.settings.digestEvery) await this.signDigestNow();
  }

  private leaves(treeSize: number): Hash[] {
    const rows = this.db.prepare<[number], string>('SELECT hash FROM log_leaves ORDER BY leaf_index LIMIT ?').pluck().all(treeSize);
    if (rows.length < treeSize) throw new DomainError('TREE_SIZE_TOO_LARGE', 'invalid', `the log holds ${rows.length} events, fewer than a tree of size ${treeSize}`, 'treeSize');
    return rows.map((hash) => leafHash(leafDataOf(hash)));
  }

  private currentSize(): number {
    this.advanceTree();
    return this.tree.size;
  }

  /** Proof that an event is leaf i of the tree of size `treeSize` (default: the latest digest's). */
  async inclusionProof(eventId: string, treeSize?: number) {
    const leaf = this.db
      .prepare<[string], { leaf_index: number; position: string; hash: string }>('SELECT leaf_index, position, hash FROM log_leaves WHERE event_id = ?')
      .get(eventId);
    if (!leaf) throw new DomainError('EVENT_NOT_IN_LOG', 'not_found', `no event ${eventId} in the log`, 'eventId');
    const size = treeSize ?? (await this.digests()).at(-1)?.treeSize ?? this.currentSize();
    if (leaf.leaf_index >= size) throw new DomainError('EVENT_NOT_IN_TREE', 'invalid', `event ${eventId} is leaf ${leaf.leaf_index}, not in a tree of size ${size}`, 'treeSize');
    const leaves = this.leaves(size);
    return {
      eventId,
      position: leaf.position,
      eventHash: leaf.hash,
      leafIndex: leaf.leaf_index,
      treeSize: size,
      rootHash: rootOf(leaves).toString('hex'),
      auditPath: inclusionProof(leaves, leaf.leaf_index).map((hash) => hash.toString('hex')),
    };
  }

  /** Proof that the tree of size `firstSize` is a prefix of the tree of size `secondSize`. */
  consistencyProof(firstSize: number, secondSize = this.currentSize()) {
    if (!Number.isInteger(firstSize) || firstSize < 1 || firstSize > secondSize) {
      throw new DomainError('TREE_SIZES_INVALID', 'invalid', `need 1 ≤ first size (${firstSize}) ≤ second size (${secondSize})`, 'firstSize');
    }
    const leaves = this.leaves(secondSize);
    return {
      firstSize,
      secondSize,
      firstRoot: rootOf(leaves, 0, firstSize).toString('hex'),
      secondRoot: rootOf(leaves).toString('hex'),
      proof: consistencyProof(leaves, firstSize).map((hash) => hash.toString('hex')),
    };
  }

  /** Recomputes the whole log against its chains, the signed digests and the recorded leaves. */
  verify(onProgress?: (events: number) => void, trustedPublicKey: string | undefined = this.publicKey()): Promise<VerificationReport> {
    const recordedLeaves = this.models ? recordedLeavesOf(this.models.db) : undefined;
    return verifyLog(this.store, {
      ...(trustedPublicKey && { trustedPublicKey }),
      ...(recordedLeaves && { recordedLeaves }),
      ...(onProgress && { onProgress }),
    });
  }
}

/** The recorded leaves in chunks (a long-lived iterator would block the connection the projector writes on). */
async function* recordedLeavesOf(db: Database.Database) {
  const chunk = db.prepare<[number], { leafIndex: number; position: string; hash: string }>(
    'SELECT leaf_index AS leafIndex, position, hash FROM log_leaves WHERE leaf_index >= ? ORDER BY leaf_index LIMIT 10000',
  );
  for (let from = 0; ; ) {
    const rows = chunk.all(from);
    if (rows.length === 0) return;
    yield* rows;
    from = rows[rows.length - 1].leafIndex + 1;
  }
}
