import {
  BeneficiaryCommand,
  ProgramCatalog,
  gb11643CheckCharacter,
  parseApproveAid,
  parseRecordDisbursement,
  parseRecordLoanDisbursement,
} from '@ledger/domain';
import { AccessControl, FIRST_ADMIN_USER_ID } from '../access/access-control.service';
import { WritePipeline } from '../write-pipeline';
import { BeneficiaryCommands } from '../beneficiary-commands';
import { ReadModelsDatabase } from '../budget-keeper';
import { WriteContext, writeContextFor } from '../write-context';

/**
 * A synthetic but realistic 2022 ledger of Yining City, recorded through the real command path:
 * the report's kinds of schools, students with valid identifiers, per-term payments within the
 * catalog's standards, loans within the caps — reproducing the report's counts and amounts wherever
 * the standards allow (the non-boarding approvals cannot reach the report's ¥19,965,437.50 within
 * ¥312.50 a term: that line stays apart, with its reason). Deterministic: the same commands every run,
 * with fixed ids, so seeding again records nothing twice.
 */
type Input = Record<string, unknown>;

const STAGE_BIRTH_YEAR: Record<string, number> = {
  preschool: 2018, primary: 2012, junior: 2009, senior: 2006, secondary_vocational: 2005, higher_vocational: 2003, undergraduate: 2002,
};
const SCHOOL_TYPE: Record<string, string> = {
  preschool: '11', primary: '21', junior: '31', senior: '34', secondary_vocational: '36', higher_vocational: '41', undergraduate: '41',
};

