import { randomBytes } from 'node:crypto';
import { SealBrokenError } from './errors';
import { isSealed, openSeal, seal, sealAad } from './seal';

describe('seal', () => {
  const dataKey = randomBytes(32);
  const aad = sealAad('s0abcdefghjkmnpqrstvwxyz01', 'student.name');

  it('opens to what was sealed: Chinese text, digits, the empty string, long text', () => {
    for (const plain of ['张小明', '110101200501011234', '', 'x'.repeat(1000), '欧阳娜娜', 'a\u0000b']) {
      expect(openSeal(dataKey, seal(dataKey, plain, aad), aad)).toBe(plain);
    }
  });

  it('is self-describing, and differs every time (a random IV) without showing the plaintext', () => {
    const [first, second] = [seal(dataKey, '110101200501011234', aad), seal(dataKey, '110101200501011234', aad)];
    expect(first).toMatch(/^sealed:v1:[A-Za-z0-9_-]+$/);
    expect(first).not.toBe(second);
    expect(Buffer.from(first.slice('sealed:v1:'.length), 'base64url').includes(Buffer.from('110101200501011234'))).toBe(false);
  });

  it('pads: names of one to five characters seal to the same length', () => {
    const lengths = new Set(['李', '张伟', '张小明', '欧阳娜娜', '欧阳小娜娜'].map((name) => seal(dataKey, name, aad).length));
    expect(lengths.size).toBe(1);
  });

  describe('refuses to open', () => {
    const sealed = seal(dataKey, '张小明', aad);
    const bytes = Buffer.from(sealed.slice('sealed:v1:'.length), 'base64url');

    it('a seal with any one byte altered (IV, key commitment, ciphertext or tag)', () => {
      for (let i = 0; i < bytes.length; i++) {
        const altered = Buffer.from(bytes);
        altered[i] ^= 0x01;
        expect(() => openSeal(dataKey, `sealed:v1:${altered.toString('base64url')}`, aad)).toThrow(SealBrokenError);
      }
    });

    it('under another aad: another student, another field', () => {
      expect(() => openSeal(dataKey, sealed, sealAad('s1abcdefghjkmnpqrstvwxyz01', 'student.name'))).toThrow(SealBrokenError);
      expect(() => openSeal(dataKey, sealed, sealAad('s0abcdefghjkmnpqrstvwxyz01', 'student.bankCard'))).toThrow(SealBrokenError);
    });

    it("with another student's data key", () => {
      expect(() => openSeal(randomBytes(32), sealed, aad)).toThrow('a sealed value does not open: altered, moved from another student or field, or sealed under another key');
    });

    it('what is not a seal: another prefix, truncated, not base64url, a clear value', () => {
      for (const value of [sealed.replace('v1', 'v2'), sealed.slice(0, -4), `${sealed}!`, `${sealed.slice(0, -1)}=`, '张小明', 'sealed:v1:']) {
        expect(() => openSeal(dataKey, value, aad)).toThrow(SealBrokenError);
      }
    });

    it('with a data key that is not 32 bytes', () => {
      expect(() => openSeal(Buffer.alloc(16), sealed, aad)).toThrow(TypeError);
      expect(() => seal(Buffer.alloc(16), 'x', aad)).toThrow(TypeError);
    });
  });

  describe('isSealed', () => {
    it('tells a seal from a clear value and from what only looks like one', () => {
      const sealed = seal(dataKey, '张小明', aad);
      expect(isSealed(sealed)).toBe(true);
      expect(isSealed('张小明')).toBe(false);
      expect(isSealed('110101200501011234')).toBe(false);
      expect(isSealed('sealed:v1:abc')).toBe(false);
      expect(isSealed(sealed.slice(0, -3))).toBe(false);
      expect(isSealed(undefined)).toBe(false);
      expect(isSealed(42)).toBe(false);
    });
  });
});
