import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Money } from '../money';
import { shippedCatalog } from '../testing/catalog.fixture';
import { ConsistencyFinding, checkReportConsistency, parseDeclaredReport, perHeadRounded } from './declared-report';

const catalog = shippedCatalog();
const rawReport = () => parse(readFileSync(join(__dirname, '../../../../config/reports/yining-2022.yaml'), 'utf8')) as { lines: Array<Record<string, unknown>> };
const findings = (raw = rawReport()) => checkReportConsistency(parseDeclaredReport(raw, catalog), catalog);
const finding = (all: ConsistencyFinding[], lineId: string, check: ConsistencyFinding['check']) => all.find((f) => f.lineId === lineId && f.check === check)!;

describe('a per-head figure', () => {
  it.each([
    ['0.05', 2, '0.03'], // 2.5 fen: half goes up
    ['0.05', 3, '0.02'], // 1.67 fen
    ['0.07', 4, '0.02'], // 1.75 fen
    ['1128875.00', 1455, '775.86'], // 775.8591…: not 775.85
    ['8927000.00', 4464, '1999.78'],
    ['1133551.00', 1714, '661.35'],
    ['210000.00', 349, '601.72'],
    ['19965437.50', 30115, '662.97'],
  ])('¥%s shared by %i is ¥%s, rounded half-up to the fen', (amount, count, expected) => {
    expect(perHeadRounded(Money.parse(amount), count).toString()).toBe(expected);
  });
});

describe('the 2022 report against itself', () => {
  it.each([
    ['boarding', '¥775.86 a head (rounded half-up to the fen) against a standard of at most ¥1,250.00 a year'],
    ['senior-grant', '¥1,999.78 a head (rounded half-up to the fen) against a standard of at most ¥3,000.00 a year'],
    ['nutrition', '¥661.35 a head (rounded half-up to the fen)'],
    ['zihui', '¥601.72 a head (rounded half-up to the fen)'],
  ])('gives the per-head figure of %s rounded, not truncated', (lineId, text) => {
    const check = finding(findings(), lineId, 'per_head_over_standard');
    expect(check).toMatchObject({ ok: true });
    expect(check.detail).toContain(text);
  });

  it('says by how much the non-boarding line is over the highest standard', () => {
    const check = finding(findings(), 'non-boarding', 'per_head_over_standard');
    expect(check.ok).toBe(false);
    expect(check.detail).toBe(
      '¥662.97 a head (rounded half-up to the fen) against a standard of at most ¥625.00 a year: more than the standard allows — 30115 × ¥625.00 = 1882.1875万元, 114.35625万元 less than the 1996.54375万元 printed',
    );
  });

  it('adds up the headline’s lines with their persons, also those that give no amount', () => {
    const check = finding(findings(), 'all-aid-as-of-october', 'headline_scope');
    expect(check.ok).toBe(false);
    expect(check.detail).toBe(
      'the listed lines of these programs for 2022 add up to 47868 persons (preschool-free 9305 + boarding 1455 + non-boarding 30115 + nutrition 1714 + senior-grant 4464 + zihui 349 + xinjiang-aid 466; a student in two programs counts twice) ' +
        'and 3416.08635万元 (the 6 lines that give an amount; preschool-free gives none), of which 1996.54375万元 approved (拟享受), not paid (non-boarding); ' +
        'the headline says more than 47000 persons and more than 3101万元 by 2022-10-31: the scopes differ',
    );
  });

  it('computes the headline’s sums from the lines the report has', () => {
    const raw = rawReport();
    raw.lines = raw.lines.filter((line) => line.id !== 'preschool-free');
    expect(finding(findings(raw), 'all-aid-as-of-october', 'headline_scope').detail).toMatch(/^the listed lines of these programs for 2022 add up to 38563 persons \(boarding 1455 \+ /);
    const fewer = rawReport();
    fewer.lines.find((line) => line.id === 'zihui')!.amountWanYuan = '20';
    expect(finding(findings(fewer), 'all-aid-as-of-october', 'headline_scope').detail).toMatch(/ and 3415\.08635万元 \(the 6 lines/);
  });
});
