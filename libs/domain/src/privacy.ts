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
/**
 * A token's id (16 hex digits, at least one a letter — a card number has none): public, it names the
 * token to revoke. Of random ids, one in 40 has twelve digits in a row, which would read as a card.
 */
const TOKEN_ID = /(?<![0-9A-Za-z])(?=[0-9a-f]{0,15}[a-f])[0-9a-f]{16}(?![0-9A-Za-z])/;
const WHOLE = new RegExp(`${UUID.source}|${TOKEN.source}|${TOKEN_ID.source}`, 'g');

// Digits as typed: ASCII or full-width (a Chinese input method in full-width mode); X as check character in either case.
const DIGIT = '[0-9\\uFF10-\\uFF19]';
const CHECK = '[0-9\\uFF10-\\uFF19XxＸｘ]';
/**
 * Bounded by anything but a digit (not by \b): `id_654002…`, `ID654002…` and `g654002…` are still
 * numbers to redact. A student number keeps its letter (G, J or L, in either case) outside the mask.
 */
const STUDENT_NUMBER = new RegExp(`(?<![A-Za-z0-9])[GJLgjl]${DIGIT}{17}${CHECK}(?!${DIGIT})`, 'g');
const RESIDENT_ID = new RegExp(`(?<!${DIGIT})${DIGIT}{17}${CHECK}(?!${DIGIT})`, 'g');
// Longer runs too: a card or an ID with digits glued to it (`20` + an ID) is no less personal data.
const CARD = new RegExp(`(?<!${DIGIT})${DIGIT}{12,}(?!${DIGIT})`, 'g');
const ANY_DIGIT = new RegExp(DIGIT);

/**
 * Chinese phone numbers. A mobile number (11 digits, 13x–19x), whole or grouped (`139 1234 5678`,
 * `139-1234-5678`), with or without the country code, keeps its first 3 and last 4 digits, as
 * receipts print it. A landline is taken only with its area code set apart (`0999-8123456`,
 * `(0991)4567890`, `（0991）4567890`) and keeps the code and its last 2 digits: a bare run of 7–12
 * digits is as likely an id, an amount or a position. Neither is taken beside a Latin letter, so a
 * hash or a code with eleven digits in it stays whole.
 */
const NOT_BESIDE = '0-9A-Za-z\\uFF10-\\uFF19';
const MOBILE = new RegExp(
  `(?<![${NOT_BESIDE}+])((?:(?:\\+|00)?86[ -]?)?)([1１][3-9３-９]${DIGIT})([ -]?)(${DIGIT}{4})([ -]?)(${DIGIT}{4})(?![${NOT_BESIDE}])`,
  'g',
);
const LANDLINE = new RegExp(`(?<![${NOT_BESIDE}-])(\\([0０]${DIGIT}{2,3}\\)|（[0０]${DIGIT}{2,3}）|[0０]${DIGIT}{2,3}-)( ?)([2-9２-９]${DIGIT}{6,7})(?![${NOT_BESIDE}])`, 'g');
const MOBILE_AHEAD = `[1１][3-9３-９]${DIGIT}(?:[ -]?${DIGIT}{4}){2}(?!${DIGIT})`;

/**
 * Names in free text without knowing them, narrowly, so that ordinary words stay whole:
 * - a name in the transliterated form, Han characters joined by `·` (`古丽娜尔·艾力`), anywhere
 *   (from and to the particles and labels around it, see NAME_BOUNDARY);
 * - a word of 2–6 Han characters standing on its own (after the start, a space or punctuation)
 *   just before an identifier in brackets (`古丽娜尔 (654002…)`, `古丽娜尔（13912345678）`), or
 *   before 的 and the label of an identifier (`古丽娜尔的身份证号654002…`, `…的手机号139…`);
 * - capitalised Latin words just before an identifier in brackets (`Zhang San (654002…)`).
 * A word written right beside a number (`重复654002…`, `654002…重复`), ordinary words in those
 * places (`错误的银行卡号…`, `学生（654002…）`) and a name inside a longer run of Han characters are
 * not taken for names. An identifier is a resident ID, a student number, a card or a mobile number.
 */
