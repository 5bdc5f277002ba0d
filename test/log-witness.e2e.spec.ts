import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { EVENT_STORE } from '@ledger/application';
import { EventStore } from '@ledger/event-store';
import { DIGEST_EVENT_TYPE, DIGEST_STREAM, leafDataOf, leafHash, loadSigningKey, rootOf, signDigest } from '@ledger/integrity';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

/**
 * The service vouches only for the log it holds. Someone stops it, edits the event log behind its
 * back (protections removed) and starts it again on the edited files, its read models left as
 * they were: it must not sign a digest or prove anything over leaves the log no longer has, must
 * say why, and must not serve read models that are ahead of the log or disagree with it.
 */
describe('the log witness and the read models checked against the log at start', () => {
  let ledger: LedgerUnderTest;
  const copies: string[] = [];
  const positions: Record<string, number> = {};
  const eventIds: Record<string, string> = {};

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '0' });
    for (let i = 0; i < 40; i++) {
      const paid = await ledger.http.post('/disbursements').send(boardingPayment(700 + i, { disbursementId: `w-${i}` })).expect(201);
      positions[`paid-${i}`] = Number(paid.body.events[0].position);
      eventIds[`paid-${i}`] = paid.body.events[0].eventId;
      if (i === 29) await ledger.as('admin').post('/audit/digests').expect(200); // the digest an auditor keeps
    }
    await ledger.close();
  });
  afterAll(() => {
    rmSync(ledger.dataDir, { recursive: true, force: true });
    copies.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  /** Starts the service on a copy of the ledger after `tamper` edited its event log with a raw connection. */
  async function startAfter(tamper: (db: Database.Database) => void, env: Record<string, string> = {}, options: { forgetReadModels?: boolean } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-witnessed-'));
    copies.push(dir);
    cpSync(ledger.dataDir, dir, { recursive: true });
    // What the README tells operators to do to accept an older restore: the service forgets the log it had seen.
    if (options.forgetReadModels) for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, `read-models.sqlite${suffix}`), { force: true });
    const db = new Database(join(dir, 'ledger.sqlite'));
    db.exec('DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete;');
    tamper(db);
    const events = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    db.close();
    const lines: string[] = [];
    const copy = await LedgerUnderTest.reopen(dir, ledger.tokens, env, { logDestination: { write: (line: string) => void lines.push(line) } });
    return { copy, lines, events };
  }

  /** The integrity part of /health once the witness has finished its first pass. */
  async function integrityOnceChecked(copy: LedgerUnderTest) {
    for (let i = 0; i < 100; i++) {
      const health = await copy.as('anonymous').get('/health').expect(200);
      if (health.body.integrity.witness.state !== 'checking') return health.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the witness did not finish its first pass');
  }

  it('signs over exactly the log it holds when nothing was changed, and proves from it', async () => {
    const { copy, events } = await startAfter(() => undefined);
    const signed = await copy.as('admin').post('/audit/digests').expect(200);
    expect(signed.body.digest.treeSize).toBe(events);
    const health = await integrityOnceChecked(copy);
    expect(health.integrity.witness).toMatchObject({ state: 'witnessed' });
    expect(health.integrity.witness.alarm).toBeUndefined();
    await copy.as('anonymous').get('/health/ready').expect(200);
    const proof = await copy.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 10, secondSize: signed.body.digest.treeSize }).expect(200);
    expect(proof.body.secondRoot).toBe(signed.body.digest.rootHash);
    await copy.close();
  });

  it('after the last events were deleted (a rollback): refuses the read models, serves new payments, and signs and proves nothing', async () => {
    const { copy, lines, events } = await startAfter((db) => {
      const last = db.prepare('SELECT MAX(position) FROM events').pluck().get() as number;
      db.prepare('DELETE FROM events WHERE position > ?').run(last - 26);
    });
    // One line says why the read models were not served; they were rebuilt from the log.
    expect(lines.filter((line) => /read models refused/.test(line))).toHaveLength(1);
    expect(lines.find((line) => /read models refused/.test(line))).toMatch(/beyond the end of the log/);

    const health = await integrityOnceChecked(copy);
    expect(BigInt(health.readModelsLag)).toBeGreaterThanOrEqual(0n);
    expect(health.integrity.witness).toMatchObject({ state: 'alarm', alarm: { kind: 'rolled_back' } });

    const ready = await copy.as('anonymous').get('/health/ready').expect(503);
    expect(ready.body.reasons.join('\n')).toMatch(/integrity alarm: rolled_back at position \d+/);

    const digest = await copy.as('admin').post('/audit/digests').expect(503);
    expect(digest.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(digest.body).toMatchObject({ code: 'INTEGRITY_ALARM', integrity: { witness: { state: 'alarm' } } });
    await copy.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 10 }).expect(503);
    await copy.as('auditor').get('/audit/proofs/inclusion').query({ eventId: eventIds['paid-3'] }).expect(503);
    // What the log no longer holds is answered with the alarm too, not with "no such event" or "no such size".
    const removed = await copy.as('auditor').get('/audit/proofs/inclusion').query({ eventId: eventIds['paid-39'] }).expect(503);
    expect(removed.body).toMatchObject({ code: 'INTEGRITY_ALARM' });
    const beyond = await copy.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 10, secondSize: events + 26 }).expect(503);
    expect(beyond.body).toMatchObject({ code: 'INTEGRITY_ALARM' });

    // New payments are recorded and become visible (at positions the deleted events had).
    const paid = await copy.http.post('/disbursements').send(boardingPayment(990, { disbursementId: 'after-rollback' })).expect(201);
    expect(Number(paid.body.events[0].position)).toBeLessThanOrEqual(events + 26);
    await copy.http.get('/disbursements/after-rollback').expect(200);
    expect(BigInt((await copy.as('anonymous').get('/health').expect(200)).body.readModelsLag)).toBeGreaterThanOrEqual(0n);
    await copy.as('admin').post('/audit/digests').expect(503);
    await copy.close();
  });

  it('after an event was changed in place: names its position, and signs and proves nothing', async () => {
    const target = positions['paid-5'];
    const { copy } = await startAfter((db) => db.prepare("UPDATE events SET data = replace(data, '\"500.00\"', '\"5000.00\"') WHERE position = ?").run(target));
    const health = await integrityOnceChecked(copy);
    expect(health.integrity.witness).toMatchObject({ state: 'alarm', alarm: { kind: 'content_changed', position: String(target) } });
    // /health answers anyone: the alarm names the position, not the student's stream.
    expect(JSON.stringify(health)).not.toMatch(/beneficiary-|\d{17}[\dX]/);
    const ready = await copy.as('anonymous').get('/health/ready').expect(503);
    expect(ready.body.reasons.join('\n')).toMatch(new RegExp(`integrity alarm: content_changed at position ${target}`));
    const digest = await copy.as('admin').post('/audit/digests').expect(503);
    expect(digest.body).toMatchObject({ code: 'INTEGRITY_ALARM', detail: expect.stringMatching(new RegExp(`content_changed at position ${target}`)) });
    expect(JSON.stringify(digest.body)).not.toMatch(/beneficiary-|\d{17}[\dX]/);
    await copy.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 3 }).expect(503);
    const outside = await copy.as('auditor').get('/audit/proofs/inclusion').query({ eventId: eventIds['paid-39'], treeSize: 3 }).expect(503);
    expect(outside.body).toMatchObject({ code: 'INTEGRITY_ALARM' });
    expect((await copy.as('auditor').get('/audit/digests').expect(200)).body.digests).toHaveLength(1); // nothing new was signed
    await copy.close();
  });

  it('after the last event was changed in place: refuses the read models at start and rebuilds them, and the witness names it', async () => {
    let last = 0;
    const { copy, lines } = await startAfter((db) => {
      last = db.prepare('SELECT MAX(position) FROM events').pluck().get() as number;
      db.prepare("UPDATE events SET data = replace(data, '\"500.00\"', '\"5.00\"') WHERE position = ?").run(last);
    });
    expect(lines.filter((line) => /read models refused/.test(line))).toHaveLength(1);
    expect(lines.find((line) => /read models refused/.test(line))).toMatch(/content/);
    // Rebuilt from the log: the totals show what the log now says, not what the old read models held.
    const totals = await copy.http.get('/totals').query({ fiscalYear: 2022, programCode: 'BOARDING_LIVING_SUBSIDY' }).expect(200);
    expect(totals.body.totals[0].paid.amount.yuan).toBe('19505.00');
    const health = await integrityOnceChecked(copy);
    expect(health.readModelsRefusedAtStart).toMatch(/content changed/);
    expect(health.integrity.witness).toMatchObject({ state: 'alarm', alarm: { kind: 'content_changed', position: String(last) } });
    await copy.as('admin').post('/audit/digests').expect(503);
    await copy.close();
  });

  it('after a payment after the last digest was deleted, the read models too: names the missing positions, and signs and proves nothing', async () => {
    const first = positions['paid-35'];
    const { copy, lines } = await startAfter((db) => db.prepare('DELETE FROM events WHERE stream_id = (SELECT stream_id FROM events WHERE position = ?)').run(first), {}, { forgetReadModels: true });
    expect(lines.filter((line) => /read models refused/.test(line))).toHaveLength(0); // nothing recorded to compare with
    const health = await integrityOnceChecked(copy);
    expect(health.integrity.witness).toMatchObject({ state: 'alarm', alarm: { kind: 'position_gap', position: String(first) } });
    expect(lines.find((line) => /integrity alarm: position_gap/.test(line))).toMatch(new RegExp(`position ${first} is missing|positions ${first}–\\d+ are missing`));
    await copy.as('admin').post('/audit/digests').expect(503);
    const verified = await copy.as('auditor').get('/audit/verify').expect(200);
    expect(verified.body).toMatchObject({ ok: false, firstProblem: { kind: 'position_gap', position: String(first) } });
    await copy.close();
  });

  it('after the whole digest stream was deleted, the read models too: names the first missing position', async () => {
    let digestAt = 0;
    const { copy } = await startAfter(
      (db) => {
        digestAt = db.prepare("SELECT MIN(position) FROM events WHERE stream_id = 'integrity-digests'").pluck().get() as number;
        db.prepare("DELETE FROM events WHERE stream_id = 'integrity-digests'").run();
      },
      {},
      { forgetReadModels: true },
    );
    expect(digestAt).toBeGreaterThan(0);
    const health = await integrityOnceChecked(copy);
    expect(health.integrity.witness).toMatchObject({ state: 'alarm', alarm: { kind: 'position_gap', position: String(digestAt) } });
    const verified = await copy.as('auditor').get('/audit/verify').expect(200);
    expect(verified.body).toMatchObject({ ok: false, firstProblem: { kind: 'position_gap', position: String(digestAt) } });
    await copy.close();
  });

  it('answers 503 with its progress while the log is not checked yet (here: the read models cannot be rebuilt from it)', async () => {
    const { copy } = await startAfter(
      (db) => {
        // The last payment made a copy of the first: refused at start, the rebuilt history cannot take it.
        const first = db.prepare("SELECT data FROM events WHERE type = 'DisbursementRecorded' ORDER BY position LIMIT 1").pluck().get();
        db.prepare('UPDATE events SET data = ? WHERE position = (SELECT MAX(position) FROM events)').run(first);
      },
      { LEDGER_READ_WAIT_MS: '200' },
    );
    const refused = await copy.as('admin').post('/audit/digests').expect(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body).toMatchObject({
      code: 'INTEGRITY_CHECK_IN_PROGRESS',
      detail: expect.stringMatching(/still being checked .*\(\d+ events checked, to position \d+ of \d+\)/),
      integrity: { witness: { state: 'checking', eventsWitnessed: expect.any(Number), position: expect.any(String), checkingTo: expect.stringMatching(/^\d+$/) } },
    });
    await copy.as('auditor').get('/audit/proofs/consistency').query({ firstSize: 2 }).expect(503);
    await copy.close();
  });

  describe('while the service runs', () => {
    let live: LedgerUnderTest;
    beforeEach(async () => {
      live = await LedgerUnderTest.start({ LEDGER_DIGEST_EVERY: '0' });
      for (let i = 0; i < 12; i++) await live.http.post('/disbursements').send(boardingPayment(1700 + i)).expect(201);
    });
    afterEach(() => live.stop());

    /** The log's leaf hashes and positions, read from the file. */
    const logLeaves = () => {
      const db = new Database(join(live.dataDir, 'ledger.sqlite'), { readonly: true });
      const rows = db.prepare("SELECT position, json_extract(metadata, '$.integrity.hash') AS hash FROM events ORDER BY position").all() as Array<{ position: number; hash: string }>;
      db.close();
      return rows;
    };
    const digestSignedElsewhere = (size: number, rootHash?: string) => {
      const rows = logLeaves().slice(0, size);
      const key = loadSigningKey(readFileSync(join(live.dataDir, 'signing-key.pem'), 'utf8'));
      return signDigest(key, { treeSize: size, rootHash: rootHash ?? rootOf(rows.map((row) => leafHash(leafDataOf(row.hash)))).toString('hex'), lastPosition: String(rows[size - 1].position), signedAt: new Date().toISOString() });
    };
    const appendDigest = async (digest: ReturnType<typeof signDigest>) => {
      const store = live.app.get<EventStore>(EVENT_STORE);
      const existing = await store.readStream(DIGEST_STREAM);
      await store.appendToStream(DIGEST_STREAM, [{ eventId: crypto.randomUUID(), type: DIGEST_EVENT_TYPE, schemaVersion: 1, data: digest, metadata: { actor: { id: 'system:digest', role: 'system' } } }], existing.length ? existing[existing.length - 1].revision : 'no_stream');
    };
    const untilWitnessed = async () => {
      const head = BigInt(await live.logPosition());
      for (let i = 0; i < 100; i++) {
        const { witness } = (await live.as('anonymous').get('/health').expect(200)).body.integrity;
        if (witness.state === 'alarm' || BigInt(witness.position) >= head) return witness;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the witness did not reach the head');
    };

    it('checks a digest signed elsewhere at a size it kept nothing for, from the leaves it checked', async () => {
      await appendDigest(digestSignedElsewhere(7));
      expect(await untilWitnessed()).toMatchObject({ state: 'witnessed' });
      await live.as('admin').post('/audit/digests').expect(200);
    });

    it('raises the alarm for a digest signed elsewhere that does not match the log', async () => {
      await appendDigest(digestSignedElsewhere(7, 'ab'.repeat(32)));
      expect(await untilWitnessed()).toMatchObject({ state: 'alarm', alarm: { kind: 'digest_mismatch', position: String(logLeaves()[6].position) } });
      await live.as('admin').post('/audit/digests').expect(503);
    });

    it('raises the alarm for an event written behind its back, before any digest covers it', async () => {
      const db = new Database(join(live.dataDir, 'ledger.sqlite'));
      const copied = db.prepare("SELECT * FROM events WHERE type = 'DisbursementRecorded' ORDER BY position LIMIT 1").get() as Record<string, unknown>;
      const forged = { ...JSON.parse(copied.data as string), disbursementId: 'forged-1', amount: '50000.00' };
      const info = db
        .prepare('INSERT INTO events (event_id, stream_id, revision, type, schema_version, data, metadata, recorded_at) VALUES (?, ?, 0, ?, ?, ?, ?, ?)')
        .run('f0f0f0f0-0000-4000-8000-000000000001', 'beneficiary-650000200001010000', copied.type, copied.schema_version, JSON.stringify(forged), copied.metadata, copied.recorded_at);
      db.close();
      const witness = await untilWitnessed();
      expect(witness).toMatchObject({ state: 'alarm', alarm: { kind: 'content_changed', position: String(info.lastInsertRowid) } });
      const refused = await live.as('admin').post('/audit/digests').expect(503);
      expect(refused.body.code).toBe('INTEGRITY_ALARM');
      expect((await live.as('auditor').get('/audit/digests').expect(200)).body.digests).toHaveLength(0);
    });
  });
});
