import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from '@ledger/event-store';
import { ALL_PROJECTIONS, ReadModels, dumpTables, rebuildReadModels } from '@ledger/projections';
import { EVENT_STORE, READ_MODELS } from '@ledger/application';
import { LedgerUnderTest, inParallel } from './support/ledger-app';
import { studentKeyOfStream } from './support/student-records';
import { boardingPayment as boarding, residentId, schoolCode, studentNumberJ } from './support/students';

describe('ledger workflows over HTTP', () => {
  let ledger: LedgerUnderTest;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
  });
  afterAll(async () => {
    await ledger.stop();
  });

  it('accepts exactly one of 20 concurrent payments of one program to one student for one term', async () => {
    const before = BigInt(await ledger.logPosition());
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        ledger.http.post('/disbursements').set('Idempotency-Key', `race-${n}`).send(boarding(1000, { disbursementId: `race-${n}` })),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(19).fill('DUPLICATE_PAYMENT'));
    expect(BigInt(await ledger.logPosition())).toBe(before + 1n);
    const totals = await ledger.http.get('/totals').query({ fiscalYear: 2022, schoolCode: schoolCode('21', 1 + (1000 % 5)) });
    expect(totals.body.totals[0].net).toMatchObject({ personTimes: 1, students: 1, amount: { yuan: '500.00' } });
  });

  it('answers a retried request with the same Idempotency-Key as the first time, recording nothing', async () => {
    const body = boarding(2000);
    const first = await ledger.http.post('/disbursements').set('Idempotency-Key', 'retry-me').send(body).expect(201);
    const position = await ledger.logPosition();
    const again = await ledger.http.post('/disbursements').set('Idempotency-Key', 'retry-me').send(body).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await ledger.logPosition()).toBe(position);
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => ledger.http.post('/disbursements').set('Idempotency-Key', 'retry-concurrently').send(boarding(2001))),
    );
    expect(concurrent.map((r) => r.status)).toEqual(Array(5).fill(201));
    expect(new Set(concurrent.map((r) => r.body.disbursementId)).size).toBe(1);
    expect(BigInt(await ledger.logPosition())).toBe(BigInt(position) + 1n);
  });

  it('reverses a payment with a reason, nets it out of the totals, and pays again', async () => {
    const student = residentId(3000);
    const paid = await ledger.http.post('/disbursements').send(boarding(3000, { disbursementId: 'to-reverse', schoolCode: schoolCode('21', 900) })).expect(201);
    const reversal = await ledger.http
      .post('/disbursements/to-reverse/reversal')
      .send({ reason: 'paid twice by the bank', valueDate: '2022-12-01' })
      .expect(201);
    expect(reversal.body.events[0].type).toBe('DisbursementReversed');
    const view = await ledger.http.get('/disbursements/to-reverse').expect(200);
    expect(view.body).toMatchObject({ status: 'reversed', amount: '500.00', reversal: { reason: 'paid twice by the bank' }, beneficiaryKey: studentKeyOfStream(paid.body.streamId), student: { residentId: student } });
    expect(reversal.body.streamId).toBe(paid.body.streamId);
    let totals = await ledger.http.get('/totals').query({ fiscalYear: 2022, schoolCode: schoolCode('21', 900) });
    expect(totals.body.totals[0]).toMatchObject({
      paid: { personTimes: 1, amount: { yuan: '500.00' } },
      reversed: { personTimes: 1, amount: { yuan: '500.00' } },
      net: { personTimes: 0, students: 0, amount: { yuan: '0.00' } },
    });
    await ledger.http.post('/disbursements').send(boarding(3000, { disbursementId: 'paid-again', schoolCode: schoolCode('21', 900) })).expect(201);
    totals = await ledger.http.get('/totals').query({ fiscalYear: 2022, schoolCode: schoolCode('21', 900) });
    expect(totals.body.totals[0].net).toMatchObject({ personTimes: 1, students: 1, amount: { yuan: '500.00' } });
    const history = await ledger.http.get(`/beneficiaries/${student}/history`).expect(200);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['DisbursementRecorded', 'DisbursementReversed', 'DisbursementRecorded']);
    expect(history.body.events[1].data.reason).toBe('paid twice by the bank');
    expect(history.body.events[0].actor).toEqual({ id: 'officer', role: 'finance_officer' });
  });

  it('lends within the cap, takes repayments, and shows what is outstanding', async () => {
    const loan = {
      loanId: 'loan-A',
      student: { residentId: residentId(4000, 2003) },
      schoolCode: schoolCode('41', 10694),
      stage: 'undergraduate',
      programCode: 'ORIGIN_CREDIT_LOAN',
      period: '2022-2023',
      amount: '12000.00',
      payee: { type: 'university_fee_account', name: 'Xinjiang University', account: '6222020200112233' },
      valueDate: '2022-09-20',
    };
    await ledger.http.post('/loans').send(loan).expect(201);
    await ledger.http.post('/loans/loan-A/repayments').send({ amount: '2500.00', valueDate: '2025-12-20' }).expect(201);
    const totals = await ledger.http.get('/totals').query({ fiscalYear: 2022, programCode: 'ORIGIN_CREDIT_LOAN' }).expect(200);
    expect(totals.body.totals[0]).toMatchObject({
      net: { students: 1, amount: { yuan: '12000.00' } },
      loans: { repaid: { yuan: '2500.00' }, outstanding: { yuan: '9500.00' } },
    });
    const over = await ledger.http.post('/loans/loan-A/repayments').send({ amount: '9500.01', valueDate: '2026-06-20' });
    expect(over.body.code).toBe('REPAYMENT_EXCEEDS_OUTSTANDING');
  });

  describe('one payment id (编号) that two students have: schools number their lists 1, 2, 3 …', () => {
    const first = residentId(6000);
    const second = residentId(6001);
    const secondJ = studentNumberJ(6001);
    const loanOf = (id: string) => ({
      loanId: 'L-shared', student: { residentId: id }, schoolCode: schoolCode('41', 10694), stage: 'undergraduate', programCode: 'ORIGIN_CREDIT_LOAN',
      period: '2022-2023', amount: '6000.00', payee: { type: 'university_fee_account', name: 'Xinjiang University' }, valueDate: '2022-09-20',
    });
    /** The opaque keys of the two students' records, as the ledger answered their payments. */
    let firstKey: string;
    let secondKey: string;
    beforeAll(async () => {
      firstKey = studentKeyOfStream((await ledger.http.post('/disbursements').send(boarding(6000, { disbursementId: 'QX2022-0002' })).expect(201)).body.streamId);
      const secondPaid = await ledger.http.post('/disbursements').send(boarding(6001, { disbursementId: 'QX2022-0002', student: { residentId: second, studentNumber: secondJ }, amount: '500.00' })).expect(201);
      secondKey = studentKeyOfStream(secondPaid.body.streamId);
      await ledger.http.post('/loans').send(loanOf(residentId(6002, 2003))).expect(201);
      await ledger.http.post('/loans').send(loanOf(residentId(6003, 2003))).expect(201);
    });

    it('reads the payment of the student named by any of their identifiers, in the query', async () => {
      const byId = await ledger.http.get('/disbursements/QX2022-0002').query({ residentId: first }).expect(200);
      expect(firstKey).not.toBe(secondKey);
      expect(byId.body).toMatchObject({ disbursementId: 'QX2022-0002', beneficiaryKey: firstKey, student: { residentId: first }, status: 'paid' });
      const byG = await ledger.http.get('/disbursements/QX2022-0002').query({ studentNumber: `G${second}` }).expect(200);
      expect(byG.body).toMatchObject({ beneficiaryKey: secondKey });
      const byJ = await ledger.http.get('/disbursements/QX2022-0002').query({ studentNumber: secondJ.toLowerCase() }).expect(200);
      expect(byJ.body).toMatchObject({ beneficiaryKey: secondKey });
      const both = await ledger.http.get('/disbursements/QX2022-0002').query({ residentId: second, studentNumber: secondJ }).expect(200);
      expect(both.body).toMatchObject({ beneficiaryKey: secondKey, student: { residentId: second, studentNumber: secondJ } });
    });

    it('says how to name the student when the id alone is ambiguous', async () => {
      const response = await ledger.http.get('/disbursements/QX2022-0002').expect(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code: 'RECORD_ID_AMBIGUOUS' });
      expect(response.body.detail).toBe('2 students have a disbursement QX2022-0002: name the student with ?residentId=… or ?studentNumber=… (any of their identifiers)');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['residentId', 'studentNumber']);
    });

    it('answers 404 for a student who has no payment of that id, 400 for a bad identifier or an unknown parameter', async () => {
      const other = await ledger.http.get('/disbursements/QX2022-0002').query({ residentId: residentId(1000) });
      expect({ status: other.status, code: other.body.code }).toEqual({ status: 404, code: 'DISBURSEMENT_NOT_FOUND' });
      const nobody = await ledger.http.get('/disbursements/QX2022-0002').query({ residentId: residentId(6999) });
      expect({ status: nobody.status, code: nobody.body.code }).toEqual({ status: 404, code: 'DISBURSEMENT_NOT_FOUND' });
      const bad = await ledger.http.get('/disbursements/QX2022-0002').query({ residentId: '654002201001010010' });
      expect({ status: bad.status, code: bad.body.code, field: bad.body.errors[0].field }).toEqual({ status: 400, code: 'RESIDENT_ID_INVALID', field: 'residentId' });
      const disagree = await ledger.http.get('/disbursements/QX2022-0002').query({ residentId: first, studentNumber: `G${second}` });
      expect({ status: disagree.status, code: disagree.body.code }).toEqual({ status: 400, code: 'STUDENT_IDENTIFIERS_DISAGREE' });
      const unknown = await ledger.http.get('/disbursements/QX2022-0002').query({ student: first });
      expect({ status: unknown.status, code: unknown.body.code, field: unknown.body.errors[0].field }).toEqual({ status: 400, code: 'REQUEST_INVALID', field: 'student' });
    });

    it('reverses and repays by an ambiguous id only with the student named in the body, appending nothing until then', async () => {
      const before = await ledger.logPosition();
      const reversal = await ledger.http.post('/disbursements/QX2022-0002/reversal').send({ reason: 'paid twice', valueDate: '2022-12-01' }).expect(409);
      expect(reversal.body.detail).toBe('2 students have a disbursement QX2022-0002: name the student in the body, "student": {"residentId": …} or {"studentNumber": …}');
      const repayment = await ledger.http.post('/loans/L-shared/repayments').send({ amount: '1.00', valueDate: '2022-12-01' }).expect(409);
      expect(repayment.body).toMatchObject({ code: 'RECORD_ID_AMBIGUOUS', errors: [{ field: 'student' }] });
      expect(await ledger.logPosition()).toBe(before);
      await ledger.http.post('/disbursements/QX2022-0002/reversal').send({ reason: 'paid twice', valueDate: '2022-12-01', student: { studentNumber: secondJ } }).expect(201);
      await ledger.http.post('/loans/L-shared/repayments').send({ amount: '1.00', valueDate: '2022-12-01', student: { residentId: residentId(6003, 2003) } }).expect(201);
      expect((await ledger.http.get('/disbursements/QX2022-0002').query({ residentId: second }).expect(200)).body.status).toBe('reversed');
      expect((await ledger.http.get('/disbursements/QX2022-0002').query({ residentId: first }).expect(200)).body.status).toBe('paid');
    });
  });

  it('records approvals (拟享受) apart from payments', async () => {
    await ledger.http
      .post('/approvals')
      .send({
        approvalId: 'approve-1',
        student: { residentId: residentId(5000) },
        schoolCode: schoolCode('31', 77),
        stage: 'junior',
        programCode: 'NON_BOARDING_LIVING_SUBSIDY',
        period: '2022-autumn',
        amount: '312.50',
        approvedOn: '2022-09-15',
      })
      .expect(201);
    const totals = await ledger.http.get('/totals').query({ fiscalYear: 2022, programCode: 'NON_BOARDING_LIVING_SUBSIDY' }).expect(200);
    expect(totals.body.totals[0]).toMatchObject({
      approved: { personTimes: 1, students: 1, amount: { yuan: '312.50', wanYuan: '0.03125' } },
      paid: { personTimes: 0 },
    });
  });

  it('answers totals as recorded by a date or up to a position, by replay', async () => {
    const now = await ledger.http.get('/totals').query({ fiscalYear: 2022 }).expect(200);
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const asOfToday = await ledger.http.get('/totals').query({ fiscalYear: 2022, recordedBy: today }).expect(200);
    expect(asOfToday.body.totals).toEqual(now.body.totals);
    const before = await ledger.http.get('/totals').query({ recordedBy: '2021-12-31' }).expect(200);
    expect(before.body).toMatchObject({ eventsReplayed: 0, totals: [] });
    const early = await ledger.http.get('/totals').query({ fiscalYear: 2022, asOfPosition: '3' }).expect(200);
    expect(early.body.eventsReplayed).toBe(3);
    const bad = await ledger.http.get('/totals').query({ recordedBy: 'yesterday' });
    expect({ status: bad.status, field: bad.body.errors[0].field }).toEqual({ status: 400, field: 'recordedBy' });
  });

  it('serves the catalog and the OpenAPI document', async () => {
    const programs = await ledger.http.get('/programs').expect(200);
    expect(programs.body.programs).toHaveLength(10);
    const yulu = await ledger.http.get('/programs/YULU_PLAN').expect(200);
    expect(yulu.body).toMatchObject({ name: { zh: '雨露计划' }, standards: [{ rule: 'fixed', amounts: { secondary_vocational: ['3000.00'] } }] });
    const openapi = await ledger.http.get('/docs-json').expect(200);
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/disbursements', '/totals', '/loans/{loanId}/repayments']));
  });

  it('after a mixed workload, read models rebuilt from the log equal the live ones row by row', async () => {
    const work = Array.from({ length: 300 }, (_, i) => async () => {
      const body = boarding(10_000 + (i % 120), {
        disbursementId: `mixed-${i}`,
        period: ['2022-spring', '2022-autumn', '2023-spring'][i % 3],
        valueDate: ['2022-04-01', '2022-10-01', '2023-04-01'][i % 3],
      });
      const response = await ledger.http.post('/disbursements').send(body);
      if (response.status === 201 && i % 7 === 0) {
        await ledger.http.post(`/disbursements/mixed-${i}/reversal`).send({ reason: 'test reversal', valueDate: '2023-05-01' });
      }
      if (i % 50 === 0) {
        await ledger.http
          .post('/budgets/allocations')
          .send({ programCode: 'BOARDING_LIVING_SUBSIDY', fiscalYear: 2022, fundingSource: i % 100 === 0 ? 'CENTRAL' : 'LOCAL', amount: '250000.00', valueDate: '2022-03-01' });
      }
      return response.status;
    });
    const statuses = await inParallel(8, work);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);
    await ledger.http.get('/totals').expect(200); // waits for the projections to reach the head

    const live = ledger.app.get<ReadModels>(READ_MODELS);
    const store = ledger.app.get<EventStore>(EVENT_STORE);
    const dir = mkdtempSync(join(tmpdir(), 'ledger-rebuild-'));
    const rebuilt = await rebuildReadModels(store, join(dir, 'rebuilt.sqlite'), ALL_PROJECTIONS);
    const tables = ALL_PROJECTIONS.flatMap((projection) => projection.tables);
    const liveRows = dumpTables(live.db, tables);
    const rebuiltRows = dumpTables(rebuilt.db, tables);
    expect(liveRows.aid_lines.length).toBeGreaterThan(100);
    for (const table of tables) expect({ table, rows: rebuiltRows[table] }).toEqual({ table, rows: liveRows[table] });
    await rebuilt.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('starting the service', () => {
  it('stops with a message naming the bad catalog entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-catalog-'));
    const path = join(dir, 'programs.yaml');
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(path, readFileSync(join(__dirname, '../config/programs.yaml'), 'utf8').replace('fixed: { secondary_vocational: "3000.00"', 'fixed: { secondary_vocational: "3000.001"'));
    await expect(LedgerUnderTest.start({ LEDGER_CATALOG: path })).rejects.toThrow(/programs\[6\] \(YULU_PLAN\)\.standards\[0\]\.fixed\.secondary_vocational/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('on first start creates an admin whose token is left in a private file, and only once', async () => {
    const ledger = await LedgerUnderTest.start();
    const { readFileSync, statSync, rmSync: remove } = await import('node:fs');
    const path = join(ledger.dataDir, 'first-run-admin.token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const token = readFileSync(path, 'utf8').trim();
    const me = await ledger.as({ token }).get('/me').expect(200);
    expect(me.body).toMatchObject({ userId: 'admin', role: 'admin' });
    remove(path);
    await ledger.restart();
    expect(() => statSync(path)).toThrow();
    await ledger.stop();
  });

  it('creates the data files where the settings say', async () => {
    const ledger = await LedgerUnderTest.start();
    const db = new Database(ledger.settings.eventStorePath, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'").pluck().get()).toBe('events');
    db.close();
    await ledger.stop();
  });
});
