import { Logger } from '@nestjs/common';
import { LedgerUnderTest } from './support/ledger-app';
import { residentId, schoolCode } from './support/students';

/**
 * A full run with the service's own logger: requests that succeed and fail, paths with ID numbers,
 * valid, revoked and forged tokens, and a careless log line. Every ID number, bank card and token
 * used must be absent from everything printed.
 */
describe('the logs of a full run', () => {
  it('hold no ID number, student number, bank card or token', async () => {
    const printed: string[] = [];
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    const secrets: string[] = [];
    try {
      const ledger = await LedgerUnderTest.start({}, { logDestination: { write: capture } });
      secrets.push(...Object.values(ledger.tokens));
      for (let i = 0; i < 20; i++) {
        const id = residentId(500 + i);
        const card = `62220202001122${String(3000 + i)}`;
        secrets.push(id, `G${id}`, card);
        const body = {
          disbursementId: `log-${i}`,
          student: { residentId: id, studentNumber: `G${id}`, name: '张三' },
          schoolCode: schoolCode('21', 3),
          stage: 'primary',
          programCode: 'BOARDING_LIVING_SUBSIDY',
          period: '2022-autumn',
          amount: i % 5 === 0 ? '499.00' : '500.00',
          payee: { type: 'student', account: card },
          valueDate: '2022-10-20',
        };
        await ledger.http.post('/disbursements').send(body);
        await ledger.http.post('/disbursements').send({ ...body, student: { residentId: `${id.slice(0, 17)}${id[17] === '1' ? '2' : '1'}` } });
        await ledger.as('auditor').get(`/beneficiaries/${id}/history`);
        await ledger.as('bureau_staff').get(`/beneficiaries/G${id}/history`);
        // The service accepts student numbers and check characters in lower case: the log must not keep them.
        await ledger.as('auditor').get(`/beneficiaries/g${id.toLowerCase()}/history`);
        await ledger.as('auditor').get(`/disbursements/pay_${id.toLowerCase()}`);
        const phone = `139${String(12345600 + i)}`;
        await ledger.as('auditor').get(`/disbursements/tel-${phone}`);
        await ledger.http.post(`/disbursements/log-${i}/reversal`).send({ reason: `家长电话${phone}，学校0999-${8123400 + i}`, valueDate: '2022-11-01' });
        secrets.push(`g${id.toLowerCase()}`, id.toLowerCase(), phone, `0999-${8123400 + i}`);
      }
      const issued = await ledger.as('admin').post('/users/auditor/tokens').send({});
      secrets.push(issued.body.token);
      await ledger.as({ token: issued.body.token }).get('/totals');
      await ledger.as('admin').post(`/tokens/${issued.body.tokenId}/revocation`).send({ reason: 'test' });
      await ledger.as({ token: issued.body.token }).get('/totals');
      await ledger.as({ token: ledger.tokens.auditor.replace(/.$/, 'Q') }).get('/totals');
      new Logger('Careless').error(`could not pay ${secrets[1]} on card ${secrets[3]} with ${secrets[0]}; call 13998765432 or (0999)8123456`);
      secrets.push('13998765432', '8123456');
      await ledger.stop();
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const log = printed.join('');
    expect(log).toMatch(/POST \/disbursements 201/);
    expect(log).toMatch(/GET \/beneficiaries\/654002\*+\d{3}[\dX]\/history 200/);
    expect(log).toMatch(/GET \/beneficiaries\/G654002\*+\d{3}[\dX]\/history 403/);
    expect(log).toMatch(/GET \/disbursements\/tel-139\*{4}\d{4} 404/);
    expect(log).toMatch(/GET \/beneficiaries\/g654002\*+\d{3}[\dx]\/history 200/);
    expect(log).toMatch(/could not pay/);
    const leaked = secrets.filter((secret) => log.includes(secret) || log.includes(secret.split('.').pop()!));
    expect(leaked).toEqual([]);
  });
});
