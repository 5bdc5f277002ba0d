import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerUnderTest } from './support/ledger-app';
import { paymentRow, writeCsv } from './support/payment-lists';

/**
 * An upload the import cannot take is refused as every other bad request is: a 400 (or 413)
 * `REQUEST_INVALID` problem naming the multipart field at fault, whatever the parser found wrong,
 * and nothing appended.
 */
describe('refused uploads', () => {
  let ledger: LedgerUnderTest;
  let list: string;
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start();
    list = join(ledger.dataDir, '发放名单.csv');
    writeCsv(list, [paymentRow(0)]);
    writeFileSync(join(ledger.dataDir, 'empty.csv'), '');
    writeFileSync(join(ledger.dataDir, 'empty.xlsx'), '');
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const boundary = 'ledger-test-boundary';
  const cutShort = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\nContent-Type: text/csv\r\n\r\n姓名,身份证号\r\n`);

  const problemOf = async (send: () => PromiseLike<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }>) => {
    const before = await ledger.logPosition();
    const response = await send();
    expect(await ledger.logPosition()).toBe(before);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    return { status: response.status, code: response.body.code, errors: response.body.errors };
  };

  it.each([
    ['two files in the field "file"', () => ledger.http.post('/imports').attach('file', list).attach('file', list), 'file', /one file only/],
    ['the file in another field', () => ledger.http.post('/imports').attach('upload', list), 'upload', /send the payment list as the multipart field "file", not "upload"/],
    ['a multipart body cut short', () => ledger.http.post('/imports').set('content-type', `multipart/form-data; boundary=${boundary}`).send(cutShort), 'file', /cut short/],
    ['a body of too many parts', () => Array.from({ length: 150 }, (_, i) => i).reduce((request, i) => request.field(`note${i}`, 'x'), ledger.http.post('/imports')).attach('file', list), 'file', /too many parts/],
    ['no file at all', () => ledger.http.post('/imports').field('note', 'x'), 'file', /^send the payment list as the multipart field "file"$/],
  ])('refuses %s with a 400 naming the field', async (_what, send, field, message) => {
    expect(await problemOf(send)).toEqual({ status: 400, code: 'REQUEST_INVALID', errors: [{ field, message: expect.stringMatching(message) }] });
  });

  it.each(['empty.csv', 'empty.xlsx'])('refuses an empty file (%s) with the same 400 saying it is empty', async (name) => {
    expect(await problemOf(() => ledger.http.post('/imports').attach('file', join(ledger.dataDir, name)))).toEqual({
      status: 400,
      code: 'IMPORT_FILE_UNREADABLE',
      errors: [{ field: 'file', message: 'the file is empty: there is no list in it' }],
    });
  });

  it.each([
    ['control characters and a right-to-left override', 'a\u0000\u202eb\u0007.csv'],
    ['more characters than a file system allows', `${'名'.repeat(300)}.csv`],
  ])('refuses a file whose name holds %s with a 400 on the field, committing nothing: the name is recorded for ever', async (_what, fileName) => {
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: text/csv\r\n\r\n`),
      Buffer.from(`\ufeff姓名,身份证号\r\n`),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const sent = () => ledger.http.post('/imports?commit=true').set('content-type', `multipart/form-data; boundary=${boundary}`).send(body);
    expect(await problemOf(sent)).toEqual({ status: 400, code: 'FIELD_INVALID', errors: [{ field: 'file', message: expect.stringMatching(/^the file name (contains control characters|is longer than 255 characters)/) }] });
  });
});
