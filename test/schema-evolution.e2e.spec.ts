import Database from 'better-sqlite3';
import { join } from 'node:path';
import { EVENT_STORE } from '@ledger/application';
import { beneficiaryStreamId } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment } from './support/students';

/**
 * An event stored in an older schema version (a reversal from before reason codes, version 1) is
 * read as the current version by commands, projections and replay, and its stored bytes never change.
 */
describe('an old-version event in the log', () => {
  it('is decided on, projected and replayed as the current version; its stored bytes stay as written', async () => {
    const ledger = await LedgerUnderTest.start();
    const payment = boardingPayment(7, { disbursementId: 'old-1' });
    const recorded = await ledger.http.post('/disbursements').send(payment).expect(201);
    const streamId = recorded.body.streamId as string;
    const key = streamId.slice('beneficiary-'.length);
    expect(streamId).toBe(beneficiaryStreamId(key));

    // What a release before reason codes wrote: version 1, no reasonCode (through the store, so it is chained).
    const store = ledger.app.get<EventStore>(EVENT_STORE);
    const line = { beneficiary: { key, residentId: key }, schoolCode: payment.schoolCode, stage: 'primary', programCode: 'BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: '500.00' };
    const [old] = (
      await store.appendToStream(
        streamId,
        [{ eventId: 'a7a3c0de-0000-4000-8000-000000000001', type: 'DisbursementReversed', schemaVersion: 1, data: { ...line, disbursementId: 'old-1', originalValueDate: '2022-10-20', reason: 'wrong card', valueDate: '2022-11-02' }, metadata: { actor: { id: 'officer', role: 'finance_officer' } } }],
        0,
      )
    ).events;
    const storedBytes = () => {
      const db = new Database(join(ledger.dataDir, 'ledger.sqlite'), { readonly: true });
      const row = db.prepare('SELECT schema_version, data, metadata FROM events WHERE event_id = ?').get(old.eventId);
      db.close();
      return row as { schema_version: number; data: string; metadata: string };
    };
    const before = storedBytes();
    expect(before.schema_version).toBe(1);
    expect(JSON.parse(before.data)).not.toHaveProperty('reasonCode');

    // Projections read it as version 2.
    const shown = await ledger.http.get('/disbursements/old-1').expect(200);
    expect(shown.body).toMatchObject({ status: 'reversed', reversal: { reason: 'wrong card', reasonCode: 'UNSPECIFIED', position: old.position.toString() } });
    const history = await ledger.http.get(`/beneficiaries/${key}/history`).expect(200);
    expect(JSON.stringify(history.body)).toContain('UNSPECIFIED');
    const totals = await ledger.http.get('/totals').query({ fiscalYear: 2022, programCode: 'BOARDING_LIVING_SUBSIDY' }).expect(200);
    expect(totals.body.totals[0]).toMatchObject({ reversed: { personTimes: 1 }, net: { personTimes: 0, students: 0 } });

    // The decider folds it as version 2: the payment is reversed already.
    const again = await ledger.http.post(`/disbursements/old-1/reversal`).send({ reason: 'again', reasonCode: 'DUPLICATE_PAYMENT', valueDate: '2022-11-03', student: payment.student }).expect(409);
    expect(again.body.code).toBe('DISBURSEMENT_ALREADY_REVERSED');

    // A replay to a position projects it the same way; a restart (and a rebuild) too.
    const replayed = await ledger.http.get('/totals').query({ fiscalYear: 2022, programCode: 'BOARDING_LIVING_SUBSIDY', asOfPosition: old.position.toString() }).expect(200);
    expect(replayed.body.totals[0]).toMatchObject({ reversed: { personTimes: 1 } });
    await ledger.restart();
    await ledger.http.get('/disbursements/old-1').expect(200).expect(({ body }) => expect(body.reversal.reasonCode).toBe('UNSPECIFIED'));

    // The chain still verifies, the export carries the bytes as written, and they never changed.
    const verified = await ledger.as('auditor').get('/audit/verify').expect(200);
    expect(verified.body).toMatchObject({ ok: true, problems: [] });
    const exported = await ledger.as('auditor').get('/audit/export').buffer(true).parse((res, callback) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => callback(null, text));
    });
    const exportedOld = (exported.body as string).trim().split('\n').map((text) => JSON.parse(text)).find((event) => event.eventId === old.eventId);
    expect(exportedOld).toMatchObject({ schemaVersion: 1 });
    expect(exportedOld.data).not.toHaveProperty('reasonCode');
    expect(storedBytes()).toEqual(before);

    // A new reversal is written in the current version.
    await ledger.http.post('/disbursements').send(boardingPayment(7, { disbursementId: 'new-1', period: '2023-spring', valueDate: '2023-04-20' })).expect(201);
    await ledger.http.post('/disbursements/new-1/reversal').send({ reason: 'returned', reasonCode: 'RETURNED_BY_BANK', valueDate: '2023-05-02', student: payment.student }).expect(201);
    expect((await ledger.http.get('/disbursements/new-1').expect(200)).body.reversal.reasonCode).toBe('RETURNED_BY_BANK');
    await ledger.stop();
  });
});
