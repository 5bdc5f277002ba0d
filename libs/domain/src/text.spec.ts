import { DomainError } from './errors';
import { FreeTextRule, parseFreeText, parseOptionalFreeText } from './text';

const oneLine: FreeTextRule = { maxLength: 10 };
const multiline: FreeTextRule = { maxLength: 10, multiline: true };

/** The problem parseFreeText reports for `value`, as code, field and message. */
function problemOf(parse: () => unknown) {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const { code, field, message } = error as DomainError;
    return { code, field, message };
  }
  throw new Error('accepted');
}

describe('a free-text field', () => {
  it('is returned trimmed', () => {
    expect(parseFreeText('  张三 ', 'name', oneLine)).toBe('张三');
  });

  it.each([undefined, null, '', '   ', '\t\n'])('is required: %j is refused', (value) => {
    expect(problemOf(() => parseFreeText(value, 'reason', multiline))).toEqual({ code: 'FIELD_INVALID', field: 'reason', message: 'reason is required' });
  });

  it.each([12, true, {}, ['a']])('must be text: %j is refused', (value) => {
    expect(problemOf(() => parseFreeText(value, 'name', oneLine))).toMatchObject({ field: 'name', message: 'name must be text' });
  });

  it('may have maxLength characters as given, not one more (spaces included: they are counted before trimming)', () => {
    expect(parseFreeText('a'.repeat(10), 'name', oneLine)).toBe('a'.repeat(10));
    expect(problemOf(() => parseFreeText(`${'a'.repeat(9)}  `, 'name', oneLine))).toMatchObject({ message: 'name is longer than 10 characters' });
  });

  it.each([
    ['NUL', '\u0000'],
    ['an escape', '\u001b[31m'],
    ['DEL', '\u007f'],
    ['a C1 control', '\u0085'],
    ['a line separator', '\u2028'],
    ['a right-to-left override', '\u202e'],
    ['a directional isolate', '\u2066'],
    ['a lone surrogate', '\ud800'],
  ])('refuses %s, in any text', (_what, character) => {
    expect(problemOf(() => parseFreeText(`a${character}b`, 'note', multiline))).toMatchObject({ code: 'FIELD_INVALID', field: 'note', message: expect.stringContaining('note contains control characters') });
    expect(problemOf(() => parseFreeText(`a${character}b`, 'name', oneLine))).toMatchObject({ field: 'name' });
  });

  it.each([['a tab', '\t'], ['a line feed', '\n'], ['a carriage return', '\r']])('allows %s in multi-line text only', (_what, character) => {
    expect(parseFreeText(`a${character}b`, 'reason', multiline)).toBe(`a${character}b`);
    expect(problemOf(() => parseFreeText(`a${character}b`, 'name', oneLine))).toMatchObject({ message: 'name contains control characters or line breaks' });
  });

  it('takes characters beyond the basic plane, emoji and right-to-left scripts as they are', () => {
    expect(parseFreeText('𠮷野 😀', 'name', oneLine)).toBe('𠮷野 😀');
    expect(parseFreeText('ئابدۇ', 'name', oneLine)).toBe('ئابدۇ');
  });
});

describe('an optional free-text field', () => {
  it.each([undefined, null, '', '  '])('absent or blank (%j) is no value', (value) => {
    expect(parseOptionalFreeText(value, 'payee.name', oneLine)).toBeUndefined();
  });

  it('given, is checked and trimmed like a required one', () => {
    expect(parseOptionalFreeText(' canteen ', 'payee.name', oneLine)).toBe('canteen');
    expect(problemOf(() => parseOptionalFreeText('a\u0000', 'payee.name', oneLine))).toMatchObject({ field: 'payee.name' });
  });
});