const HAN = '\\p{sc=Han}';
const INTERPUNCT = /[·•]/;
const IDENTIFIER_AHEAD = `(?=[GJLgjl]?${DIGIT}{12}|${MOBILE_AHEAD})`;
const LABEL = '身份证号码|身份证号|身份证|证件号码|证件号|学籍号|银行卡号|银行卡|卡号|账号|帐号|手机号码|手机号|手机|联系电话|电话号码|电话|号码|编号';
/**
 * Where a transliterated name written in a run of Han characters ends (and, before it, starts):
 * at a particle or preposition (`阿依古丽·买买提的银行卡` → `阿依古丽·买买提`) or an identifier's label.
 * None of these characters is used to transliterate names (`于` is: 于苏甫); nor does one start with
 * 号 or 码, which would continue a label (`身份证号`).
 */
const NAME_BOUNDARY = '的之和与及已因在被为是了等给向对把将由让请从到';
const NAME_CHARACTER = `(?:(?!${LABEL})[^\\P{sc=Han}${NAME_BOUNDARY}])`;
const TRANSLITERATED_NAME = new RegExp(`(?<=^|[^${HAN}]|[${NAME_BOUNDARY}]|${LABEL})(?![号码])${NAME_CHARACTER}+(?:[·•]${NAME_CHARACTER}+)+`, 'gu');
const HAN_NAME_BEFORE_BRACKET = new RegExp(`(?<![${HAN}·•])([${HAN}·•]{2,})([ \\t]*[(（【\\[][ \\t]*)${IDENTIFIER_AHEAD}`, 'gu');
const HAN_NAME_BEFORE_LABEL = new RegExp(`(?<![${HAN}·•])([${HAN}·•]{2,}?)(的(?:${LABEL})[ \\t]*[：:]?[ \\t]*)${IDENTIFIER_AHEAD}`, 'gu');
const LATIN_NAME_BEFORE = new RegExp(`\\b([A-Z][a-z]+(?:[ -][A-Z][a-z]+)*)([ \\t]*[(（][ \\t]*)${IDENTIFIER_AHEAD}`, 'g');
const TRAILING_LABEL = new RegExp(`(?:的)?(?:${LABEL})$`, 'u');
/** Words that stand where a name would (before 的 and a label, or a bracketed number) and are none. */
const NOT_NAMES: ReadonlySet<string> = new Set([
  ...['重复', '错误', '正确', '有效', '无效', '相同', '同一', '另一', '其他', '最新', '原来', '以前', '之前', '真实', '实际'],
  ...['本人', '学生', '该生', '此生', '家长', '父亲', '母亲', '父母', '监护人', '收款人', '持卡人', '开户人', '户主', '对方', '学校', '银行'],
]);

/** The name in a run of Han characters standing before an identifier, with what follows it, or undefined when the run holds none. */
function nameIn(run: string): { name: string; rest: string } | undefined {
  const label = TRAILING_LABEL.exec(run)?.[0] ?? '';
  const name = run.slice(0, run.length - label.length);
  const length = [...name].length;
  if (length < 2 || NOT_NAMES.has(name) || (length > 6 && !INTERPUNCT.test(name))) return undefined;
  return { name, rest: label };
}

const maskedNameIn = (run: string) => {
  const found = nameIn(run);
  return found ? `${maskName(found.name)}${found.rest}` : run;
};

/** `13912345678` → `139****5678`, the grouping and the country code kept. */
const maskMobile = (_: string, country: string, first: string, gap1: string, middle: string, gap2: string, last: string) =>
  `${country}${first}${gap1}${stars(middle.length)}${gap2}${last}`;
/** `0999-8123456` → `0999-*****56` */
const maskLandline = (_: string, areaCode: string, gap: string, number: string) => `${areaCode}${gap}${stars(number.length - 2)}${number.slice(-2)}`;

/**
 * Redacts anything in free text that looks like a resident ID, a student number, a bank card,
 * a phone number or an access token, and the names described above: the last line of defence for
 * logs, and the redaction of free text in answers to roles that see masked data. UUIDs are left
 * whole, so that a logged request id still finds the events it caused.
 */
