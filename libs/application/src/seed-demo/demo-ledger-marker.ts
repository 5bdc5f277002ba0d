import { EventStore } from '@ledger/event-store';
import { WritePipeline, metadataOf } from '../write-pipeline';
import { commandLineChannel } from '../write-context';

/**
 * The mark of a demo ledger: the first event `seed-demo` writes, before any synthetic command, so
 * that seeding can tell a demo ledger (seeded again: records nothing new) from a real one (refused).
 * Not an aid event: projections, totals and reports pass over it, as over an import batch's event.
 */
export const DEMO_LEDGER_STREAM = 'demo-ledger';
export const DEMO_LEDGER_EVENT_TYPE = 'DemoLedgerMarked';

/**
 * Whether this ledger may be seeded: an empty one (to be marked first) or a marked one. Any other
 * ledger is refused, before anything is appended. `where` names the ledger in the refusal.
 */
export async function demoLedgerState(store: EventStore, where: string): Promise<'empty' | 'marked'> {
  if ((await store.readStream(DEMO_LEDGER_STREAM)).length > 0) return 'marked';
  const head = await store.headPosition();
  if (head > 0n) {
    throw new Error(`seed-demo refused: ${where} is not empty (${head} event${head === 1n ? '' : 's'}) and not a demo ledger; seed an empty data directory (npm run demo uses data-demo/)`);
  }
  return 'empty';
}

/** Writes the mark (idempotent: a fixed event id). Call it only for a ledger `demoLedgerState` found empty. */
export async function markDemoLedger(pipeline: WritePipeline): Promise<void> {
  if ((await pipeline.store.readStream(DEMO_LEDGER_STREAM)).length > 0) return;
  await pipeline.appendPrepared(
    DEMO_LEDGER_STREAM,
    [{ eventId: 'demo-ledger-marked', type: DEMO_LEDGER_EVENT_TYPE, data: { note: 'a synthetic demo ledger (seed-demo): no event in it is real aid' } }],
    metadataOf({ actor: { id: 'system:seed-demo', role: 'system' }, via: commandLineChannel() }),
    'no_stream',
  );
}

/** Marks an empty ledger as a demo, or finds it marked; refuses any other ledger. */
export async function markAsDemoLedger(pipeline: WritePipeline, where: string): Promise<'marked' | 'already marked'> {
  if ((await demoLedgerState(pipeline.store, where)) === 'marked') return 'already marked';
  await markDemoLedger(pipeline);
  return 'marked';
}
