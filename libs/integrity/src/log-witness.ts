import { EventStore, GlobalPosition, StoreUnavailableError, StoredEvent } from '@ledger/event-store';
import { DIGEST_EVENT_TYPE, DIGEST_STREAM, LogDigest, digestSignatureValid, keyIdOf } from './digest';
import { integrityOf, leafDataOf, recomputedHash } from './event-hash';
import { IncrementalMerkleTree, leafHash } from './merkle';
import { RecordedLeaf, VerificationProblem, positionGap } from './verify-log';

/**
 * The service's own witness of the log: before the service signs a digest or hands out a proof, it
 * reads the log itself, recomputes every event's hash from its content (as verifyLog does), builds
 * the Merkle tree from those hashes, and checks it against the leaves the read models recorded and
 * against every signed digest in the log. Digests are signed only from its tree, proofs only from
 * recorded leaves it has checked; at its first difference it raises an alarm and vouches for
 * nothing more.
 *
 * It starts from the beginning of the log in the background (the service is ready meanwhile), then
 * follows the pages the read models apply, never going beyond them (their leaves are what it checks).
 * It keeps O(log n) of the tree and the heads of the sizes a digest is due or known at: no per-stream
 * state (the hash chains are verifyLog's work, on request).
 */
export type WitnessState = 'checking' | 'witnessed' | 'alarm' | 'stopped';

export interface WitnessStatus {
  /** `checking`: the first pass over the log is under way; `witnessed`: every event so far checked clean. */
  state: WitnessState;
  /** Events whose hashes were recomputed and checked (the witnessed tree's size). */
  eventsWitnessed: number;
  /** Position of the last witnessed event ("0": none yet). */
  position: string;
  /** While checking: the position the first pass runs to (the log's head when it started). */
  checkingTo?: string;
  /** The first difference found: the witness stopped there. (No stream id: it names a student, and health is public.) */
  alarm?: WitnessAlarm;
}

export type WitnessAlarm = Pick<VerificationProblem, 'kind' | 'position' | 'leafIndex' | 'detail'>;

/** The Merkle tree over the first `treeSize` events of the log, as the witness recomputed it. */
export interface TreeHead {
  treeSize: number;
  rootHash: string;
  lastPosition: string;
}

export interface WitnessSources {
  /** Leaves the read models recorded, from a leaf index on (at most `count`), in order. */
  recordedLeaves(fromIndex: number, count: number): RecordedLeaf[];
  /** Where the read models (and so their recorded leaves) stand in the log. */
  recordedUpTo(): GlobalPosition;
  /** Leaves kept from read models refused at start: the log as the service had recorded it before. */
  refusedLeaves?: { count: number; read(fromIndex: number, count: number): RecordedLeaf[] };
}

export interface WitnessOptions {
  /** A digest is due at every tree size that is a multiple of this (0: none). */
  digestEvery: number;
  pageSize?: number;
  /** After each batch of events witnessed (e.g. to sign the digests now due). */
  onProgress?: () => void;
  onAlarm?: (problem: WitnessAlarm) => void;
  /** The log could not be read (it retries): for the logs, once until it can again. */
  onReadFailure?: (error: Error) => void;
}

const MAX_BUFFERED_EVENTS = 20_000;
const RETRY_MS = 1000;

export class WitnessNotReady extends Error {
  constructor(readonly status: WitnessStatus) {
    super(
      status.state === 'alarm'
        ? `integrity alarm: ${status.alarm!.kind} at position ${status.alarm!.position}: ${status.alarm!.detail}`
        : status.state === 'stopped'
          ? 'the log witness has stopped'
          : `the log is still being checked against its digests and recorded leaves (${status.eventsWitnessed} events checked, to position ${status.position}${status.checkingTo ? ` of ${status.checkingTo}` : ''}); retry shortly`,
    );
    this.name = 'WitnessNotReady';
  }
}

