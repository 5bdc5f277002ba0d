import { ANOMALY_KINDS, Anomaly } from '@ledger/domain';
import { EventStore, readAllPages } from '@ledger/event-store';
import { eventHash, integrityOf } from '@ledger/integrity';
import { csvForExcel } from './csv-file';

/** The log as NDJSON lines: each event with its leaf index and its hash recomputed from its content. */
export async function* exportLogLines(store: EventStore): AsyncGenerator<string> {
  let leafIndex = 0;
  for await (const page of readAllPages(store, 0n, 2000)) {
    for (const event of page) {
      const integrity = integrityOf(event);
      yield `${JSON.stringify({
        leafIndex: leafIndex++,
        position: event.position.toString(),
        eventId: event.eventId,
        streamId: event.streamId,
        revision: event.revision,
        type: event.type,
        schemaVersion: event.schemaVersion,
        recordedAt: event.recordedAt,
        data: event.data,
        metadata: event.metadata,
        hash: eventHash(event, integrity ? integrity.previous : null),
      })}\n`;
    }
  }
}

export const ANOMALY_CSV_COLUMNS = ['kind', 'description', 'programCode', 'fiscalYear', 'period', 'beneficiaryKey', 'detail', 'positions'];

/** Anomalies as CSV, one row each, with the kind's description and the positions separated by spaces. */
export function anomaliesCsv(anomalies: Anomaly[]): string {
  return csvForExcel(
    anomalies.map((anomaly) => ({ ...anomaly, description: ANOMALY_KINDS[anomaly.kind], positions: anomaly.positions.join(' ') })),
    { header: true, columns: ANOMALY_CSV_COLUMNS },
  );
}
