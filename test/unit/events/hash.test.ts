import { createHash, createHmac } from 'node:crypto';
import { hashId } from '../../../src/events/hash';

const HEX64 = /^[0-9a-f]{64}$/;

describe('hashId', () => {
  it('is HMAC-SHA-256 keyed by the secret when there is one', () => {
    const expected = createHmac('sha256', 'k3y').update('alice@example.com').digest('hex');
    expect(hashId('alice@example.com', 'k3y')).toBe(expected);
  });

  it('is plain SHA-256 without a secret (undefined or empty)', () => {
    const expected = createHash('sha256').update('alice@example.com').digest('hex');
    expect(hashId('alice@example.com', undefined)).toBe(expected);
    expect(hashId('alice@example.com', '')).toBe(expected);
  });

  it('matches the published SHA-256 test vector', () => {
    expect(hashId('abc', '')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches an RFC 4231 HMAC-SHA-256 test vector', () => {
    // RFC 4231, test case 2.
    expect(hashId('what do ya want for nothing?', 'Jefe')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('always yields 64 lowercase hex characters', () => {
    for (const raw of ['', 'a', 'ünïcødé 😀', 'x'.repeat(10_000)]) {
      expect(hashId(raw, 'secret')).toMatch(HEX64);
      expect(hashId(raw, undefined)).toMatch(HEX64);
    }
  });

  it('is deterministic, and differs by secret and by input', () => {
    expect(hashId('bob', 's')).toBe(hashId('bob', 's'));
    expect(hashId('bob', 's')).not.toBe(hashId('bob', 't'));
    expect(hashId('bob', 's')).not.toBe(hashId('bob', ''));
    expect(hashId('bob', 's')).not.toBe(hashId('bob2', 's'));
  });

  it('never contains the raw id', () => {
    const raw = 'deadbeef';
    expect(hashId(raw, 'secret')).not.toContain(raw);
  });
});