export function redactText(text: string): string {
  // Nothing to find without a digit or a `·` (the common case: most log lines and most free text).
  if (!ANY_DIGIT.test(text) && !INTERPUNCT.test(text)) return text;
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
  const named = INTERPUNCT.test(text) ? text.replace(TRANSLITERATED_NAME, maskName) : text;
  if (!ANY_DIGIT.test(named)) return named;
  return named
    .replace(HAN_NAME_BEFORE_BRACKET, (_, run: string, gap: string) => `${maskedNameIn(run)}${gap}`)
    .replace(HAN_NAME_BEFORE_LABEL, (_, run: string, label: string) => `${maskedNameIn(run)}${label}`)
    .replace(LATIN_NAME_BEFORE, (_, name: string, gap: string) => `${maskName(name)}${gap}`)
    .replace(STUDENT_NUMBER, (number) => maskStudentNumber(number))
    .replace(RESIDENT_ID, (id) => maskResidentId(id))
    .replace(MOBILE, maskMobile)
    .replace(LANDLINE, maskLandline)
    .replace(CARD, (digits) => maskAccount(digits));
}

/**
 * Free text shown to a role that sees masked data: `redactText`, and every name the answer itself
 * holds (the student's, as recorded) masked wherever it stands — whole, and each part of it of two
 * characters or more (`阿依古丽` of `阿依古丽·买买提`). Other names are recognised only as `redactText` says.
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

/** A digit in any writing: Unicode's decimal digits (ASCII, full-width, Arabic-Indic, mathematical …) and the Chinese numerals. */
const ANY_WRITTEN_DIGIT = /[\p{Nd}〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖]/u;
/** What ends a run of digits: a letter or an ideograph other than a numeral. Spaces, punctuation, invisible characters do not. */
const ENDS_A_RUN = /\p{L}/u;
/** The fewest digits of a run taken for an identifier, a card or a phone number (a mobile number has 11). */
const IDENTIFIER_DIGITS = 11;

/**
 * Where `text` holds 11 or more digits in one run, however they are written or kept apart — by
 * spaces, hyphens, dots, invisible characters, full-width or other scripts' digits, Chinese
 * numerals, percent-encoding (`%36%35…`): an ID, a student number, a card or a phone number, which
 * `redactText` recognises only in the forms people usually type. A letter or an ideograph ends a run.
 * Returns each run's [start, end) in UTF-16 indices, from its first digit to just after its last.
 */
export function longDigitRuns(text: string): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = -1;
  let last = -1;
  let digits = 0;
  const close = () => {
    if (digits >= IDENTIFIER_DIGITS) runs.push([start, last]);
    start = -1;
    digits = 0;
  };
  for (let i = 0; i < text.length; ) {
    const char = String.fromCodePoint(text.codePointAt(i)!);
    // `%3x` is a percent-encoded ASCII digit: one digit, three characters wide.
    const percentEncoded = char === '%' && /^3[0-9]$/.test(text.slice(i + 1, i + 3));
    const width = percentEncoded ? 3 : char.length;
    if (percentEncoded || ANY_WRITTEN_DIGIT.test(char)) {
      if (start < 0) start = i;
      digits++;
      last = i + width;
    } else if (ENDS_A_RUN.test(char)) close();
    i += width;
  }
  close();
  return runs;
}

/**
 * Whether text to be kept for good holds personal data that can be recognised: what `redactText`
 * masks (an ID, a student number, a card, a phone number, a name beside one of them), or 11 or more
 * digits in one run in any writing (`longDigitRuns`). A bare name cannot be recognised.
 */
export function holdsPersonalData(text: string): boolean {
  return redactText(text) !== text || longDigitRuns(text).length > 0;
}

/**
 * Text kept in the log for good (a disclosure's path, an imported file's name): `redactText` (names
 * beside an identifier masked), then every long run of digits in any writing (`longDigitRuns`) and
 * what the redaction leaves of an identifier, a card or a phone number (`654002********0015`: the
 * region and the last digits) taken out whole, so that no part of it outlives the student's erasure.
 */
export function redactForGood(text: string): string {
  const redacted = redactText(text);
  let cut = '';
  let from = 0;
  for (const [start, end] of longDigitRuns(redacted)) {
    cut += `${redacted.slice(from, start)}[redacted]`;
    from = end;
  }
  cut += redacted.slice(from);
  return cut.replace(/[0-9A-Za-z\uFF10-\uFF19]*\*{3,}[0-9A-Za-z\uFF10-\uFF19]*/g, '[redacted]');
}