export class LogWitness {
  private readonly tree = new IncrementalMerkleTree();
  private position: GlobalPosition = 0n;
  private state: WitnessState = 'checking';
  private alarm: WitnessAlarm | undefined;
  /** The tree at sizes a digest is due or known at (dropped once that digest is checked). */
  private readonly heads = new Map<number, TreeHead>();
  /** Sizes of the digests in the log when the witness started (their heads are kept on the way). */
  private readonly knownDigestSizes = new Set<number>();
  /** Sizes some digest in the log (or one being appended) covers. */
  private readonly signedSizes = new Set<number>();
  /** The largest of them. */
  private largestSigned = 0;
  /** The tree's size after the last event witnessed that is not a digest. */
  private lastEventSize = 0;
  private due: TreeHead[] = [];
  /** Digests whose size the witness kept no head for (signed elsewhere): checked from the recorded leaves. */
  private unchecked: Array<{ digest: LogDigest; at: Pick<VerificationProblem, 'position' | 'leafIndex' | 'streamId' | 'revision'> }> = [];
  /** The keys that signed the digests witnessed so far: key id → public key. */
  readonly digestKeys = new Map<string, string>();
  /** Pages the read models applied, contiguous from the witness's position, not yet witnessed. */
  private buffered: Array<{ after: GlobalPosition; events: StoredEvent[] }> = [];
  private digestsLearned = false;
  /** The log's head when the witness started: the first pass ends there. */
  private firstPassTarget: GlobalPosition | undefined;
  private bufferedEnd: GlobalPosition | undefined;
  private bufferedCount = 0;
  private wake: (() => void) | undefined;
  private waiters: Array<{ test: () => boolean; resolve: () => void; reject: (error: Error) => void }> = [];
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly store: EventStore,
    private readonly sources: WitnessSources,
    private readonly options: WitnessOptions,
  ) {}

  get status(): WitnessStatus {
    return {
      state: this.state,
      eventsWitnessed: this.tree.size,
      position: this.position.toString(),
      ...(this.state === 'checking' && this.firstPassTarget !== undefined && { checkingTo: this.firstPassTarget.toString() }),
      ...(this.alarm && { alarm: this.alarm }),
    };
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    if (this.state !== 'alarm') this.state = 'stopped';
    this.settleWaiters();
  }

  /** After the read models applied a page (`after`: where they stood before it). */
  observe(events: StoredEvent[], after: GlobalPosition): void {
    if (events.length === 0 || this.state === 'alarm' || this.stopping) return;
    // Kept only when it continues what the witness has (else it reads those events from the log itself).
    if (after <= (this.bufferedEnd ?? this.position) && this.bufferedCount + events.length <= MAX_BUFFERED_EVENTS) {
      this.buffered.push({ after, events });
      this.bufferedCount += events.length;
      this.bufferedEnd = events[events.length - 1].position;
    }
    this.wake?.();
  }

  /** The head of the witnessed tree now (kept, so that the digest signed over it is checked when it comes by). */
  currentHead(): TreeHead {
    const head = { treeSize: this.tree.size, rootHash: this.tree.root().toString('hex'), lastPosition: this.position.toString() };
    if (head.treeSize > 0) this.heads.set(head.treeSize, head);
    return head;
  }

  /** The digests due (every multiple of `digestEvery` passed) that no digest in the log covers yet, by size. */
  dueDigests(): TreeHead[] {
    // Nothing is signed while a digest in the log is still to be checked.
    if (this.unchecked.length > 0) return [];
    return this.due.filter((head) => !this.signedSizes.has(head.treeSize));
  }

  /** Sizes a digest now covers (one this process appended, or another instance did). */
  markSigned(sizes: Iterable<number>): void {
    for (const size of sizes) {
      this.signedSizes.add(size);
      if (size > this.largestSigned) this.largestSigned = size;
    }
    this.due = this.due.filter((head) => !this.signedSizes.has(head.treeSize));
  }

  /**
   * The head of the witnessed tree when it ends with events no digest covers (not digests alone),
   * for a digest after a quiet spell; undefined when there is nothing to sign, or it cannot vouch.
   */
  unsignedHead(): TreeHead | undefined {
    if (this.state !== 'witnessed' || this.unchecked.length > 0 || this.lastEventSize <= this.largestSigned) return undefined;
    return this.currentHead();
  }

  /**
   * Resolves once the first pass is done, clean, and the witnessed tree satisfies `test`; rejects
   * with WitnessNotReady on an alarm, a stop, or after `timeoutMs`.
   */
  until(test: (status: { treeSize: number; position: GlobalPosition }) => boolean, timeoutMs: number): Promise<void> {
    const ready = () => this.state === 'witnessed' && this.unchecked.length === 0 && test({ treeSize: this.tree.size, position: this.position });
    if (ready()) return Promise.resolve();
    if (this.state === 'alarm' || this.state === 'stopped') return Promise.reject(new WitnessNotReady(this.status));
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        test: ready,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (error: Error) => (clearTimeout(timer), reject(error)),
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new WitnessNotReady(this.status));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private settleWaiters(): void {
    const failed = this.state === 'alarm' || this.state === 'stopped';
    this.waiters = this.waiters.filter((waiter) => {
      if (failed) waiter.reject(new WitnessNotReady(this.status));
      else if (waiter.test()) waiter.resolve();
      else return true;
      return false;
    });
  }

  private dropBuffer(): void {
    this.buffered = [];
    this.bufferedEnd = undefined;
    this.bufferedCount = 0;
  }

  private async run(): Promise<void> {
    let failing = false;
    while (!this.stopping && this.state !== 'alarm') {
      try {
        await this.step();
        failing = false;
      } catch (error) {
        // The log cannot be read now (EventStoreDB away, the file busy): nothing was half-witnessed; retry.
        this.dropBuffer();
        if (!failing) this.options.onReadFailure?.(error as Error);
        failing = true;
        await this.sleep(error instanceof StoreUnavailableError ? RETRY_MS : RETRY_MS * 5);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.wake = undefined));
  }

  private async step(): Promise<void> {
    if (!this.digestsLearned) await this.learnDigestsInTheLog();
    if (this.unchecked.length > 0) await this.checkDigestsFromRecordedLeaves();
    this.firstPassTarget ??= await this.store.headPosition();
    if (this.state === 'checking' && this.position >= this.firstPassTarget) {
      this.finishFirstPass();
      this.options.onProgress?.();
    }
    const upTo = this.sources.recordedUpTo();
    if (this.position >= upTo) {
      this.settleWaiters();
      // Woken by the next page the read models apply (a timer too, in case a page came by unseen).
      if (this.state !== 'alarm' && !this.stopping) await this.sleep(RETRY_MS);
      return;
    }
    const buffered = this.takeBufferedPage();
    const page = buffered ?? (await this.store.readAll({ after: this.position, maxCount: this.options.pageSize ?? 2000 }));
    // Only what the read models have applied: its recorded leaves are what the witness checks.
    const limit = this.sources.recordedUpTo();
    const events = page.filter((event) => event.position > this.position && event.position <= limit);
    if (events.length === 0 && !buffered) {
      // The read models say there is more; the log does not (yet) show it.
      await this.sleep(RETRY_MS);
      return;
    }
    this.witnessPage(events);
    if (this.unchecked.length > 0 && this.state !== 'alarm') await this.checkDigestsFromRecordedLeaves();
    this.options.onProgress?.();
    this.settleWaiters();
    // A long first pass shares the event loop with the requests.
    if (!buffered) await new Promise((resolve) => setImmediate(resolve));
  }

  /** The next page the read models applied, if it continues from the witness's position. */
  private takeBufferedPage(): StoredEvent[] | undefined {
    const next = this.buffered.shift();
    if (!next) return undefined;
    if (next.after > this.position) {
      this.dropBuffer();
      return undefined;
    }
    this.bufferedCount -= next.events.length;
    if (this.buffered.length === 0) this.bufferedEnd = undefined;
    return next.events;
  }

  private async learnDigestsInTheLog(): Promise<void> {
    const digests = await this.store.readStream(DIGEST_STREAM);
    this.digestsLearned = true;
    for (const event of digests) {
      if (event.type !== DIGEST_EVENT_TYPE) continue;
      const size = (event.data as LogDigest).treeSize;
      this.knownDigestSizes.add(size);
      this.markSigned([size]);
    }
  }

  private finishFirstPass(): void {
    const refused = this.sources.refusedLeaves;
    if (refused && refused.count > this.tree.size) {
      const [first] = refused.read(this.tree.size, 1);
      this.raise({
        kind: 'rolled_back',
        position: first?.position ?? this.position.toString(),
        leafIndex: this.tree.size,
        detail: `the service had recorded ${refused.count} leaves; the log holds ${this.tree.size} events: events were removed from its end (rolled back)`,
      });
      return;
    }
    this.state = 'witnessed';
  }

  private raise({ kind, position, leafIndex, detail }: VerificationProblem): void {
    if (this.alarm) return;
    const problem = { kind, position, leafIndex, detail };
    this.alarm = problem;
    this.state = 'alarm';
    this.dropBuffer();
    this.options.onAlarm?.(problem);
    this.settleWaiters();
  }

  private witnessPage(events: StoredEvent[]): void {
    if (events.length === 0) return;
    const from = this.tree.size;
    const recorded = this.sources.recordedLeaves(from, events.length);
    const refused = this.sources.refusedLeaves && from < this.sources.refusedLeaves.count ? this.sources.refusedLeaves.read(from, events.length) : [];
    for (let i = 0; i < events.length; i++) {
      const problem = this.witness(events[i], recorded[i], refused[i]);
      if (problem) return this.raise(problem);
    }
  }

  /** One event: its hash from its content, against its own record, the recorded leaves, and the digests. */
  private witness(event: StoredEvent, recorded: RecordedLeaf | undefined, refused: RecordedLeaf | undefined): VerificationProblem | undefined {
    const index = this.tree.size;
    const position = event.position.toString();
    const at = { position, leafIndex: index, streamId: event.streamId, revision: event.revision };
    // Where the store numbers its events without gaps, a skipped position is an event removed (a whole stream, the digests, …).
    if (this.store.consecutivePositions && event.position > this.position + 1n) return positionGap(this.position, event.position, index);
    const integrity = integrityOf(event);
    if (!integrity) return { kind: 'missing_integrity', ...at, detail: 'the event carries no integrity hash: it was not written by the ledger' };
    const hash = recomputedHash(event);
    if (hash !== integrity.hash) return { kind: 'content_changed', ...at, detail: 'the event’s content no longer matches its hash' };
    const records: Array<[RecordedLeaf | undefined, string]> = [[recorded, 'the read models']];
    if (index < (this.sources.refusedLeaves?.count ?? 0)) records.push([refused, 'the read models refused at start']);
    for (const [leaf, whose] of records) {
      if (!leaf || leaf.leafIndex !== index) return { kind: 'leaf_mismatch', ...at, detail: `${whose} recorded no leaf ${index} for this event` };
      if (leaf.position !== position || leaf.hash !== hash) {
        return {
          kind: 'leaf_mismatch',
          ...at,
          position: leaf.position,
          detail: `leaf ${index} was recorded (by ${whose}) as the event at position ${leaf.position}; the log now has ${leaf.position === position ? 'other content' : `position ${position}`} there (changed, removed, inserted or moved)`,
        };
      }
    }
    this.tree.append(leafHash(leafDataOf(hash)));
    this.position = event.position;
    const size = this.tree.size;
    const isDigest = event.streamId === DIGEST_STREAM && event.type === DIGEST_EVENT_TYPE;
    if (!isDigest) this.lastEventSize = size;
    // A prefix that ends with a digest is not signed again (else, digesting every event, it never ends).
    const cadence = this.options.digestEvery > 0 && size % this.options.digestEvery === 0 && !isDigest;
    if (cadence || this.knownDigestSizes.has(size)) {
      const head = { treeSize: size, rootHash: this.tree.root().toString('hex'), lastPosition: position };
      this.heads.set(size, head);
      if (cadence && !this.signedSizes.has(size)) this.due.push(head);
    }
    return isDigest ? this.checkDigest(event.data as LogDigest, { ...at, streamId: DIGEST_STREAM }) : undefined;
  }

  private checkDigest(digest: LogDigest, at: Pick<VerificationProblem, 'position' | 'leafIndex' | 'streamId' | 'revision'>): VerificationProblem | undefined {
    if (!digestSignatureValid(digest) || keyIdOf(digest.publicKey) !== digest.keyId) {
      return { kind: 'digest_signature_invalid', ...at, detail: `the digest of tree size ${digest.treeSize} is not validly signed by the key it names (${digest.keyId})` };
    }
    this.digestKeys.set(digest.keyId, digest.publicKey);
    this.markSigned([digest.treeSize]);
    if (digest.treeSize > at.leafIndex) {
      return { kind: 'digest_mismatch', ...at, detail: `the digest covers ${digest.treeSize} events, but only ${at.leafIndex} precede it in the log: events before it were removed` };
    }
    const head = this.heads.get(digest.treeSize);
    if (!head) {
      this.unchecked.push({ digest, at });
      return undefined;
    }
    this.heads.delete(digest.treeSize);
    return this.compareWithDigest(head, digest);
  }

  private compareWithDigest(head: TreeHead, digest: LogDigest): VerificationProblem | undefined {
    if (head.rootHash === digest.rootHash && head.lastPosition === digest.lastPosition) return undefined;
    return {
      kind: 'digest_mismatch',
      position: head.lastPosition,
      leafIndex: head.treeSize - 1,
      detail: `the first ${digest.treeSize} events (to position ${head.lastPosition}) do not match the digest signed at ${digest.signedAt} (its last position ${digest.lastPosition})`,
    };
  }

  /** The root at a size it kept no head for, from the recorded leaves it has checked (a rare, slow path). */
  private async checkDigestsFromRecordedLeaves(): Promise<void> {
    // One at a time, each dropped once checked: a failed read leaves it to be checked again.
    while (this.unchecked.length > 0) {
      const { digest } = this.unchecked[0];
      const tree = new IncrementalMerkleTree();
      let lastPosition = '0';
      while (tree.size < digest.treeSize) {
        const leaves = this.sources.recordedLeaves(tree.size, Math.min(10_000, digest.treeSize - tree.size));
        if (leaves.length === 0) break;
        for (const leaf of leaves) tree.append(leafHash(leafDataOf(leaf.hash)));
        lastPosition = leaves[leaves.length - 1].position;
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.unchecked.shift();
      const problem = this.compareWithDigest({ treeSize: tree.size, rootHash: tree.root().toString('hex'), lastPosition }, digest);
      if (problem) return this.raise(problem);
    }
  }
}
