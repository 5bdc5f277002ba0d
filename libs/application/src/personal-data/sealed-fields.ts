/**
 * Which fields of a student's events are personal data, sealed with the student's own data key
 * before they are appended (and so before they are hashed): the identifiers and name of the
 * beneficiary, the payee's account and name (a guardian's name, or a card number), and the free-text
 * reasons, which may name a child. Everything a total, a replay or a reconciliation needs — amounts,
 * program, period, school, stage, dates, the opaque student key — stays in clear.
 */
export const SEALED_FIELDS = [
  ['beneficiary', 'residentId'],
  ['beneficiary', 'studentNumber'],
  ['beneficiary', 'name'],
  ['payee', 'account'],
  ['payee', 'name'],
  ['reason'],
  ['budgetOverride', 'reason'],
] as const;

/** `beneficiary.residentId`: the path of a sealed field, bound into its seal (a seal cannot be moved to another field). */
export type SealedFieldPath = string;

type Data = Record<string, unknown>;

/**
 * A copy of `data` with every personal field that is a string replaced by `transform(value, path)`;
 * the fields' places and every other field unchanged. `transform` may return undefined: the field
 * is then left out (an erased student's field, where the caller wants it gone rather than marked).
 */
export function mapSealedFields(data: unknown, transform: (value: string, path: SealedFieldPath) => string | undefined): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  let copy: Data | undefined;
  for (const path of SEALED_FIELDS) {
    const parent = path.length === 1 ? (copy ?? (data as Data)) : ((copy ?? (data as Data))[path[0]] as Data | undefined);
    const field = path[path.length - 1];
    if (parent === null || typeof parent !== 'object' || typeof parent[field] !== 'string') continue;
    const value = transform(parent[field] as string, path.join('.'));
    if (value === parent[field]) continue;
    copy ??= { ...(data as Data) };
    const target = path.length === 1 ? copy : (copy[path[0]] = { ...(copy[path[0]] as Data) });
    if (value === undefined) delete target[field];
    else target[field] = value;
  }
  return copy ?? data;
}