/** A valid resident ID of Yining City (654002) for the n-th demo student of a stage. */
function residentId(stage: string, n: number): string {
  const birth = new Date(Date.UTC(STAGE_BIRTH_YEAR[stage], 0, 1) + (n % 360) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `654002${birth}${String(Math.floor(n / 360) % 1000).padStart(3, '0')}`;
  return first17 + gb11643CheckCharacter(first17);
}

const school = (stage: string, n: number, schools: number) => `${SCHOOL_TYPE[stage]}65${String(1 + (n % schools)).padStart(6, '0')}`;

/** Splits a total (fen) into `parts` amounts that differ by at most one fen. */
function split(totalFen: bigint, parts: number): string[] {
  const base = totalFen / BigInt(parts);
  const extra = Number(totalFen - base * BigInt(parts));
  return Array.from({ length: parts }, (_, i) => {
    const fen = base + (i < extra ? 1n : 0n);
    return `${fen / 100n}.${String(fen % 100n).padStart(2, '0')}`;
  });
}

/** Every command of the demo ledger, in a fixed order. Student numbers never overlap between programs. */
export function demoCommands(): BeneficiaryCommand[] {
  const commands: BeneficiaryCommand[] = [];
  let next = 0;
  const students = (count: number) => Array.from({ length: count }, () => next++);
  const pay = (input: Input) => commands.push(parseRecordDisbursement({ payee: { type: 'student' }, ...input }));
  const student = (stage: string, n: number) => ({ student: { residentId: residentId(stage, n) }, stage, schoolCode: school(stage, n, stage === 'primary' ? 57 : 16) });

  // Free preschool: 9,305 children, one term's fees waived (the report gives no amount).
  for (const n of students(9305)) pay({ ...student('preschool', n), disbursementId: `demo-pre-${n}`, programCode: 'PRESCHOOL_FREE', period: '2022-autumn', amount: '600.00', payee: { type: 'school' }, valueDate: '2022-09-30' });

  // Boarders: 700 primary (¥500 a term) and 755 junior (¥625); 269 and 276 of them paid both terms: ¥1,128,875.00.
  for (const [i, n] of students(1455).entries()) {
    const primary = i < 700;
    const stage = primary ? 'primary' : 'junior';
    const line = { ...student(stage, n), programCode: 'BOARDING_LIVING_SUBSIDY', amount: primary ? '500.00' : '625.00' };
    if (primary ? i < 269 : i - 700 < 276) pay({ ...line, disbursementId: `demo-board-${n}-spring`, period: '2022-spring', valueDate: '2022-04-20' });
    pay({ ...line, disbursementId: `demo-board-${n}-autumn`, period: '2022-autumn', valueDate: '2022-10-20' });
  }

  // Non-boarders approved (拟享受) for autumn 2022 at the standard: 30,115 students.
  for (const [i, n] of students(30115).entries()) {
    const stage = i % 2 === 0 ? 'primary' : 'junior';
    commands.push(parseApproveAid({ ...student(stage, n), approvalId: `demo-nonboard-${n}`, programCode: 'NON_BOARDING_LIVING_SUBSIDY', period: '2022-autumn', amount: stage === 'primary' ? '250.00' : '312.50', approvedOn: '2022-09-15' }));
  }

  // Nutrition plan: 1,714 pupils, both terms, paid to the canteens: ¥1,133,551.00 within ¥500 a term.
  const meals = split(113_355_100n, 1714 * 2);
  for (const [i, n] of students(1714).entries()) {
    for (const [t, term] of (['2022-spring', '2022-autumn'] as const).entries()) {
      pay({ ...student('primary', n), disbursementId: `demo-meal-${n}-${term}`, programCode: 'NUTRITION_IMPROVEMENT', period: term, amount: meals[i * 2 + t], payee: { type: 'canteen', name: `canteen ${school('primary', n, 57)}` }, valueDate: t === 0 ? '2022-06-30' : '2022-12-20' });
    }
  }

  // Senior-high fee waiver: 470 students, ¥715 a term, both terms: ¥672,100.00.
  for (const n of students(470)) {
    for (const [term, valueDate] of [['2022-spring', '2022-03-10'], ['2022-autumn', '2022-09-10']]) {
      pay({ ...student('senior', n), disbursementId: `demo-waiver-${n}-${term}`, programCode: 'SENIOR_TUITION_WAIVER', period: term, amount: '715.00', payee: { type: 'school' }, valueDate });
    }
  }

  // Senior-high national grant: 4,464 students, two terms of ¥1,000 (two of ¥500): ¥8,927,000.00.
  for (const [i, n] of students(4464).entries()) {
    for (const [term, valueDate] of [['2022-spring', '2022-05-20'], ['2022-autumn', '2022-11-20']]) {
      pay({ ...student('senior', n), disbursementId: `demo-grant-${n}-${term}`, programCode: 'SENIOR_NATIONAL_GRANT', period: term, amount: i < 2 && term === '2022-autumn' ? '500.00' : '1000.00', valueDate });
    }
  }

  // Yulu plan: 434 vocational students, ¥3,000 each.
  for (const [i, n] of students(434).entries()) {
    pay({ ...student(i % 4 === 0 ? 'higher_vocational' : 'secondary_vocational', n), disbursementId: `demo-yulu-${n}`, programCode: 'YULU_PLAN', period: '2022-2023', amount: '3000.00', valueDate: '2022-10-15' });
  }

  // Zihui plan: 349 students, 278 × ¥500 and 71 × ¥1,000 = ¥210,000.00.
  for (const [i, n] of students(349).entries()) {
    pay({ ...student('undergraduate', n), disbursementId: `demo-zihui-${n}`, programCode: 'ZIHUI_PLAN', period: '2022-2023', amount: i < 278 ? '500.00' : '1000.00', valueDate: '2022-10-25' });
  }

  // Xinjiang-aid grant: 466 students at universities in inner China, ¥6,000 each.
  for (const n of students(466)) pay({ ...student('undergraduate', n), disbursementId: `demo-xj-${n}`, programCode: 'XINJIANG_AID_GRANT', period: '2022-2023', amount: '6000.00', valueDate: '2022-11-05' });

  // Student-origin loans: 377 in spring 2022 (school year 2021-2022) for ¥4,369,000.00 and 381 since 1 July
  // (2022-2023) for ¥4,063,500.00, each within the ¥12,000 cap, paid to the universities' fee accounts.
  const spring = split(436_900_000n, 377);
  const autumn = split(406_350_000n, 381);
  for (const [i, n] of students(758).entries()) {
    const early = i < 377;
    commands.push(
      parseRecordLoanDisbursement({
        ...student('undergraduate', n),
        loanId: `demo-loan-${n}`,
        programCode: 'ORIGIN_CREDIT_LOAN',
        period: early ? '2021-2022' : '2022-2023',
        amount: early ? spring[i] : autumn[i - 377],
        payee: { type: 'university_fee_account', name: 'university fee account' },
        valueDate: early ? '2022-03-15' : '2022-09-20',
      }),
    );
  }
  return commands;
}

/** The demo's own finance officer: a user of the demo ledger, recorded as the actor of its payments. */
export const DEMO_USER = { userId: 'demo-seeder', displayName: 'Demo data (synthetic)', role: 'finance_officer' } as const;

/**
 * The write context of the demo's own user, added to the ledger when missing — by its first admin,
 * made first as at the service's first start when the ledger has no users yet (then the path of
 * the admin's token file comes back too) — so that every demo payment names a real user whose role
 * may record aid.
 */
export async function demoSeederWrite(access: AccessControl, dataDir: string): Promise<{ write: WriteContext; firstAdminTokenFile?: string }> {
  let firstAdminTokenFile: string | undefined;
  if (!(await access.current()).users.has(DEMO_USER.userId)) {
    firstAdminTokenFile = await access.bootstrapFirstAdmin(dataDir);
    const admin = await access.operatorWrite(FIRST_ADMIN_USER_ID, 'manage_access', `seed-demo (adding its user ${DEMO_USER.userId})`);
    await access.execute({ type: 'AddUser', data: { ...DEMO_USER } }, admin);
  }
  return { write: await access.operatorWrite(DEMO_USER.userId, 'record_aid', 'seed-demo'), ...(firstAdminTokenFile && { firstAdminTokenFile }) };
}

/**
 * Records the demo ledger through the write pipeline, many commands in flight, as `write`'s actor
 * (by default the demo's own user, whom `demoSeederWrite` puts in the ledger); returns what was recorded.
 */
export async function seedDemoLedger(
  pipeline: WritePipeline,
  catalog: ProgramCatalog,
  onProgress?: (done: number, total: number) => void,
  write: WriteContext = writeContextFor({ id: DEMO_USER.userId, role: DEMO_USER.role }, 'demo'),
  readModels?: ReadModelsDatabase,
): Promise<{ commands: number; recorded: number }> {
  const commands = demoCommands();
  // The command path of the service: the student directory finds each record, payments meet the budget rule.
  const ledger = new BeneficiaryCommands(pipeline, catalog, readModels);
  let next = 0;
  let done = 0;
  let recorded = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < commands.length) {
        const command = commands[next++];
        const outcome = await ledger.execute(command, write);
        if (outcome.result === 'recorded') recorded++;
        if (++done % 500 === 0 || done === commands.length) onProgress?.(done, commands.length);
      }
    }),
  );
  return { commands: commands.length, recorded };
}
