/**
 * Masking of personal data (DOMAIN.md §2: keep the first 3–6 and the last 3–4 characters, as aid
 * notices do). One place for the convention; the API applies it for roles that need no personal data.
 */
const stars = (count: number) => '*'.repeat(Math.max(count, 1));

/** `654002201001010015` → `654002********0015` */
export function maskResidentId(value: string): string {
  if (value.length < 10) return stars(value.length);
  return `${value.slice(0, 6)}${stars(value.length - 10)}${value.slice(-4)}`;
}

/** `G654002201001010015` → `G654002********0015` */
export function maskStudentNumber(value: string): string {
  if (value.length < 11) return stars(value.length);
  return `${value.slice(0, 7)}${stars(value.length - 11)}${value.slice(-4)}`;
}

/** A student key is a resident ID or a student number. */
export const maskStudentKey = (value: string) => (/^[GJL]/i.test(value) ? maskStudentNumber(value) : maskResidentId(value));

/** `6222020200112233` → `622202******2233` */
export function maskAccount(value: string): string {
  if (value.length < 10) return stars(value.length);
  return `${value.slice(0, 6)}${stars(value.length - 10)}${value.slice(-4)}`;
}

/** `阿依古丽` → `阿***`, `Zhang San` → `Z********` */
export function maskName(value: string): string {
  const characters = [...value];
  return characters.length <= 1 ? '*' : `${characters[0]}${stars(characters.length - 1)}`;
}

/** A UUID (request, event and correlation ids): 0.35 % of them end in twelve digits, which are not a bank card. */
const UUID = /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g;

/**
 * Redacts anything in free text that looks like a resident ID, a student number, a bank card
 * or an access token: the last line of defence for logs. UUIDs are left whole, so that a logged
 * request id still finds the events it caused.
 */
export function redactText(text: string): string {
  let redacted = '';
  let from = 0;
  for (const uuid of text.matchAll(UUID)) {
    redacted += redactPersonal(text.slice(from, uuid.index)) + uuid[0];
    from = uuid.index! + uuid[0].length;
  }
  return redacted + redactPersonal(text.slice(from));
}

function redactPersonal(text: string): string {
  return text
    .replace(/\bsal\.[A-Za-z0-9_-]+\.[A-Za-z0-9]+\.[A-Za-z0-9_-]+/g, (token) => `${token.split('.').slice(0, 3).join('.')}.[redacted]`)
    .replace(/\b[GJL]\d{17}[\dXx]\b/g, (number) => maskStudentNumber(number))
    .replace(/\b\d{17}[\dXx]\b/g, (id) => maskResidentId(id))
    .replace(/\b\d{12,19}\b/g, (digits) => maskAccount(digits));
}
