import { maskAccount, maskName, maskResidentId, maskStudentKey, maskStudentNumber, redactText } from './privacy';

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
