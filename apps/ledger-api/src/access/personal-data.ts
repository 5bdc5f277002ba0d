import { ON_LEGAL_HOLD, maskAccount, maskName, maskStudentKey, maskStudentNumber, maskResidentId, redactFreeText } from '@ledger/domain';

const MASK_BY_KEY: Record<string, (value: string) => string> = {
  residentId: maskResidentId,
  studentNumber: maskStudentNumber,
  beneficiaryKey: maskStudentKey,
  studentKey: maskStudentKey,
  key: maskStudentKey,
  account: maskAccount,
};

/** Objects whose `name` is a person's (a payee's `name` is a canteen or a university). */
const PERSON_OBJECTS = new Set(['beneficiary', 'student']);

/**
 * Fields that are identifiers, codes, amounts, positions, hashes, keys or tokens by construction,
 * never free text: left whole (an id that looks like a card number must still find its record, a
 * token just issued must still work). Every other string is free text and is redacted.
 */
const STRUCTURAL_FIELD = /(Ids?|Code|Position|Hash|Size|Index)$|^(id|code|position|amount|yuan|wanYuan|hash|root|previous|signature|publicKey|token)$/;

const structural = new Map<string, boolean>();
const isStructural = (key: string) => structural.get(key) ?? structural.set(key, STRUCTURAL_FIELD.test(key)).get(key)!;

/** One walk over an answer: what it masks at once, and the free text left for when all its names are known. */
class Masking {
  /** The names of the people the answer is about, to mask them where its free text repeats them. */
  readonly names = new Set<string>();
  private readonly freeText: Array<{ target: Record<string, unknown> | unknown[]; at: string | number; text: string }> = [];

  copy(value: unknown, parentKey: string): unknown {
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      value.forEach((item, index) => (copy[index] = typeof item === 'string' ? this.string(copy, index, parentKey, '', item) : this.copy(item, parentKey)));
      return copy;
    }
    // Only plain data is walked: files and buffers (XLSX downloads) pass through as they are.
    if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
      copy[key] = typeof field === 'string' ? this.string(copy, key, key, parentKey, field) : this.copy(field, key);
    }
    return copy;
  }

  private string(target: Record<string, unknown> | unknown[], at: string | number, key: string, parentKey: string, value: string): string {
    // What a held student's personal field reads as is no personal data: shown as it is, not masked into a fake identifier.
    if (value === ON_LEGAL_HOLD) return value;
    if (key === 'key' && !PERSON_OBJECTS.has(parentKey)) return value;
    if (MASK_BY_KEY[key]) return MASK_BY_KEY[key](value);
    if (key === 'name' && PERSON_OBJECTS.has(parentKey)) {
      this.names.add(value);
      return maskName(value);
    }
    if (key === 'streamId') return value.startsWith('beneficiary-') ? `beneficiary-${maskStudentKey(value.slice(12))}` : value;
    if (isStructural(key)) return value;
    this.freeText.push({ target, at, text: value });
    return value;
  }

  /** Free text redacted, now that every name in the answer is known. */
  redactFreeText(): void {
    for (const { target, at, text } of this.freeText) (target as Record<string | number, unknown>)[at] = redactFreeText(text, this.names);
  }
}

/** The names an answer's free text may hold, carried beside the answer for the masking, never sent (JSON leaves symbols out). */
const KNOWN_NAMES = Symbol('known names');

/**
 * `answer`, with the names of the student it is about for the masking of its free text: the
 * answer need not show them (a payment's view holds no name, its reversal reason may).
 */
export function withKnownNames<T extends object>(answer: T, names: Iterable<string>): T {
  return Object.defineProperty(answer, KNOWN_NAMES, { value: [...names], enumerable: false });
}

/**
 * A copy of `value` with every personal field masked, wherever it sits in the response, and every
 * free-text string redacted (ID numbers, cards, phone numbers, tokens, the names `redactText`
 * recognises, and the names of the people the answer is about: those it holds and those it was given
 * with `withKnownNames`).
 */
export function maskPersonalData(value: unknown): unknown {
  const masking = new Masking();
  for (const name of (value as { [KNOWN_NAMES]?: string[] } | null)?.[KNOWN_NAMES] ?? []) masking.names.add(name);
  const masked = masking.copy(value, '');
  masking.redactFreeText();
  return masked;
}
