/**
 * Masking of personal data (keep the first 3–6 and the last 3–4 characters, as aid notices do). One place for the convention; the API applies it for roles that need no personal data.
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
const UUID = /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/;
/** An access token: its user and token ids are public (they find the record); the secret is not. */
const TOKEN = /\bsal\.[A-Za-z0-9_-]+\.[A-Za-z0-9]+\.[A-Za-z0-9_-]+/;
/** What is kept whole (UUIDs) or redacted as a whole (tokens), before anything else is looked at. */
const WHOLE = new RegExp(`${UUID.source}|${TOKEN.source}`, 'g');

// Digits as typed: ASCII or full-width (a Chinese input method in full-width mode); X as check character in either case.
const DIGIT = '[0-9\\uFF10-\\uFF19]';
const CHECK = '[0-9\\uFF10-\\uFF19XxＸｘ]';
/**
 * Bounded by anything but a digit (not by \b): `id_654002…`, `ID654002…` and `g654002…` are still
 * numbers to redact. A student number keeps its letter (G, J or L, in either case) outside the mask.
 */
const STUDENT_NUMBER = new RegExp(`(?<![A-Za-z0-9])[GJLgjl]${DIGIT}{17}${CHECK}(?!${DIGIT})`, 'g');
const RESIDENT_ID = new RegExp(`(?<!${DIGIT})${DIGIT}{17}${CHECK}(?!${DIGIT})`, 'g');
const CARD = new RegExp(`(?<!${DIGIT})${DIGIT}{12,19}(?!${DIGIT})`, 'g');
const ANY_DIGIT = new RegExp(DIGIT);

/**
 * A name written beside an identifier — `古丽娜尔 (654002…)`, `古丽娜尔的身份证号654002…`,
 * `654002… 古丽娜尔·艾力`, `Zhang San (654002…)` — is masked with it: a run of Han characters just
 * before one (across spaces or an opening bracket; the label words of an identifier and a 的 at its
 * end are not the name), or just after one across spaces, or capitalised Latin words just before
 * one in brackets. Before a colon the run is a label (`身份证号：`), not a name.
 */
const IDENTIFIER_AHEAD = `(?=[GJLgjl]?${DIGIT}{12})`;
const HAN_NAME_BEFORE = new RegExp(`([\\p{sc=Han}·•]{2,})([ \\t]*[(（【\\[]?[ \\t]*)${IDENTIFIER_AHEAD}`, 'gu');
const HAN_NAME_AFTER = new RegExp(`((?<![0-9A-Za-z\\uFF10-\\uFF19])[GJLgjl]?${DIGIT}{12,19}${CHECK}?[ \\t]*)([\\p{sc=Han}·•]{2,})`, 'gu');
const LATIN_NAME_BEFORE = new RegExp(`\\b([A-Z][a-z]+(?:[ -][A-Z][a-z]+)*)([ \\t]*[(（][ \\t]*)${IDENTIFIER_AHEAD}`, 'g');
const IDENTIFIER_LABEL = /(?:的)?(?:身份证号码|身份证号|身份证|证件号码|证件号|学籍号|银行卡号|银行卡|卡号|账号|帐号|号码|编号)$/u;

function maskNameBefore(run: string): string {
  const label = IDENTIFIER_LABEL.exec(run)?.[0] ?? '';
  const rest = run.slice(0, run.length - label.length);
  const name = rest.endsWith('的') ? rest.slice(0, -1) : rest;
  return [...name].length >= 2 ? `${maskName(name)}${rest.slice(name.length)}${label}` : run;
}

/**
 * Redacts anything in free text that looks like a resident ID, a student number, a bank card
 * or an access token, and a name written beside one: the last line of defence for logs, and the
 * redaction of free text in answers to roles that see masked data. UUIDs are left whole, so that
 * a logged request id still finds the events it caused.
 */
export function redactText(text: string): string {
  // Nothing to find without a digit (the common case: most log lines and most free text).
  if (!ANY_DIGIT.test(text)) return text;
  let redacted = '';
  let from = 0;
  for (const whole of text.matchAll(WHOLE)) {
    const kept = whole[0].startsWith('sal.') ? `${whole[0].split('.').slice(0, 3).join('.')}.[redacted]` : whole[0];
    redacted += redactPersonal(text.slice(from, whole.index)) + kept;
    from = whole.index! + whole[0].length;
  }
  return redacted + redactPersonal(text.slice(from));
}

function redactPersonal(text: string): string {
  if (!ANY_DIGIT.test(text)) return text;
  return text
    .replace(HAN_NAME_BEFORE, (_, run: string, gap: string) => `${maskNameBefore(run)}${gap}`)
    .replace(HAN_NAME_AFTER, (_, identifier: string, name: string) => `${identifier}${maskName(name)}`)
    .replace(LATIN_NAME_BEFORE, (_, name: string, gap: string) => `${maskName(name)}${gap}`)
    .replace(STUDENT_NUMBER, (number) => maskStudentNumber(number))
    .replace(RESIDENT_ID, (id) => maskResidentId(id))
    .replace(CARD, (digits) => maskAccount(digits));
}

/**
 * Free text shown to a role that sees masked data: `redactText`, and every name the answer itself
 * holds (the student's, as recorded) masked wherever it stands — whole, and each part of it of two
 * characters or more (`阿依古丽` of `阿依古丽·买买提`). Other names in free text are not recognised.
 */
export function redactFreeText(text: string, knownNames: Iterable<string> = []): string {
  let redacted = text;
  for (const name of knownNames) {
    for (const part of [name, ...name.split(/[·•\s]+/)]) {
      if ([...part].length >= 2 && redacted.includes(part)) redacted = redacted.split(part).join(maskName(part));
    }
  }
  return redactText(redacted);
}
