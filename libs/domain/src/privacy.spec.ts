import { holdsPersonalData, maskAccount, maskName, maskResidentId, maskStudentKey, maskStudentNumber, redactForGood, redactFreeText, redactText } from './privacy';

describe('masking personal data (first 6, last 4)', () => {
  it('masks resident IDs, student numbers, accounts and names', () => {
    expect(maskResidentId('654002201001010015')).toBe('654002********0015');
    expect(maskStudentNumber('G654002201001010015')).toBe('G654002********0015');
    expect(maskStudentKey('L654002201001011234')).toBe('L654002********1234');
    expect(maskStudentKey('11010519491231002X')).toBe('110105********002X');
    expect(maskAccount('6222020200112233')).toBe('622202******2233');
    expect(maskName('阿依古丽')).toBe('阿***');
    expect(maskName('王')).toBe('*');
  });

  it('redacts IDs, student numbers, card numbers and tokens in free text', () => {
    const token = `sal.alice.0123456789abcdef.${'x'.repeat(43)}`;
    const text = `paid 11010519491231002X (G654002201001010015) card 6222020200112233445 using ${token}; amount 312.50 on 2022-10-20`;
    const redacted = redactText(text);
    expect(redacted).toBe(
      'paid 110105********002X (G654002********0015) card 622202*********3445 using sal.alice.0123456789abcdef.[redacted]; amount 312.50 on 2022-10-20',
    );
  });

  it('leaves UUIDs whole (request ids end in twelve digits now and then), and still redacts next to them', () => {
    expect(redactText('request 6c7df91a-820d-4389-9f51-397400126072 paid 6222020200112233445')).toBe(
      'request 6c7df91a-820d-4389-9f51-397400126072 paid 622202*********3445',
    );
  });
});

describe('redaction of what the service accepts in other spellings', () => {
  it('redacts student numbers and resident IDs in lower case', () => {
    expect(redactText('lookup g654002201001010015 and 11010519491231002x')).toBe('lookup g654002********0015 and 110105********002x');
    expect(redactText('/beneficiaries/j654002201001010015/history')).toBe('/beneficiaries/j654002********0015/history');
  });

  it('redacts numbers run into words and underscores, and in full-width digits', () => {
    expect(redactText('id_654002201001010015 ID654002201001010015 card6222020200112233445')).toBe('id_654002********0015 ID654002********0015 card622202*********3445');
    expect(redactText('身份证６５４００２２０１００１０１００１５')).toBe('身份证６５４００２********００１５');
  });

  it('leaves a token id whole even when it has twelve digits in a row, and still masks a 16-digit card beside it', () => {
    expect(redactText('revoke token 83d8463367229998 (POST /tokens/83d8463367229998/revocation), card 6222020200112233')).toBe(
      'revoke token 83d8463367229998 (POST /tokens/83d8463367229998/revocation), card 622202******2233',
    );
  });

  it('leaves a token id of digits whole', () => {
    expect(redactText(`sal.alice.1234567890123456.${'y'.repeat(43)}`)).toBe('sal.alice.1234567890123456.[redacted]');
  });
});

describe('redaction of names beside an identifier, and of known names', () => {
  it('masks the name written next to an ID number or a card, before or after it', () => {
    expect(redactText('paid to the card 6217001234567890123 of 古丽娜尔 (654002201001010111) by mistake')).toBe(
      'paid to the card 621700*********0123 of 古*** (654002********0111) by mistake',
    );
    expect(redactText('退款：654002201001010111 古丽娜尔·艾力，已处理')).toBe('退款：654002********0111 古******，已处理');
    expect(redactText('wrong student Zhang San (654002201001010111)')).toBe('wrong student Z******** (654002********0111)');
    expect(redactText('古丽娜尔的身份证号654002201001010111')).toBe('古***的身份证号654002********0111');
  });

  it('does not take the label of an identifier for a name', () => {
    expect(redactText('身份证号：654002201001010111，卡号6217001234567890123')).toBe('身份证号：654002********0111，卡号621700*********0123');
  });

  it('masks the names it is given wherever they stand, whole or by part', () => {
    expect(redactFreeText('阿依古丽·买买提的银行卡已注销；阿依古丽本人确认', ['阿依古丽·买买提'])).toBe('阿*******的银行卡已注销；阿***本人确认');
  });

  it('leaves text without identifiers or known names as it is', () => {
    const text = 'fiscal year 2022, 312.50 yuan for 2022-autumn; 王老师 checked it';
    expect(redactFreeText(text, ['阿依古丽'])).toBe(text);
  });
});

