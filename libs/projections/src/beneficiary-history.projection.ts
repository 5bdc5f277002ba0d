import type Database from 'better-sqlite3';
import { Money } from '@ledger/domain';
import { firstRecordedAt } from '@ledger/event-store';
import { Projection } from './projection';

/**
 * Beneficiary history (every event of one student, with who recorded it and when) and the
 * disbursement register (one row per payment with its current status), for officers and auditors.
 */
export const beneficiaryHistoryProjection: Projection = {
  name: 'beneficiary-history',
  version: 2,
  tables: ['beneficiary_events', 'disbursements'],
  schema: `
    CREATE TABLE IF NOT EXISTS beneficiary_events (
      beneficiary_key TEXT    NOT NULL,
      position        INTEGER NOT NULL,
      event_id        TEXT    NOT NULL,
      type            TEXT    NOT NULL,
      data            TEXT    NOT NULL,
      actor           TEXT,
      recorded_at     TEXT    NOT NULL,
      PRIMARY KEY (beneficiary_key, position)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS disbursements (
      disbursement_id   TEXT    NOT NULL,
      beneficiary_key   TEXT    NOT NULL,
      program_code      TEXT    NOT NULL,
      period            TEXT    NOT NULL,
      school_code       TEXT    NOT NULL,
      stage             TEXT    NOT NULL,
      amount_fen        INTEGER NOT NULL,
      payee_type        TEXT    NOT NULL,
      value_date        TEXT    NOT NULL,
      position          INTEGER NOT NULL,
      recorded_at       TEXT    NOT NULL,
      status            TEXT    NOT NULL CHECK (status IN ('paid', 'reversed')),
      reversal_reason   TEXT,
      reversal_reason_code TEXT,
      reversal_position INTEGER,
      PRIMARY KEY (disbursement_id, beneficiary_key)
    ) STRICT, WITHOUT ROWID;
  `,
  prepare(db: Database.Database) {
    const addEvent = db.prepare(
      'INSERT INTO beneficiary_events (beneficiary_key, position, event_id, type, data, actor, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const addDisbursement = db.prepare(`
      INSERT INTO disbursements (disbursement_id, beneficiary_key, program_code, period, school_code, stage, amount_fen,
                                 payee_type, value_date, position, recorded_at, status)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'paid')`);
    const reverse = db.prepare(`
      UPDATE disbursements SET status = 'reversed', reversal_reason = ?, reversal_reason_code = ?, reversal_position = ?
      WHERE disbursement_id = ? AND beneficiary_key = ?`);

    return (event, stored) => {
      if (event.type === 'BudgetAllocated') return;
      // Who recorded it, and how when not over HTTP (a CLI import says so: via).
      const { actor, via } = stored.metadata;
      addEvent.run(
        event.data.beneficiary.key,
        stored.position,
        stored.eventId,
        event.type,
        JSON.stringify(event.data),
        actor ? JSON.stringify(via === undefined ? actor : { ...actor, via }) : null,
        firstRecordedAt(stored),
      );
      if (event.type === 'DisbursementRecorded') {
        const { data } = event;
        addDisbursement.run(
          data.disbursementId,
          data.beneficiary.key,
          data.programCode,
          data.period,
          data.schoolCode,
          data.stage,
          Money.parse(data.amount).fen,
          data.payee.type,
          data.valueDate,
          stored.position,
          firstRecordedAt(stored),
        );
      } else if (event.type === 'DisbursementReversed') {
        reverse.run(event.data.reason, event.data.reasonCode, stored.position, event.data.disbursementId, event.data.beneficiary.key);
      }
    };
  },
};
