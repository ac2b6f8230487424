import fc from 'fast-check';
import { fuzzRuns } from '../../helpers/fuzz';
import { durationMs } from '../../../src/core/duration';
import { isCascadenceError, type CascadenceError } from '../../../src/core/errors';

function rejection(value: string | number): CascadenceError {
  try {
    durationMs(value);
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return err;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
}

describe('durationMs', () => {
  it('passes non-negative finite numbers through as milliseconds', () => {
    expect(durationMs(0)).toBe(0);
    expect(durationMs(250)).toBe(250);
    expect(durationMs(1.5)).toBe(1.5);
  });

  it.each<[string, number]>([
    ['500', 500],
    ['500ms', 500],
    ['2s', 2_000],
    ['1.5s', 1_500],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['0s', 0],
    ['  30 s  ', 30_000],
    ['007ms', 7],
  ])('reads %j as %d ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each<[string, string | number]>([
    ['a negative number', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an empty string', ''],
    ['a bare unit', 's'],
    ['a negative string', '-5s'],
    ['an unknown unit', '5w'],
    ['an upper-case unit', '5S'],
    ['two durations', '1h30m'],
    ['an exponent', '1e3'],
    ['a leading dot', '.5s'],
    ['a trailing dot', '5.s'],
    ['words', 'soon'],
    ['the string Infinity', 'Infinity'],
  ])('rejects %s with VALIDATION and a hint', (_label, value) => {
    const err = rejection(value);
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toContain(JSON.stringify(value));
    expect(err.hint).toEqual(expect.any(String));
  });

  it('rejects non-string, non-number values passed in from untyped callers', () => {
    for (const value of [null, undefined, {}, ['1s'], true]) {
      expect(rejection(value as unknown as string).code).toBe('VALIDATION');
    }
  });

  it('for arbitrary strings, returns a finite non-negative number or throws a CONFIG/VALIDATION CascadenceError', () => {
    const strings = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.stringMatching(/^\s*\d{1,12}(\.\d{1,6})?\s*(ms|s|m|h|d)?\s*$/),
    );
    fc.assert(
      fc.property(strings, (text) => {
        let ms: number;
        try {
          ms = durationMs(text);
        } catch (err) {
          expect(isCascadenceError(err)).toBe(true);
          expect(['CONFIG', 'VALIDATION']).toContain((err as CascadenceError).code);
          return;
        }
        expect(Number.isFinite(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('agrees with the unit table for well-formed durations', () => {
    const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)),
        (n, unit) => {
          expect(durationMs(`${n}${unit}`)).toBe(n * units[unit]);
        },
      ),
    );
  });

  it('rejects a numeral too large to be a finite number of milliseconds', () => {
    // A duration string must not yield Infinity: numbers are only accepted when finite.
    expect(rejection(`1${'0'.repeat(400)}`).code).toBe('VALIDATION');
    expect(rejection(`1${'0'.repeat(305)}d`).code).toBe('VALIDATION');
  });
});
