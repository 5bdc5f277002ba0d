import { join } from 'node:path';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { EVENT_STORE, READ_MODELS } from '@ledger/application';
import { PERSONAL_DATA_DISCLOSURES_STREAM } from '@ledger/domain';
import { EventStore, openReadOnlyDatabase } from '@ledger/event-store';
import { ReadModels, dumpTables, personalDataDisclosuresProjection, rebuildReadModels } from '@ledger/projections';
import { ANSWERS_PERSONAL_DATA, ROUTE_ROLES } from '../apps/ledger-api/src/access/route-permissions';
import { runCli } from './support/cli';
import { LedgerUnderTest, sqliteConnectionOf } from './support/ledger-app';
import { studentKeyOfStream } from './support/student-records';
import { boardingPayment, residentId, schoolCode } from './support/students';


const chinaToday = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
const chinaDay = (offsetDays: number) => new Date(Date.now() + 8 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);

/**
 * The record of processing: every answer that leaves the service with personal data unmasked is
 * recorded (PersonalDataDisclosed) before it is sent, and refused when it cannot be; auditors and
 * admins list the record at GET /audit/personal-data-access.
 */
describe('the record of who had personal data disclosed', () => {
  let ledger: LedgerUnderTest;
  const id = residentId(11, 2011);
  const card = '6222020200112233445';
  const name = '古丽娜尔·艾力';
  /** The opaque key of the student's record, as the ledger answered the payment. */
  let key: string;

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    const paid = await ledger.http
      .post('/disbursements')
      .send({
        disbursementId: 'pd-1',
        student: { residentId: id, name },
        schoolCode: schoolCode('31', 2),
        stage: 'junior',
        programCode: 'BOARDING_LIVING_SUBSIDY',
        period: '2022-autumn',
        amount: '625.00',
        payee: { type: 'student', account: card },
        valueDate: '2022-10-20',
      })
      .expect(201);
    key = studentKeyOfStream(paid.body.streamId);
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const store = () => ledger.app.get<EventStore>(EVENT_STORE);
  const disclosures = async () => store().readStream(PERSONAL_DATA_DISCLOSURES_STREAM);
  /** The bytes of the whole log as it is on disk: the database file and its write-ahead log (the latest pages are there until a checkpoint). */
  const logFileBytes = () =>
    Buffer.concat(['ledger.sqlite', 'ledger.sqlite-wal'].map((file) => join(ledger.dataDir, file)).filter(existsSync).map((path) => readFileSync(path)));
  /** The disclosure events as the store holds their bytes (the data and metadata columns, as written). */
  const storedBytes = () => {
    const db = openReadOnlyDatabase(join(ledger.dataDir, 'ledger.sqlite'));
    try {
      return db.prepare<[string], { data: string; metadata: string; stream_id: string }>('SELECT stream_id, data, metadata FROM events WHERE type = ?').all('PersonalDataDisclosed');
    } finally {
      db.close();
    }
  };

  it("records an officer's unmasked look-up once, before it is sent: route template, redacted path and query, count, format, purpose; no identifier in clear in its stored bytes", async () => {
    const before = (await disclosures()).length;
    const response = await ledger.http.get(`/disbursements/pd-1?residentId=${id}`).set('X-Purpose', 'annual audit sample').expect(200);
    expect(JSON.stringify(response.body)).toContain(id);
    const recorded = (await disclosures()).slice(before);
    expect(recorded).toHaveLength(1);
    expect(recorded[0].data).toEqual({
      route: 'GET /disbursements/:disbursementId',
      path: '/disbursements/pd-1?residentId=[redacted]',
      format: 'json',
      records: 1,
      purpose: 'annual audit sample',
    });
    expect(recorded[0].metadata).toMatchObject({ actor: { id: 'officer', role: 'finance_officer' }, causationId: response.headers['x-request-id'] });
    // The request hash is of the request id, not of the path (an ID is brute-forced back out of a hash of it).
    const again = await ledger.http.get(`/disbursements/pd-1?residentId=${id}`).set('X-Purpose', 'annual audit sample').expect(200);
    const [first, second] = (await disclosures()).slice(before);
    expect(second.metadata.causationId).toBe(again.headers['x-request-id']);
    expect(second.metadata.requestHash).not.toBe(first.metadata.requestHash);
    const rows = storedBytes();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.stream_id).toBe(PERSONAL_DATA_DISCLOSURES_STREAM);
      for (const secret of [id, id.slice(6, 14), card]) expect(`${row.data}${row.metadata}`).not.toContain(secret);
    }
    // Nor anywhere else in the log: the payment holds the student's fields sealed, its stream is named by the opaque key.
    const log = logFileBytes();
    expect(log.includes(key)).toBe(true);
    for (const secret of [id, id.slice(6, 14), card, name]) expect({ secret, inLog: log.includes(secret) }).toEqual({ secret, inLog: false });
  });

  it("records a student's history read by an auditor with the student's key redacted in the path", async () => {
    const before = (await disclosures()).length;
    await ledger.as('auditor').get(`/beneficiaries/${id}/history`).expect(200);
    const recorded = (await disclosures()).slice(before);
    expect(recorded.map((event) => event.data)).toEqual([{ route: 'GET /beneficiaries/:studentKey/history', path: '/beneficiaries/[redacted]/history', format: 'json', records: 1 }]);
    expect(recorded[0].metadata.actor).toEqual({ id: 'auditor', role: 'auditor' });
  });

  it("records a student's history read by an auditor under the student's opaque key too, the key whole in the path (a pseudonym: it names the record read, not the student)", async () => {
    const before = (await disclosures()).length;
    const history = await ledger.as('auditor').get(`/beneficiaries/${key}/history`).expect(200);
    expect(JSON.stringify(history.body)).toContain(id);
    const recorded = (await disclosures()).slice(before);
    expect(recorded.map((event) => event.data)).toEqual([{ route: 'GET /beneficiaries/:studentKey/history', path: `/beneficiaries/${key}/history`, format: 'json', records: 1 }]);
  });

  it('knows every read route whose unmasked answer holds a student\'s data: each such route is in ANSWERS_PERSONAL_DATA, and each entry is a route of the table', async () => {
    for (const route of ANSWERS_PERSONAL_DATA) expect(Object.keys(ROUTE_ROLES)).toContain(route);
    const readRoutes = Object.entries(ROUTE_ROLES).filter(([key, roles]) => key.startsWith('GET ') && roles !== 'public' && roles.includes('auditor'));
    const disclosing: string[] = [];
    for (const [route] of readRoutes) {
      const path = route.slice(4).replace(':disbursementId', 'pd-1').replace(':studentKey', id).replace(':code', 'BOARDING_LIVING_SUBSIDY').replace(':id', 'yining-2022');
      const response = await ledger.as('auditor').get(path).buffer(true);
      const text = response.text ?? JSON.stringify(response.body);
      // The student's data in clear, or sealed in their record's events (an export of the log: personal data still, while the student's key lives).
      const sealedRecord = text.includes(`beneficiary-${key}`) && /"residentId":"sealed:v1:/.test(text);
      if (response.status === 200 && (text.includes(id) || sealedRecord)) disclosing.push(route);
    }
    expect(disclosing.sort()).toEqual([...ANSWERS_PERSONAL_DATA].filter((route) => route !== 'GET /audit/anomalies').sort());
  });

  it('records nothing for a masked answer (bureau staff), for an answer without personal data (totals), or for a refusal (404)', async () => {
    const before = (await disclosures()).length;
    const masked = await ledger.as('bureau_staff').get('/disbursements/pd-1').expect(200);
    expect(JSON.stringify(masked.body)).not.toContain(id);
    await ledger.http.get('/totals').expect(200);
    await ledger.http.get('/disbursements/no-such-payment').expect(404);
    expect(await disclosures()).toHaveLength(before);
  });

  it('records an export with its format and the number of records it held', async () => {
    const json = await ledger.as('auditor').get('/audit/anomalies').expect(200);
    const csv = await ledger.as('auditor').get('/audit/anomalies?format=csv').expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    await ledger.as('auditor').get('/audit/export').expect(200);
    const recorded = (await disclosures()).slice(-3).map((event) => event.data);
    const count = (json.body.anomalies as unknown[]).length;
    expect(recorded).toEqual([
      { route: 'GET /audit/anomalies', path: '/audit/anomalies', format: 'json', records: count },
      { route: 'GET /audit/anomalies', path: '/audit/anomalies?format=csv', format: 'csv', records: count },
      { route: 'GET /audit/export', path: '/audit/export', format: 'ndjson' },
    ]);
  });

  it('takes a purpose in UTF-8; refuses one too long or naming a student (400 on X-Purpose) without sending the answer or recording anything', async () => {
    await ledger.http.get('/disbursements/pd-1').set('X-Purpose', Buffer.from('年度审计抽查').toString('latin1')).expect(200);
    expect((await disclosures()).at(-1)!.data).toMatchObject({ purpose: '年度审计抽查' });
    const before = (await disclosures()).length;
    const refused = await ledger.http.get('/disbursements/pd-1').set('X-Purpose', 'x'.repeat(201)).expect(400);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'X-Purpose' })]));
    expect(JSON.stringify(refused.body)).not.toContain(id);
    // A purpose is kept for good: one naming a student by an identifier is refused, not stored redacted.
    for (const purpose of [`check ${id}`, 'check 6222 0212 3456 7890 128', `check 12${id}`]) {
      const naming = await ledger.http.get('/disbursements/pd-1').set('X-Purpose', purpose).expect(400);
      expect(naming.body.errors).toEqual([expect.objectContaining({ field: 'X-Purpose', message: expect.stringMatching(/不得包含个人信息.*must hold no personal data/) })]);
      expect(JSON.stringify(naming.body)).not.toContain(id);
    }
    // A student's history takes no parameter: none carries an ID into the record of processing, nor is one named back.
    const withQuery = await ledger.http.get(`/beneficiaries/${id}/history?a=${id.slice(0, 6)}%20${id.slice(6)}&${id}=1`).expect(400);
    expect(withQuery.body.errors).toEqual([expect.objectContaining({ field: 'a' }), expect.objectContaining({ field: 'query' })]);
    expect(JSON.stringify([withQuery.body.detail, withQuery.body.errors])).not.toContain(id.slice(6));
    expect(await disclosures()).toHaveLength(before);
  });

  it('refuses the answer (503, nothing sent, nothing disclosed) while the store cannot record the disclosure; answers again once it can', async () => {
    const before = await ledger.logPosition();
    const sqlite = sqliteConnectionOf(ledger.app);
    sqlite.pragma('query_only = ON');
    try {
      const refused = await ledger.http.get(`/disbursements/pd-1?residentId=${id}`).expect(503);
      expect(refused.headers['content-type']).toMatch(/problem\+json/);
      expect(refused.body).toMatchObject({ code: 'DISCLOSURE_NOT_RECORDED' });
      expect(JSON.stringify(refused.body)).not.toContain(id);
      await ledger.as('auditor').get('/audit/export').expect(503);
      // What holds no personal data, or is masked, is still answered.
      await ledger.http.get('/totals').expect(200);
      await ledger.as('bureau_staff').get('/disbursements/pd-1').expect(200);
    } finally {
      sqlite.pragma('query_only = OFF');
    }
    expect(await ledger.logPosition()).toBe(before);
    await ledger.http.get('/disbursements/pd-1').expect(200);
    expect(BigInt(await ledger.logPosition())).toBeGreaterThan(BigInt(before));
  });

  describe('GET /audit/personal-data-access', () => {
    it('lists the disclosures for auditors and admins, oldest first, with who, when, route and path; reading it discloses nothing', async () => {
      const all = await disclosures();
      const page = await ledger.as('auditor').get('/audit/personal-data-access?limit=1000').expect(200);
      expect(page.body.disclosures).toHaveLength(all.length);
      expect(page.body.disclosures[0]).toEqual({
        position: all[0].position.toString(),
        eventId: all[0].eventId,
        recordedAt: all[0].recordedAt,
        actor: { id: 'officer', role: 'finance_officer' },
        requestId: all[0].metadata.causationId,
        route: 'GET /disbursements/:disbursementId',
        path: expect.stringContaining('residentId=[redacted]'),
        format: 'json',
        records: 1,
        purpose: 'annual audit sample',
        studentsOnHold: [],
      });
      await ledger.as('admin').get('/audit/personal-data-access').expect(200);
      expect(await disclosures()).toHaveLength(all.length);
    });

    it('filters by actor, route and days (China time), and pages with limit and after', async () => {
      const byAuditor = await ledger.as('auditor').get('/audit/personal-data-access?actor=auditor').expect(200);
      expect(byAuditor.body.disclosures.length).toBeGreaterThan(0);
      expect(new Set(byAuditor.body.disclosures.map((row: { actor: { id: string } }) => row.actor.id))).toEqual(new Set(['auditor']));
      const byRoute = await ledger.as('auditor').get('/audit/personal-data-access').query({ route: 'GET /beneficiaries/:studentKey/history' }).expect(200);
      const histories = (await disclosures()).filter((event) => (event.data as { route: string }).route === 'GET /beneficiaries/:studentKey/history');
      expect(histories.length).toBeGreaterThan(0);
      expect(byRoute.body.disclosures.map((row: { position: string }) => row.position)).toEqual(histories.map((event) => event.position.toString()));
      const today = await ledger.as('auditor').get(`/audit/personal-data-access?from=${chinaToday()}&to=${chinaToday()}&limit=1000`).expect(200);
      expect(today.body.disclosures).toHaveLength((await disclosures()).length);
      const yesterday = await ledger.as('auditor').get(`/audit/personal-data-access?to=${chinaDay(-1)}`).expect(200);
      expect(yesterday.body.disclosures).toEqual([]);
      const tomorrow = await ledger.as('auditor').get(`/audit/personal-data-access?from=${chinaDay(1)}`).expect(200);
      expect(tomorrow.body.disclosures).toEqual([]);

      const first = await ledger.as('auditor').get('/audit/personal-data-access?limit=2').expect(200);
      expect(first.body.disclosures).toHaveLength(2);
      expect(first.body.nextAfter).toBe(first.body.disclosures[1].position);
      const second = await ledger.as('auditor').get(`/audit/personal-data-access?limit=2&after=${first.body.nextAfter}`).expect(200);
      expect(BigInt(second.body.disclosures[0].position)).toBeGreaterThan(BigInt(first.body.nextAfter));
      const last = await ledger.as('auditor').get(`/audit/personal-data-access?limit=1000&after=${first.body.nextAfter}`).expect(200);
      expect(last.body.nextAfter).toBeNull();
      expect(last.body.disclosures).toHaveLength((await disclosures()).length - 2);
    });

    it('gives the page as CSV, UTF-8 with a BOM', async () => {
      const response = await ledger.as('auditor').get('/audit/personal-data-access?format=csv&actor=officer').buffer(true).parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/csv; charset=utf-8/);
      const bytes = response.body as Buffer;
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = bytes.toString('utf8').slice(1).trim().split('\n');
      expect(lines[0]).toBe('position,recordedAt,actor,role,via,requestId,route,path,format,records,purpose,studentsOnHold');
      expect(lines.length - 1).toBe((await disclosures()).filter((event) => event.metadata.actor?.id === 'officer').length);
      expect(lines.join('\n')).toContain('年度审计抽查');
    });

    it('refuses bad filters with a 400 naming each field', async () => {
      const response = await ledger.as('auditor').get('/audit/personal-data-access?from=2022-13-01&to=yesterday&actor=Not%20A%20User&route=disbursements&limit=0&after=x&format=pdf&sort=asc').expect(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      const fields = JSON.stringify(response.body);
      for (const field of ['from', 'to', 'actor', 'route', 'limit', 'after', 'format', 'sort']) expect(fields).toContain(`"${field}"`);
      const reversed = await ledger.as('auditor').get('/audit/personal-data-access?from=2022-10-02&to=2022-10-01').expect(400);
      expect(JSON.stringify(reversed.body)).toContain('"to"');
      await ledger.as('auditor').get('/audit/personal-data-access?limit=1001').expect(400);
    });

    it('is refused to officers and bureau staff (403) and to callers without a token (401)', async () => {
      await ledger.as('finance_officer').get('/audit/personal-data-access').expect(403);
      await ledger.as('bureau_staff').get('/audit/personal-data-access').expect(403);
      await ledger.as('anonymous').get('/audit/personal-data-access').expect(401);
    });

    it('is a read model rebuilt from the log with the same rows as the live one', async () => {
      const live = ledger.app.get<ReadModels>(READ_MODELS);
      await live.waitFor(await store().headPosition());
      const dir = mkdtempSync(join(tmpdir(), 'ledger-disclosures-rebuild-'));
      try {
        const rebuilt = await rebuildReadModels(store(), join(dir, 'rebuilt.sqlite'), [personalDataDisclosuresProjection]);
        const [table] = personalDataDisclosuresProjection.tables;
        const liveRows = dumpTables(live.db, [table])[table];
        expect(liveRows.length).toBe((await disclosures()).length);
        expect(dumpTables(rebuilt.db, [table])[table]).toEqual(liveRows);
        await rebuilt.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

/** The same record on the command line, from the service's read models, through the same query. */
describe('npm run cli -- personal-data-access', () => {
  let ledger: LedgerUnderTest;
  const id = residentId(12, 2011);
  const cli = (...args: string[]) => runCli(ledger.dataDir, ...args);

  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    await ledger.http.post('/disbursements').send({ ...boardingPayment(12), disbursementId: 'cli-1', student: { residentId: id } }).expect(201);
    await ledger.http.get(`/disbursements/cli-1?residentId=${id}`).set('X-Purpose', 'term check').expect(200);
    await ledger.as('auditor').get(`/beneficiaries/${id}/history`).expect(200);
    await ledger.close();
  });
  afterAll(async () => {
    await ledger.stop().catch(() => undefined);
  });

  it('prints every disclosure, one a line, filtered by actor, with no identifier in clear; writes CSV; refuses a bad date naming it', async () => {
    const all = await cli('personal-data-access');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0].split('\t').slice(1)).toEqual(['officer (finance_officer)', 'GET /disbursements/:disbursementId', '/disbursements/cli-1?residentId=[redacted]', 'json', '1', 'term check']);
    expect(all.stdout).not.toContain(id);

    const auditor = await cli('personal-data-access', '--actor', 'auditor', '--from', '2020-01-01');
    expect(auditor.stdout.trim().split('\n').map((line) => line.split('\t')[2])).toEqual(['GET /beneficiaries/:studentKey/history']);

    const file = join(ledger.dataDir, 'access.csv');
    const csv = await cli('personal-data-access', '--csv', file);
    expect(csv.code).toBe(0);
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8').trim().split('\n')).toHaveLength(3);

    const bad = await cli('personal-data-access', '--from', '2022-02-30');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/from: from must be a date YYYY-MM-DD/);
  });
});
