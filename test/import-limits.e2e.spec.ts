import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '@ledger/application';
import { LedgerUnderTest } from './support/ledger-app';
import { HEADERS, paymentRow, writeCsv } from './support/payment-lists';

/**
 * What an upload may make the service read and send back is bounded: the size of the file
 * (LEDGER_UPLOAD_LIMIT, 413 beyond it), the length of a CSV row (a file without line breaks is one
 * row), and what a problem quotes of the file (a header, a cell). The answer to a file of garbage is
 * a few kilobytes, not the file again.
 */
describe('the limits of an upload', () => {
  let ledger: LedgerUnderTest;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-import-limits-'));
  beforeAll(async () => {
    ledger = await LedgerUnderTest.start({ LEDGER_UPLOAD_LIMIT: '2mb' });
  });
  afterAll(async () => {
    await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const upload = (path: string, query: Record<string, string> = {}) => ledger.http.post('/imports').query(query).attach('file', path);

  it('refuses a file over LEDGER_UPLOAD_LIMIT with 413, naming the limit, and records nothing', async () => {
    const path = join(dir, 'too-large.csv');
    const limit = 2 * 1024 * 1024;
    /** The list, then blank lines up to `size` bytes. */
    const listOfSize = (size: number) => {
      writeCsv(path, [paymentRow(0, 8000)]);
      truncateSync(path, size);
      writeFileSync(path, readFileSync(path).map((byte) => (byte === 0 ? 0x0a : byte)));
    };
    listOfSize(limit + 1);
    const before = await ledger.logPosition();
    const response = await upload(path, { commit: 'true' });
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.body).toMatchObject({
      code: 'UPLOAD_TOO_LARGE',
      errors: [{ field: 'file', message: expect.stringMatching(/larger than 2mb \(LEDGER_UPLOAD_LIMIT\)/) }],
    });
    expect(await ledger.logPosition()).toBe(before);
    // Just under the limit: read as a list.
    listOfSize(limit);
    expect((await upload(path)).body).toMatchObject({ rows: 1, problems: [] });
  });

  it('refuses at once a multipart body that declares more bytes than the limit, without waiting for them', async () => {
    const server = ledger.app.getHttpServer() as import('node:http').Server;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const before = await ledger.logPosition();
    const started = Date.now();
    let request: import('node:http').ClientRequest | undefined;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request = require('node:http').request(
        { port, host: '127.0.0.1', method: 'POST', path: '/imports?commit=true', headers: { authorization: `Bearer ${ledger.tokens.finance_officer}`, 'content-type': 'multipart/form-data; boundary=x', 'content-length': '999999999999' } },
        (response: import('node:http').IncomingMessage) => {
          let body = '';
          response.on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: response.statusCode!, body }));
        },
      );
      request!.on('error', reject);
      request!.write('--x\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\n\r\n'); // and nothing more, ever
    });
    request!.destroy(); // the client never finishes its body: it hangs up
    expect(Date.now() - started).toBeLessThan(2000);
    expect([answer.status, JSON.parse(answer.body).code]).toEqual([413, 'UPLOAD_TOO_LARGE']);
    expect(await ledger.logPosition()).toBe(before);
  });

  it('refuses a CSV row longer than a list row can be (a file without line breaks) as an unreadable file, in a short answer', async () => {
    const path = join(dir, 'one-line.csv');
    writeFileSync(path, 'a'.repeat(1024 * 1024));
    const response = await upload(path);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'IMPORT_FILE_UNREADABLE', detail: expect.stringMatching(/^one-line\.csv: not a readable CSV: line 1: more than 64 KiB in one row/) });
    expect(response.text.length).toBeLessThan(2000);
  });

  it('reads past empty lines without holding them (a file of newlines), numbering rows as Excel does', async () => {
    const path = join(dir, 'empty-lines.csv');
    const bad = paymentRow(0, 8200);
    bad[HEADERS.indexOf('金额')] = '五百';
    writeFileSync(path, `${HEADERS.join(',')}\n${'\n'.repeat(1_000_000)}${bad.join(',')}\n`);
    const started = Date.now();
    const response = await upload(path).expect(422);
    expect(response.body.problems).toEqual([expect.objectContaining({ row: 1_000_002, column: '金额' })]);
    expect(Date.now() - started).toBeLessThan(15_000); // 40 s before empty lines were skipped by the parser
  });

  it('quotes a header row that is not one shortened: each header cut short, and only the first ones', async () => {
    const path = join(dir, 'long-headers.csv');
    const headers = Array.from({ length: 300 }, (_, i) => `${i}`.padEnd(200, 'x'));
    writeCsv(path, [headers.map(() => '1')], headers);
    const response = await upload(path).expect(422);
    const [problem] = response.body.problems;
    expect(problem).toMatchObject({ code: 'IMPORT_COLUMNS_MISSING', message: expect.stringMatching(/its headers: 0x{39}… \(200 characters\), 1x{39}…/) });
    expect(problem.message).toMatch(/\(and 290 more\)\)$/);
    expect(response.text.length).toBeLessThan(3000);
  });

  it('quotes a long cell shortened in a row’s problem', async () => {
    const path = join(dir, 'long-cells.csv');
    const rows = Array.from({ length: 5 }, (_, i) => paymentRow(i * 3, 8100));
    for (const row of rows) row[HEADERS.indexOf('项目')] = '补助'.repeat(7_500);
    writeCsv(path, rows);
    const response = await upload(path).expect(422);
    expect(response.body.problems).toHaveLength(5);
    expect(response.body.problems[0]).toMatchObject({ code: 'PROGRAM_UNKNOWN', message: expect.stringMatching(/^"(补助){30}… \(15,000 characters\)" is not a program/) });
    expect(response.text.length).toBeLessThan(5000);
  });

  it('refuses a bad LEDGER_UPLOAD_LIMIT at start', () => {
    expect(() => loadSettings({ LEDGER_UPLOAD_LIMIT: 'lots' })).toThrow('invalid setting LEDGER_UPLOAD_LIMIT: "lots" is not a size like 512kb, 100mb or 1gb');
    expect(loadSettings({}).uploadLimitBytes).toBe(100 * 1024 * 1024);
  });
});
