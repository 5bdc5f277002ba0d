import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

/**
 * Someone with the data files edits the event log behind the service's back, protections removed:
 * changes an event, deletes one, inserts one, swaps two. `verify` must notice each and name the
 * position; the untouched ledger verifies clean.
 */
describe('tamper evidence on a real SQLite ledger file', () => {
  let ledger: LedgerUnderTest;
  const copies: string[] = [];
  const positions: Record<string, number> = {};

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '8' });
    for (let i = 0; i < 24; i++) {
      const paid = await ledger.http.post('/disbursements').send(boardingPayment(600 + i, { disbursementId: `t-${i}` })).expect(201);
      positions[`paid-${i}`] = Number(paid.body.events[0].position);
      if (i % 4 === 0) {
        const reversed = await ledger.http.post(`/disbursements/t-${i}/reversal`).send({ reason: 'test', valueDate: '2022-11-01' }).expect(201);
        positions[`reversed-${i}`] = Number(reversed.body.events[0].position);
      }
    }
    await ledger.as('admin').post('/audit/digests').expect(200);
    await ledger.close();
  });
  afterAll(() => {
    rmSync(ledger.dataDir, { recursive: true, force: true });
    copies.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  /** Verifies a copy of the ledger after `tamper` edited its event log with a raw connection. */
  async function verifyAfter(tamper: (db: Database.Database) => void) {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-tampered-'));
    copies.push(dir);
    cpSync(ledger.dataDir, dir, { recursive: true });
    const db = new Database(join(dir, 'ledger.sqlite'));
    db.exec('DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete;');
    tamper(db);
    db.close();
    const copy = await LedgerUnderTest.reopen(dir, ledger.tokens);
    const report = await copy.as('auditor').get('/audit/verify').expect(200);
    await copy.close();
    return report.body;
  }

  it('verifies an untouched ledger clean, digests and all', async () => {
    const report = await verifyAfter(() => undefined);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.digestsChecked).toBeGreaterThanOrEqual(3);
    expect(report.eventsChecked).toBeGreaterThan(30);
  });

  it('names the position of an event whose data was changed', async () => {
    const target = positions['paid-5'];
    const report = await verifyAfter((db) => db.prepare("UPDATE events SET data = replace(data, '\"500.00\"', '\"5000.00\"') WHERE position = ?").run(target));
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'content_changed', position: String(target) });
  });

  it('names the position of a deleted event', async () => {
    const target = positions['paid-8']; // its stream goes on with the reversal
    const report = await verifyAfter((db) => db.prepare('DELETE FROM events WHERE position = ?').run(target));
    expect(report.ok).toBe(false);
    // SQLite numbers its events without gaps: the missing position says it first, the recorded leaves and the chain agree.
    expect(report.firstProblem).toMatchObject({ kind: 'position_gap', position: String(target) });
    expect(report.problems.map((problem: { kind: string }) => problem.kind)).toEqual(expect.arrayContaining(['leaf_mismatch', 'revision_gap', 'digest_mismatch']));
  });

  it('names the position where an event was inserted', async () => {
    const target = positions['paid-10'];
    const report = await verifyAfter((db) => {
      const rows = db.prepare('SELECT position FROM events WHERE position >= ? ORDER BY position DESC').pluck().all(target) as number[];
      for (const position of rows) db.prepare('UPDATE events SET position = position + 1 WHERE position = ?').run(position);
      const copied = db.prepare('SELECT * FROM events WHERE position = ?').get(positions['paid-3']) as Record<string, unknown>;
      db.prepare('INSERT INTO events (position, event_id, stream_id, revision, type, schema_version, data, metadata, recorded_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)').run(
        target,
        'f0f0f0f0-0000-4000-8000-000000000000',
        'beneficiary-650000200001010000',
        copied.type,
        copied.schema_version,
        copied.data,
        copied.metadata,
        copied.recorded_at,
      );
    });
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ position: String(target) });
    expect(report.problems.filter((problem: { position: string }) => problem.position === String(target)).map((problem: { kind: string }) => problem.kind)).toEqual(
      expect.arrayContaining(['content_changed', 'leaf_mismatch']),
    );
  });

  it('names the first position of two swapped events', async () => {
    const [first, second] = [positions['paid-13'], positions['paid-17']];
    const report = await verifyAfter((db) => {
      const columns = 'event_id, stream_id, revision, type, schema_version, data, metadata, recorded_at';
      const a = db.prepare(`SELECT ${columns} FROM events WHERE position = ?`).get(first) as Record<string, unknown>;
      const b = db.prepare(`SELECT ${columns} FROM events WHERE position = ?`).get(second) as Record<string, unknown>;
      const put = db.prepare('UPDATE events SET event_id = @event_id, stream_id = @stream_id, revision = @revision, type = @type, schema_version = @schema_version, data = @data, metadata = @metadata, recorded_at = @recorded_at WHERE position = @position');
      put.run({ ...a, event_id: 'temporary', stream_id: 'temporary', position: second });
      put.run({ ...b, position: first });
      db.prepare('UPDATE events SET event_id = ?, stream_id = ? WHERE position = ?').run(a.event_id, a.stream_id, second);
    });
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'leaf_mismatch', position: String(first) });
    expect(report.problems.map((problem: { kind: string }) => problem.kind)).toContain('digest_mismatch');
  });
});
