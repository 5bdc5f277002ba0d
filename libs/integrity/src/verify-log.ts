import { EventStore, StoredEvent, readAllPages } from '@ledger/event-store';
import { DIGEST_EVENT_TYPE, DIGEST_STREAM, LogDigest, digestSignatureValid } from './digest';
import { eventHash, integrityOf, leafDataOf, recomputedHash } from './event-hash';
import { IncrementalMerkleTree, leafHash } from './merkle';

/**
 * Recomputes everything from the log itself and says where it first goes wrong: each event's hash
 * from its content, each stream's chain and revisions, the Merkle root at every signed digest (and
 * each digest's signature). Where the service recorded the leaves it saw (its read models), the
 * first leaf that differs names the position of a removal, insertion or swap between two digests.
 */
export type ProblemKind =
  | 'missing_integrity'
  | 'content_changed'
  | 'chain_broken'
  | 'revision_gap'
  | 'out_of_order'
  | 'leaf_mismatch'
  | 'digest_mismatch'
  | 'digest_signature_invalid'
  | 'rolled_back'
  | 'position_gap';

export interface VerificationProblem {
  kind: ProblemKind;
  /** Position in the log of the event where the problem shows. */
  position: string;
  leafIndex: number;
  streamId?: string;
  revision?: number;
  detail: string;
}

export interface VerificationReport {
  ok: boolean;
  eventsChecked: number;
  digestsChecked: number;
  treeSize: number;
  rootHash: string;
  firstProblem?: VerificationProblem;
  problems: VerificationProblem[];
}

export interface RecordedLeaf {
  leafIndex: number;
  position: string;
  hash: string;
}

export interface VerifyOptions {
  /** Check digest signatures against this key (base64 SPKI) instead of the key each digest names. */
  trustedPublicKey?: string;
  /** The leaves as the service recorded them when the events arrived, in order. */
  recordedLeaves?: AsyncIterable<RecordedLeaf> | Iterable<RecordedLeaf>;
  onProgress?: (eventsChecked: number) => void;
  pageSize?: number;
}

const MAX_PROBLEMS = 100;

/** What the content says first, then what the chain and the record say about the same place. */
const KIND_ORDER: ProblemKind[] = ['position_gap', 'content_changed', 'missing_integrity', 'revision_gap', 'out_of_order', 'chain_broken', 'leaf_mismatch', 'rolled_back', 'digest_mismatch', 'digest_signature_invalid'];

function byPlaceInTheLog(a: VerificationProblem, b: VerificationProblem): number {
  const leaf = (problem: VerificationProblem) => (problem.leafIndex < 0 ? Number.MAX_SAFE_INTEGER : problem.leafIndex);
  if (leaf(a) !== leaf(b)) return leaf(a) - leaf(b);
  const positionA = BigInt(a.position);
  const positionB = BigInt(b.position);
  if (positionA !== positionB) return positionA < positionB ? -1 : 1;
  return KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
}

