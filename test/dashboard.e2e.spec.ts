import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { LocalDate } from '@ledger/domain';
import { launchChromium } from './support/chromium';
import { LedgerUnderTest } from './support/ledger-app';
import { boardingPayment, residentId, schoolCode } from './support/students';

/**
 * The bureau dashboard in a real headless Chromium (Debian's when installed, else the one bundled in
 * @sparticuz/chromium; driven by playwright-core): sign in, see the totals of a seeded ledger in
 * Chinese, filter, switch to 万元, download the CSV — and no personal data.
 */
describe('the bureau dashboard in a browser', () => {
  const dashboardDir = mkdtempSync(join(tmpdir(), 'ledger-dashboard-'));
  const artifacts = join(__dirname, '..', 'test-artifacts');
  let ledger: LedgerUnderTest;
  let browser: Browser;
  let page: Page;
  let base: string;
  const ids: string[] = [];

  beforeAll(async () => {
    const built = spawnSync(process.execPath, [join(__dirname, '../node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/dashboard/vite.config.mjs', '--outDir', dashboardDir], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr}`);
    // Today pinned, so that the students due for erasure are the same whenever the test runs: the 2022 aid is kept until 2028.
    ledger = await LedgerUnderTest.start({ LEDGER_DASHBOARD_DIR: dashboardDir }, { clock: { today: () => '2024-06-30' as LocalDate } });
    // Boarding: 4 primary (¥500) and 2 junior (¥625) in autumn, 2 of the primary again in spring; Yulu: 3 × ¥3,000.
    for (let i = 0; i < 6; i++) {
      const junior = i >= 4;
      const body = boardingPayment(i, junior ? { stage: 'junior', amount: '625.00', schoolCode: schoolCode('31', 7) } : {});
      ids.push(body.student.residentId);
      await ledger.http.post('/disbursements').send(body).expect(201);
      if (i < 2) await ledger.http.post('/disbursements').send({ ...body, period: '2022-spring', valueDate: '2022-04-20' }).expect(201);
    }
    for (let i = 0; i < 3; i++) {
      const student = { residentId: residentId(100 + i, 2005), name: '阿依古丽' };
      ids.push(student.residentId);
      await ledger.http
        .post('/disbursements')
        .send({ student, schoolCode: schoolCode('36', 1), stage: 'secondary_vocational', programCode: 'YULU_PLAN', period: '2022-2023', amount: '3000.00', payee: { type: 'student', account: '6222020200112233' }, valueDate: '2022-10-15' })
        .expect(201);
    }
    // Aided in autumn 2016 only: due for erasure since 1 February 2022 (five years after the term ended).
    await ledger.http.post('/disbursements').send(boardingPayment(200, { period: '2016-autumn', valueDate: '2016-10-20' })).expect(201);
    await ledger.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(ledger.app.getHttpServer().address() as { port: number }).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ledger?.stop();
    rmSync(dashboardDir, { recursive: true, force: true });
  });

  const amountOf = (program: string) => page.locator(`#totals tr[data-program="${program}"] td.amount`).innerText();
  const chartTotal = (id: string) => page.locator(`#${id}`).getAttribute('data-total');

  it('signs in, shows the totals and charts, filters, switches to 万元 and exports the CSV', async () => {
    await page.goto(base);
    await page.fill('#token', ledger.tokens.bureau_staff);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#totals tr[data-program="BOARDING_LIVING_SUBSIDY"]');
    expect(await page.locator('#who').innerText()).toContain('bureau_staff');
    // Chinese is drawn as glyphs in the page's font, not as the missing-glyph box (one box for every character).
    const drawn = await page.evaluate(() =>
      ['人', '数', '元'].map((text) => {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 64;
        const context = canvas.getContext('2d')!;
        context.font = `48px ${getComputedStyle(document.body).fontFamily}`;
        context.fillText(text, 4, 52);
        return canvas.toDataURL();
      }),
    );
    expect(new Set(drawn).size).toBe(3);
    expect(await amountOf('BOARDING_LIVING_SUBSIDY')).toBe('4,250.00'); // 6 autumn (4×500 + 2×625) + 2 spring × 500
    expect(await amountOf('YULU_PLAN')).toBe('9,000.00');
    expect(await page.locator('#totals tr[data-program="BOARDING_LIVING_SUBSIDY"] td').nth(1).innerText()).toBe('6');
    expect(await page.locator('#totals tr[data-program="BOARDING_LIVING_SUBSIDY"] td').nth(2).innerText()).toBe('8');
    expect(await chartTotal('chart-program')).toBe('13250.00');
    expect(await chartTotal('chart-stage')).toBe('13250.00');

    await page.selectOption('#stage', 'junior');
    await page.waitForFunction(() => document.querySelector('#totals tr[data-program="BOARDING_LIVING_SUBSIDY"] td.amount')?.textContent === '1,250.00');
    expect(await page.locator('#totals tbody tr').count()).toBe(1);
    await page.waitForFunction(() => document.querySelector('#chart-program')?.getAttribute('data-total') === '1250.00');

    await page.selectOption('#stage', '');
    await page.waitForFunction(() => document.querySelector('#totals tbody')?.children.length === 2);
    await page.click('.unit button[data-unit="wan"]');
    await page.waitForFunction(() => document.querySelector('#totals tr[data-program="BOARDING_LIVING_SUBSIDY"] td.amount')?.textContent === '0.425');
    expect(await amountOf('YULU_PLAN')).toBe('0.9');
    expect(await page.locator('#amount-header').innerText()).toContain('万元');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = readFileSync((await download.path())!, 'utf8').replace(/^\ufeff/, '').trim().split('\n');
    const header = csv[0].split(',');
    const rows = csv.slice(1).map((line) => Object.fromEntries(line.split(',').map((cell, i) => [header[i], cell])));
    expect(rows.find((row) => row.programCode === 'BOARDING_LIVING_SUBSIDY')).toMatchObject({ '人数 persons': '6', '人次 person-times': '8', '金额 yuan': '4250.00', '金额 万元': '0.425' });
    expect(rows.find((row) => row.programCode === 'YULU_PLAN')).toMatchObject({ '金额 yuan': '9000.00' });

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  });

  it('shows bureau_staff no personal data anywhere on the page', async () => {
    const seen: string[] = [await page.locator('body').innerText()];
    await page.click('nav button[data-view="reconciliation"]');
    await page.waitForSelector('#reconciliation tbody tr');
    seen.push(await page.locator('body').innerText(), await page.content());
    const text = seen.join('\n');
    for (const id of ids) expect({ id, shown: text.includes(id) || text.includes(id.slice(6, 14)) }).toEqual({ id, shown: false });
    expect(text).not.toContain('6222020200112233');
    expect(text).not.toContain('阿依古丽');
    await page.screenshot({ path: join(artifacts, 'dashboard-reconciliation.png'), fullPage: true });
  });

  it('shows auditors and admins the count of students due for erasure in a tile, Chinese first, and bureau staff no tile', async () => {
    expect(await page.locator('#retention-tile').isHidden()).toBe(true); // bureau_staff, signed in above
    for (const role of ['auditor', 'admin'] as const) {
      // One page throughout (the bundled Chromium runs as a single process): sign out, sign in as the role.
      await page.click('#sign-out');
      await page.waitForSelector('#sign-in-form:visible');
      await page.fill('#token', ledger.tokens[role]);
      await page.click('#sign-in-form button[type=submit]');
      await page.waitForSelector('#retention-tile:not([hidden])');
      expect(await page.locator('#retention-due').innerText()).toBe('1');
      expect(await page.locator('#retention-tile').innerText()).toMatch(/^到期待删除个人信息\s+Due for erasure\s+1\s+名学生 students$/);
      if (role === 'auditor') await page.screenshot({ path: join(artifacts, 'dashboard-retention.png') });
      if (role === 'admin') {
        // An admin reads no aid: no totals asked for (a 403), no error shown, a line saying why instead.
        expect(await page.locator('#admin-view').innerText()).toMatch(/^管理员管理用户.*reads no aid figures\.$/);
        expect(await page.locator('#totals-view').isHidden()).toBe(true);
        expect(await page.locator('#sign-in-error').innerText()).toBe('');
      }
    }
  });
});
