import { DomainError } from './errors';
import { holdsPersonalData } from './privacy';

/**
 * Free text a person types into the ledger — a name, a label, a reason, a note — checked and
 * normalized the same way wherever it comes from (HTTP, the command line, an imported file).
 */
export interface FreeTextRule {
  /** The most characters (UTF-16 code units, as JavaScript counts them) the text may have as given, before trimming. */
  readonly maxLength: number;
  /** A reason or a note may hold line breaks and tabs; a name, a label or an account may not. */
  readonly multiline?: boolean;
  /**
   * Text kept in clear in the log for good — a case reference, a purpose — must not hold personal
   * data, which no erasure could take out again: refused when it holds anything the redaction
   * masks (a resident ID, student number, card or phone number, a name beside one of them) or 11
   * digits or more in one run, however written or spaced (`holdsPersonalData`).
   */
  readonly noPersonalData?: boolean;
}

/**
 * What no free text may hold: control characters (C0, DEL, C1: NUL, escapes, backspace …), which
 * corrupt logs, CSV files and terminals; line and paragraph separators; a lone surrogate, which is
 * no character at all and cannot be written as UTF-8; and the bidirectional embedding, override and
 * isolate controls, which make text display otherwise than it reads (an auditor must see what was
 * recorded). Tab, line feed and carriage return are allowed only in multi-line text.
 */
const NOT_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\p{Cs}]/u;
const NOT_IN_ONE_LINE = /[\t\n\r]/;

class InvalidText extends DomainError {
  constructor(field: string, message: string) {
    super('FIELD_INVALID', 'invalid', message, field);
  }
}

/** A required free-text field: refused when absent, blank, too long or holding what no text may; returned trimmed. */
export function parseFreeText(value: unknown, field: string, rule: FreeTextRule): string {
  if (value == null || (typeof value === 'string' && value.trim() === '')) throw new InvalidText(field, `${field} is required`);
  return checkedText(value, field, rule);
}

/** An optional free-text field: absent or blank is no value (undefined); otherwise as parseFreeText. */
export function parseOptionalFreeText(value: unknown, field: string, rule: FreeTextRule): string | undefined {
  if (value == null || (typeof value === 'string' && value.trim() === '')) return undefined;
  return checkedText(value, field, rule);
}

function checkedText(value: unknown, field: string, { maxLength, multiline = false, noPersonalData = false }: FreeTextRule): string {
  if (typeof value !== 'string') throw new InvalidText(field, `${field} must be text`);
  if (NOT_IN_TEXT.test(value) || (!multiline && NOT_IN_ONE_LINE.test(value))) {
    const allowed = multiline ? ' (line breaks and tabs are allowed)' : ' or line breaks';
    throw new InvalidText(field, `${field} contains control characters${allowed}`);
  }
  if (value.length > maxLength) throw new InvalidText(field, `${field} is longer than ${maxLength} characters`);
  if (noPersonalData && holdsPersonalData(value)) {
    throw new InvalidText(
      field,
      `${field} 不得包含个人信息（身份证号、学籍号、银行卡号、电话号码、姓名），它永久保存且不能删除：请填写文号或工单号 / ${field} must hold no personal data (a resident ID, student number, card or phone number, a name): it is kept for good and cannot be erased — give the case's file or ticket number`,
    );
  }
  return value.trim();
}
