import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Opaque bearer tokens: `sal.<userId>.<tokenId>.<secret>`. The user and token ids are public (they
 * find the record and show in listings); the 256-bit secret is shown once and stored only as its
 * SHA-256 — a slow password hash adds nothing for a random secret of this size.
 */
export interface ParsedToken {
  userId: string;
  tokenId: string;
  secret: string;
}

const TOKEN_PATTERN = /^sal\.([a-z][a-z0-9_-]{1,31})\.([a-z0-9]{8,32})\.([A-Za-z0-9_-]{43})$/;

export function newTokenParts(): { tokenId: string; secret: string } {
  return {
    tokenId: randomBytes(8).toString('hex'),
    secret: randomBytes(32).toString('base64url'),
  };
}

export const formatToken = (userId: string, tokenId: string, secret: string) => `sal.${userId}.${tokenId}.${secret}`;

export function parseToken(text: string): ParsedToken | undefined {
  const match = TOKEN_PATTERN.exec(text);
  return match ? { userId: match[1], tokenId: match[2], secret: match[3] } : undefined;
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function secretMatches(secret: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
