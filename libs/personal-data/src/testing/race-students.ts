import type { Identifier } from '../identity-index';

/** The i-th student of the race: a resident ID and a student number of their own. */
export function raceStudent(i: number): Identifier[] {
  const digits = `11010120050101${String(i).padStart(4, '0')}`;
  return [
    { kind: 'residentId', value: digits },
    { kind: 'studentNumber', value: `G${digits}` },
  ];
}
