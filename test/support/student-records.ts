import { EventStore, readAllPages } from '@ledger/event-store';
import { isStudentKey } from '@ledger/personal-data';
import type { LedgerUnderTest } from './ledger-app';

/** The opaque student key of the record a write answered with (`streamId` is `beneficiary-<key>`); throws unless it is one. */
export function studentKeyOfStream(streamId: string): string {
  const key = /^beneficiary-(.+)$/.exec(streamId)?.[1];
  if (!isStudentKey(key)) throw new Error(`${streamId} is not the stream of a student's record under an opaque key`);
  return key;
}

/** The record an identifier (or an opaque key) leads to, as the history route answers it: its key and its events' types. */
export async function recordOf(ledger: LedgerUnderTest, identifier: string): Promise<{ key: string; types: string[] }> {
  const history = await ledger.http.get(`/beneficiaries/${identifier}/history`).expect(200);
  return { key: history.body.studentKey, types: history.body.events.map((event: { type: string }) => event.type) };
}

/** Where the log holds any of `values` in clear, in a stream name or in an event's data or metadata (none: an empty list). */
export async function valuesInClear(store: EventStore, values: string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const page of readAllPages(store)) {
    for (const event of page) {
      const stored = JSON.stringify({ streamId: event.streamId, data: event.data, metadata: event.metadata });
      for (const value of values) if (stored.includes(value)) found.push(`${value} in ${event.streamId} at ${event.revision}`);
    }
  }
  return found;
}