export async function verifyLog(store: EventStore, options: VerifyOptions = {}): Promise<VerificationReport> {
  const problems: VerificationProblem[] = [];
  const report = (problem: VerificationProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };

  const digestEvents = await store.readStream(DIGEST_STREAM);
  const digests = new Map<number, Array<{ digest: LogDigest; event: StoredEvent }>>();
  for (const event of digestEvents) {
    if (event.type !== DIGEST_EVENT_TYPE) continue;
    const digest = event.data as LogDigest;
    if (!digestSignatureValid(digest, options.trustedPublicKey)) {
      report({ kind: 'digest_signature_invalid', position: event.position.toString(), leafIndex: -1, streamId: DIGEST_STREAM, revision: event.revision, detail: `digest of tree size ${digest.treeSize} is not signed by the trusted key` });
    }
    digests.set(digest.treeSize, [...(digests.get(digest.treeSize) ?? []), { digest, event }]);
  }

  const recorded = options.recordedLeaves ? toIterator(options.recordedLeaves) : undefined;
  let leavesDiverged = false;
  const streams = new Map<string, { revision: number; hash: string }>();
  const tree = new IncrementalMerkleTree();
  let leafIndex = 0;
  let lastPosition = 0n;
  const consecutive = store.consecutivePositions;

  for await (const page of readAllPages(store, 0n, options.pageSize ?? 2000)) {
    for (const event of page) {
      const position = event.position.toString();
      const at = { position, leafIndex, streamId: event.streamId, revision: event.revision };
      if (consecutive && event.position > lastPosition + 1n) report(positionGap(lastPosition, event.position, leafIndex));
      const integrity = integrityOf(event);
      if (recorded && !leavesDiverged) {
        const leaf = await recorded.next();
        const recomputed = recomputedHash(event);
        if (!leaf.done && (leaf.value.position !== position || leaf.value.hash !== recomputed)) {
          leavesDiverged = true;
          report({
            kind: 'leaf_mismatch',
            ...at,
            position: leaf.value.position,
            detail: `leaf ${leafIndex} was recorded as the event at position ${leaf.value.position}; the log now has ${leaf.value.position === position ? 'other content' : `position ${position}`} there (changed, removed, inserted or moved)`,
          });
        }
      }
      const last = streams.get(event.streamId);
      const expectedRevision = last ? last.revision + 1 : 0;
      let hash: string;
      if (!integrity) {
        report({ kind: 'missing_integrity', ...at, detail: 'the event carries no integrity hash: it was not written by the ledger' });
        hash = eventHash(event, null);
      } else {
        hash = eventHash(event, integrity.previous);
        if (hash !== integrity.hash) report({ kind: 'content_changed', ...at, detail: 'the event’s content no longer matches its hash' });
        else if (event.revision > expectedRevision) {
          report({ kind: 'revision_gap', ...at, detail: `revision ${event.revision} follows ${expectedRevision - 1}: event(s) of this stream are missing` });
        } else if (event.revision < expectedRevision) {
          report({ kind: 'out_of_order', ...at, detail: `revision ${event.revision} comes after revision ${expectedRevision - 1}` });
        } else if (integrity.previous !== (last?.hash ?? null)) {
          report({ kind: 'chain_broken', ...at, detail: 'the event does not link to the stream’s previous event' });
        }
      }
      streams.set(event.streamId, { revision: Math.max(event.revision, last?.revision ?? -1), hash });
      tree.append(leafHash(leafDataOf(hash)));

      leafIndex++;
      lastPosition = event.position;

      for (const { digest } of digests.get(tree.size) ?? []) {
        const root = tree.root().toString('hex');
        if (root !== digest.rootHash || digest.lastPosition !== position) {
          report({
            kind: 'digest_mismatch',
            ...at,
            detail: `the first ${digest.treeSize} events (to position ${position}) do not match the digest signed at ${digest.signedAt} (its last position ${digest.lastPosition})`,
          });
        }
      }
      options.onProgress?.(leafIndex);
    }
  }
  if (recorded && !leavesDiverged) {
    const beyond = await leavesBeyondTheLog(store, recorded, lastPosition);
    if (beyond) {
      report({
        kind: 'rolled_back',
        position: beyond.first.position,
        leafIndex: beyond.first.leafIndex,
        detail: `the service recorded ${beyond.count} leaves (from position ${beyond.first.position}) beyond the end of the log at leaf ${leafIndex}: events were removed from its end (rolled back)`,
      });
    }
  }
  for (const [size, entries] of digests) {
    if (size > tree.size) {
      for (const { digest } of entries) {
        report({ kind: 'digest_mismatch', position: digest.lastPosition, leafIndex: size - 1, detail: `a digest covers ${size} events but the log holds ${tree.size}: events were removed` });
      }
    }
  }
  problems.sort(byPlaceInTheLog);
  return {
    ok: problems.length === 0,
    eventsChecked: leafIndex,
    digestsChecked: digestEvents.length,
    treeSize: tree.size,
    rootHash: tree.root().toString('hex'),
    ...(problems[0] && { firstProblem: problems[0] }),
    problems,
  };
}

/**
 * Positions missing between two events of a store whose positions have no gaps (or before the
 * first): events removed there, whatever the chains and the digests say.
 */
export function positionGap(previous: bigint, next: bigint, leafIndex: number): VerificationProblem {
  const first = previous + 1n;
  const count = next - first;
  const which = count === 1n ? `position ${first} is missing (1 event)` : `positions ${first}–${next - 1n} are missing (${count} events)`;
  return {
    kind: 'position_gap',
    position: first.toString(),
    leafIndex,
    detail: `${which}: this store numbers its events without gaps, so ${count === 1n ? 'an event was' : 'events were'} removed from the log here, before position ${next}`,
  };
}

/**
 * Leaves recorded after the last event read. A leaf is recorded only once its event is committed,
 * so one that the log no longer has, even now, is an event removed — not one appended meanwhile.
 */
async function leavesBeyondTheLog(store: EventStore, recorded: AsyncIterator<RecordedLeaf> | Iterator<RecordedLeaf>, lastPosition: bigint) {
  const first = await recorded.next();
  if (first.done) return undefined;
  if ((await store.readAll({ after: lastPosition, maxCount: 1 })).length > 0) return undefined;
  let count = 1;
  while (!(await recorded.next()).done) count++;
  return { first: first.value, count };
}

function toIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> & { next(): IteratorResult<T> | Promise<IteratorResult<T>> } {
  return Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
}
