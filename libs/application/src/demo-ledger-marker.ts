import { EventStore } from '@ledger/event-store';

/**
 * The mark of a demo ledger: the first event `seed-demo` writes, before any synthetic command, so
 * that seeding can tell a demo ledger (seeded again: records nothing new) from a real one (refused).
 * Not an aid event: projections, totals and reports pass over it, as over an import batch's event.
 */
export const DEMO_LEDGER_STREAM = 'demo-ledger';
export const DEMO_LEDGER_EVENT_TYPE = 'DemoLedgerMarked';

/**
 * Marks an empty ledger as a demo, or finds it marked; refuses any other ledger. `where` names the
 * ledger in the refusal.
 */
export async function markAsDemoLedger(store: EventStore, where: string): Promise<'marked' | 'already marked'> {
  if ((await store.readStream(DEMO_LEDGER_STREAM)).length > 0) return 'already marked';
  const head = await store.headPosition();
  if (head > 0n) {
    throw new Error(`seed-demo refused: ${where} is not empty (${head} event${head === 1n ? '' : 's'}) and not a demo ledger; seed an empty data directory (npm run demo uses data-demo/)`);
  }
  await store.appendToStream(
    DEMO_LEDGER_STREAM,
    [
      {
        eventId: 'demo-ledger-marked',
        type: DEMO_LEDGER_EVENT_TYPE,
        schemaVersion: 1,
        data: { note: 'a synthetic demo ledger (seed-demo): no event in it is real aid' },
        metadata: { actor: { id: 'system:seed-demo', role: 'system' } },
      },
    ],
    'no_stream',
  );
  return 'marked';
}
