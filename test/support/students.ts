import { gb11643CheckCharacter } from '@ledger/domain';

/**
 * Synthetic but valid identifiers: resident IDs of Yining City (654002) with real birth dates
 * and correct check characters, one per index.
 */
export function residentId(index: number, birthYear = 2010): string {
  const day = new Date(Date.UTC(birthYear, 0, 1) + (index % 365) * 86_400_000);
  const birth = day.toISOString().slice(0, 10).replace(/-/g, '');
  const sequence = String(Math.floor(index / 365) % 1000).padStart(3, '0');
  const first17 = `654002${birth}${sequence}`;
  return first17 + gb11643CheckCharacter(first17);
}

/** A 10-digit school code of the given type (21 primary, 31 junior, 36 vocational, 41 university) in Xinjiang. */
export const schoolCode = (type: '21' | '31' | '34' | '36' | '41', n: number) => `${type}65${String(n).padStart(6, '0')}`;

/** A boarding-subsidy payment of ¥500 to primary pupil number `i` for autumn 2022: the tests' plainest payment. */
export const boardingPayment = (i: number, overrides: Record<string, unknown> = {}) => ({
  student: { residentId: residentId(i) },
  schoolCode: schoolCode('21', 1 + (i % 5)),
  stage: 'primary',
  programCode: 'BOARDING_LIVING_SUBSIDY',
  period: '2022-autumn',
  amount: '500.00',
  payee: { type: 'student' },
  valueDate: '2022-10-20',
  ...overrides,
});

/**
 * A `J` national student number for student `index`: an ID-style number (region 659001, a birth date,
 * a valid check character) that is not the student's resident ID, so it leads nowhere by itself.
 */
export function studentNumberJ(index: number, birthYear = 2010): string {
  const day = new Date(Date.UTC(birthYear, 0, 1) + (index % 365) * 86_400_000);
  const first17 = `659001${day.toISOString().slice(0, 10).replace(/-/g, '')}${String(Math.floor(index / 365) % 1000).padStart(3, '0')}`;
  return `J${first17}${gb11643CheckCharacter(first17)}`;
}