describe('redaction of phone numbers', () => {
  it('masks Chinese mobile numbers as notices do (first 3, last 4), written whole, grouped or with the country code', () => {
    expect(redactText('原因：联系家长，电话13912345678')).toBe('原因：联系家长，电话139****5678');
    expect(redactText('tel 139-1234-5678 or 139 1234 5678')).toBe('tel 139-****-5678 or 139 **** 5678');
    expect(redactText('+86 13912345678, 8613912345678, +86-139-1234-5678')).toBe('+86 139****5678, 86139****5678, +86-139-****-5678');
    expect(redactText('手机：１３９１２３４５６７８')).toBe('手机：１３９****５６７８');
  });

  it('masks landlines written with their area code, keeping the code and the last two digits', () => {
    expect(redactText('学校电话0999-8123456，乌鲁木齐(0991)4567890，北京010-62345678')).toBe('学校电话0999-*****56，乌鲁木齐(0991)*****90，北京010-******78');
    expect(redactText('座机（0999）8123456')).toBe('座机（0999）*****56');
  });

  it('leaves ids, codes, amounts, dates, positions and hashes whole', () => {
    const text =
      'payment 2022-0001-1234567, school 2165000001, amount 13912345.00 yuan on 2022-10-20, 2022-2023, position 1391234567, ' +
      'hash 9f1a13912345678e, request 6c7df91a-820d-4389-9f51-139123456789, 0999 schools, 12:30-13:45, L-2022-0001';
    expect(redactText(text)).toBe(text);
  });

  it('masks the name written beside a phone number like one beside an ID', () => {
    expect(redactText('联系人：古丽娜尔（13912345678）')).toBe('联系人：古***（139****5678）');
    expect(redactText('古丽娜尔的手机号13912345678')).toBe('古***的手机号139****5678');
  });
});

describe('what is taken for a name beside an identifier (narrowly: ordinary words are left alone)', () => {
  it('does not take a word written right beside an identifier for a name', () => {
    expect(redactText('重复654002201001010111')).toBe('重复654002********0111');
    expect(redactText('654002201001010111重复')).toBe('654002********0111重复');
    expect(redactText('身份证号654002201001010111重复，已退回')).toBe('身份证号654002********0111重复，已退回');
    expect(redactText('卡号6217001234567890123错误')).toBe('卡号621700*********0123错误');
  });

  it('does not take an ordinary word before 的 and a label, or before a bracket, for a name', () => {
    expect(redactText('错误的银行卡号6217001234567890123')).toBe('错误的银行卡号621700*********0123');
    expect(redactText('重复的身份证号654002201001010111')).toBe('重复的身份证号654002********0111');
    expect(redactText('学生（654002201001010111）重复发放')).toBe('学生（654002********0111）重复发放');
    expect(redactText('因学生提供了错误的银行卡号6217001234567890123')).toBe('因学生提供了错误的银行卡号621700*********0123');
  });

  it('takes a name written in the transliterated form (with ·) anywhere, with or without an identifier', () => {
    expect(redactText('阿依古丽·买买提的银行卡号错误')).toBe('阿*******的银行卡号错误');
    expect(redactText('654002201001010111古丽娜尔·艾力')).toBe('654002********0111古******');
    expect(redactText('退款给阿依古丽·买买提，身份证号艾力·于苏甫已核对')).toBe('退款给阿*******，身份证号艾*****已核对');
  });
});

describe('text kept for good: personal data recognised however it is written', () => {
  const ID = '654002201001010015';
  const CARD = '6222021234567890128';
  const hidden = [
    ['a card in groups', '6222 0212 3456 7890 128'],
    ['a card with hyphens, dots or slashes', '6222-0212.3456/7890 128'],
    ['an ID in groups, with a no-break or an ideographic space', `654002\u00a020100101\u30000015`],
    ['an ID split by invisible characters', `654002\u200b2010\u200d0101\u2060001\ufeff5`],
    ['an ID with digits glued to it', `12${ID}`],
    ['an ID twice', `${ID}${ID}`],
    ['full-width digits in groups', '６５４００２ ２０１００１０１ ００１５'],
    ['Arabic-Indic digits', '٦٥٤٠٠٢٢٠١٠٠١٠١٠٠١٥'],
    ['mathematical digits', '𝟔𝟓𝟒𝟎𝟎𝟐𝟐𝟎𝟏𝟎𝟎𝟏𝟎𝟏𝟎𝟎𝟏𝟓'],
    ['Chinese numerals', '六五四〇〇二二〇一〇〇一〇一〇〇一五'],
    ['percent-encoding', '%36%35%34%30%30%32%32%30%31%30%30%31%30%31%30%30%31%35'],
    ['a phone with dots', '139.1234.5678'],
    ['a student number in groups', 'G 654002 20100202 0020'],
  ] as const;

  it.each(hidden)('given %s, when checked, then it holds personal data; kept for good, it is taken out', (_, text) => {
    expect(holdsPersonalData(text)).toBe(true);
    const kept = redactForGood(`ref ${text} end`);
    expect(kept).toMatch(/^ref .*\[redacted\].* end$/);
    expect(kept.replace(/\D/g, '')).not.toMatch(/\d{5}/);
  });

  it('given file and ticket numbers as offices write them, when checked, then they hold none and are kept as they are', () => {
    for (const text of ['PIPL-2026-0042', '伊教资〔2026〕12号', 'ARCH-2026-0007', '年度审计 2026-07', '第一批', `批次 ${'1'.repeat(10)}`]) {
      expect({ text, holds: holdsPersonalData(text), kept: redactForGood(text) }).toEqual({ text, holds: false, kept: text });
    }
  });

  it('given a card or an ID with digits glued to it, when logged, then no whole one is written', () => {
    expect(redactText(`GET /beneficiaries/20${ID}/history`)).not.toContain(ID);
    expect(redactText(`1${CARD}`)).not.toContain(CARD);
  });
});
