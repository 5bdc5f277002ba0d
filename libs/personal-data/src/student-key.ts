import { freshRandom } from './fresh-random';

/** Crockford's base32, lower case: no i, l, o or u, so a key read aloud or retyped is not mistaken. */
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const STUDENT_KEY = /^s[0-7][0-9a-hjkmnp-tv-z]{25}$/;

/**
 * A new pseudonymous student key: `s` and 26 characters of Crockford base32 holding 128 bits — the
 * time it was made (48 bits of milliseconds) and then 80 random bits. Never derived from an
 * identifier, so the key says nothing of the student once their data key is destroyed — it is what
 * stream names, projections and tombstones carry. The time in front tells no more than the log does
 * (the record's first event carries when it was recorded), and it makes keys made together sort
 * together: the key store's tables and indexes keyed by student key grow at their end instead of
 * at random pages, which halves what each commit of new students writes.
 */
export function newStudentKey(now: number = Date.now()): string {
  let bits = (BigInt(Math.floor(now)) << 80n) | BigInt(`0x${freshRandom(10).toString('hex')}`);
  let text = '';
  for (let i = 0; i < 26; i++) {
    text = CROCKFORD[Number(bits & 31n)] + text;
    bits >>= 5n;
  }
  return `s${text}`;
}

/** Whether this is a key newStudentKey makes (and not, say, a resident ID passed by mistake). */
export function isStudentKey(value: unknown): value is string {
  return typeof value === 'string' && STUDENT_KEY.test(value);
}

/** Refuses anything but a student key: a resident ID handed here would be stored in the clear. */
export function assertStudentKey(value: unknown): asserts value is string {
  if (!isStudentKey(value)) throw new TypeError(`not a student key (s + 26 base32 characters): ${typeof value === 'string' ? `${value.length} characters` : typeof value}`);
}
