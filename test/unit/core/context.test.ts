import fc from 'fast-check';
import { fuzzRuns } from '../../helpers/fuzz';
import { MAX_CONTEXT_FIELD_LENGTH, MAX_CONTEXT_PAYLOAD_BYTES, validateContextPayload } from '../../../src/core/context';
import { isCascadenceError, type CascadenceError } from '../../../src/core/errors';

/** Calls `fn` and returns the CascadenceError it threw (fails the test otherwise). */
function rejection(payload: unknown): CascadenceError {
  try {
    validateContextPayload(payload);
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return err;
  }
  throw new Error(`expected ${String(payload)} to be rejected`);
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
/** `{"note":""}`: the JSON around a lone note. */
const NOTE_OVERHEAD = jsonBytes({ note: '' });

describe('validateContextPayload', () => {
  describe('accepts', () => {
    it('a note', () => {
      expect(validateContextPayload({ note: 'look at the logs' })).toEqual({ note: 'look at the logs' });
    });

    it('a url', () => {
      expect(validateContextPayload({ url: 'https://example.com/x' })).toEqual({ url: 'https://example.com/x' });
    });

    it('both', () => {
      expect(validateContextPayload({ note: 'n', url: 'u' })).toEqual({ note: 'n', url: 'u' });
    });

    it('an empty field next to a non-empty one, dropping the empty one', () => {
      const out = validateContextPayload({ note: '', url: 'u' });
      expect(out).toStrictEqual({ url: 'u' });
      expect('note' in out).toBe(false);
    });

    it('fields of exactly the character limit', () => {
      const note = 'a'.repeat(MAX_CONTEXT_FIELD_LENGTH);
      expect(validateContextPayload({ note })).toEqual({ note });
    });

    it('a payload of exactly the byte limit', () => {
      // 3-byte characters, padded with ASCII to land exactly on the limit.
      const euros = Math.floor((MAX_CONTEXT_PAYLOAD_BYTES - NOTE_OVERHEAD) / 3);
      const note = '€'.repeat(euros) + 'a'.repeat(MAX_CONTEXT_PAYLOAD_BYTES - NOTE_OVERHEAD - euros * 3);
      expect(jsonBytes({ note })).toBe(MAX_CONTEXT_PAYLOAD_BYTES);
      expect(note.length).toBeLessThanOrEqual(MAX_CONTEXT_FIELD_LENGTH);
      expect(validateContextPayload({ note })).toEqual({ note });
    });

    it('returns a fresh object, not the caller’s', () => {
      const input = { note: 'n' };
      const out = validateContextPayload(input);
      expect(out).not.toBe(input);
      expect(out).toEqual(input);
    });
  });

  describe('rejects with CONTEXT_REJECTED', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['undefined', undefined],
      ['a string', 'note'],
      ['a number', 1],
      ['a boolean', true],
      ['an array', [{ note: 'n' }]],
    ])('a non-object: %s', (_label, payload) => {
      const err = rejection(payload);
      expect(err.code).toBe('CONTEXT_REJECTED');
      expect(err.message).toMatch(/must be an object/);
      expect(err.hint).toEqual(expect.any(String));
    });

    it('extra keys, naming them', () => {
      const err = rejection({ note: 'n', secret: 'x', other: 1 });
      expect(err.code).toBe('CONTEXT_REJECTED');
      expect(err.message).toContain('secret');
      expect(err.message).toContain('other');
    });

    it.each<[string, unknown]>([
      ['a number note', { note: 1 }],
      ['a null url', { url: null }],
      ['an object note', { note: { text: 'x' } }],
      ['an array url', { url: ['https://example.com'] }],
      ['a boolean note next to a valid url', { note: true, url: 'u' }],
    ])('non-string fields: %s', (_label, payload) => {
      const err = rejection(payload);
      expect(err.code).toBe('CONTEXT_REJECTED');
      expect(err.message).toMatch(/must be a string/);
    });

    it('a field over 2048 characters', () => {
      const err = rejection({ url: 'u'.repeat(MAX_CONTEXT_FIELD_LENGTH + 1) });
      expect(err.code).toBe('CONTEXT_REJECTED');
      expect(err.message).toContain(String(MAX_CONTEXT_FIELD_LENGTH + 1));
      expect(err.message).toContain(String(MAX_CONTEXT_FIELD_LENGTH));
    });

    it.each<[string, unknown]>([
      ['an empty object', {}],
      ['an empty note', { note: '' }],
      ['two empty fields', { note: '', url: '' }],
      ['undefined fields', { note: undefined, url: undefined }],
    ])('a payload with nothing in it: %s', (_label, payload) => {
      const err = rejection(payload);
      expect(err.code).toBe('CONTEXT_REJECTED');
      expect(err.message).toMatch(/required/);
    });

    it('a payload over 3072 bytes of JSON whose fields are each under 2048 characters', () => {
      // 1100 three-byte characters: 1100 characters, 3300 bytes.
      const note = '€'.repeat(1100);
      expect(note.length).toBeLessThan(MAX_CONTEXT_FIELD_LENGTH);
      const err = rejection({ note });
      expect(err.code).toBe('CONTEXT_REJECTED');
      expect(err.message).toContain(`${jsonBytes({ note })} bytes`);
      expect(err.message).toContain(String(MAX_CONTEXT_PAYLOAD_BYTES));
    });

    it('one byte over the limit', () => {
      const euros = Math.floor((MAX_CONTEXT_PAYLOAD_BYTES - NOTE_OVERHEAD) / 3);
      const note = '€'.repeat(euros) + 'a'.repeat(MAX_CONTEXT_PAYLOAD_BYTES - NOTE_OVERHEAD - euros * 3 + 1);
      expect(jsonBytes({ note })).toBe(MAX_CONTEXT_PAYLOAD_BYTES + 1);
      expect(rejection({ note }).code).toBe('CONTEXT_REJECTED');
    });

    it('two fields that are fine alone but too large together', () => {
      const note = 'é'.repeat(1000); // 2000 bytes
      const url = 'ü'.repeat(600); // 1200 bytes
      expect(validateContextPayload({ note })).toEqual({ note });
      expect(validateContextPayload({ url })).toEqual({ url });
      expect(rejection({ note, url }).code).toBe('CONTEXT_REJECTED');
    });

    it('counts 4 bytes for characters outside the BMP (surrogate pairs)', () => {
      // 800 emoji: 1600 UTF-16 code units (under the character limit), 3200 bytes.
      const note = '😀'.repeat(800);
      expect(note.length).toBe(1600);
      expect(rejection({ note }).code).toBe('CONTEXT_REJECTED');
      // 765 emoji: 3060 bytes + 11 bytes of JSON = 3071, accepted.
      const fits = '😀'.repeat(765);
      expect(jsonBytes({ note: fits })).toBe(3071);
      expect(validateContextPayload({ note: fits })).toEqual({ note: fits });
    });

    it('measures the JSON, escapes included', () => {
      // 2000 quotes are 2000 characters, but 4000 bytes once escaped as JSON.
      const note = '"'.repeat(2000);
      expect(rejection({ note }).code).toBe('CONTEXT_REJECTED');
    });
  });

  describe('fuzzing', () => {
    /** The rules, restated independently of the implementation. */
    function satisfiesRules(out: unknown): boolean {
      if (typeof out !== 'object' || out === null || Array.isArray(out)) return false;
      const rec = out as Record<string, unknown>;
      const keys = Object.keys(rec);
      if (!keys.every((k) => k === 'note' || k === 'url')) return false;
      if (!keys.every((k) => typeof rec[k] === 'string' && (rec[k] as string).length > 0)) return false;
      if (!keys.every((k) => (rec[k] as string).length <= MAX_CONTEXT_FIELD_LENGTH)) return false;
      if (keys.length === 0) return false;
      return jsonBytes(rec) <= MAX_CONTEXT_PAYLOAD_BYTES;
    }

    /** Whether `payload` should be accepted, and what it should become. */
    function expected(payload: unknown): { ok: true; out: Record<string, string> } | { ok: false } {
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false };
      const rec = payload as Record<string, unknown>;
      if (Object.keys(rec).some((k) => k !== 'note' && k !== 'url')) return { ok: false };
      const out: Record<string, string> = {};
      for (const key of ['note', 'url']) {
        const v = rec[key];
        if (v === undefined) continue;
        if (typeof v !== 'string' || v.length > MAX_CONTEXT_FIELD_LENGTH) return { ok: false };
        if (v.length > 0) out[key] = v;
      }
      return satisfiesRules(out) ? { ok: true, out } : { ok: false };
    }

    function check(payload: unknown): void {
      let out: unknown;
      try {
        out = validateContextPayload(payload);
      } catch (err) {
        expect(isCascadenceError(err)).toBe(true);
        const e = err as CascadenceError;
        expect(e.code).toBe('CONTEXT_REJECTED');
        expect(e.message).not.toMatch(/[\r\n]/);
        expect(e.message.length).toBeGreaterThan(0);
        expect(expected(payload).ok).toBe(false);
        return;
      }
      expect(satisfiesRules(out)).toBe(true);
      const want = expected(payload);
      expect(want.ok).toBe(true);
      if (want.ok) expect(out).toStrictEqual(want.out);
    }

    /** Strings of any code points, including multi-byte and astral ones, around the character limit. */
    const anyString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'binary', minLength: 600, maxLength: 2100 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 2000, maxLength: 2100 }),
    );
    const field = fc.oneof({ weight: 6, arbitrary: anyString }, { weight: 1, arbitrary: fc.jsonValue() });
    const fields = fc.record({ note: field, url: field }, { requiredKeys: [] });
    /** Payload-shaped objects: mostly note/url, sometimes with other keys. */
    const payloadLike = fc.oneof(
      { weight: 6, arbitrary: fields },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fields, fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue(), { minKeys: 1 }))
          .map(([known, extra]) => ({ ...extra, ...known })),
      },
    );

    it('for arbitrary values, returns a payload satisfying every rule or throws CONTEXT_REJECTED with one line', () => {
      fc.assert(fc.property(fc.anything(), (payload) => check(payload)));
    });

    it('for arbitrary JSON values (unicode strings), the same holds', () => {
      fc.assert(fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (payload) => check(payload)));
    });

    it('for payload-shaped values near the limits, accepts exactly those that satisfy the rules', () => {
      fc.assert(
        fc.property(payloadLike, (payload) => check(payload)),
        { numRuns: fuzzRuns(300) },
      );
    });

    it('keeps the message on one line even when a rejected key contains a line break', () => {
      // The CLI prints a CascadenceError's message as its one line on stderr.
      const err = rejection({ note: 'n', 'bad\nkey': 1 });
      expect(err.code).toBe('CONTEXT_REJECTED');
      expect(err.message).not.toMatch(/[\r\n]/);
    });
  });
});
