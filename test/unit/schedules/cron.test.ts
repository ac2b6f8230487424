import fc from 'fast-check';
import { fuzzRuns } from '../../helpers/fuzz';
import { isCascadenceError, type CascadenceError } from '../../../src/core/errors';
import { nextRuns, validateCron, validateTimezone } from '../../../src/schedules/cron';

/** A fixed instant (a Monday, 00:00 UTC) so that next runs do not depend on the clock. */
const FROM = new Date('2024-01-01T00:00:00Z');

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());

/** Calls `fn` and returns the CascadenceError it threw (fails the test otherwise). */
function rejection(fn: () => unknown): CascadenceError {
  try {
    fn();
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return err;
  }
  throw new Error('expected a CascadenceError');
}

/** The wall-clock date and time of `d` in `timeZone`, as `YYYY-MM-DD HH:mm`. */
function wallClock(d: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** The weekday of `d` in `timeZone` (`Sun`, `Mon`, ...). */
const weekday = (d: Date, timeZone: string): string =>
  new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' }).format(d);

describe('validateCron', () => {
  describe('accepts', () => {
    it.each([
      '*/15 * * * *',
      '0 9 * * MON-FRI',
      '0 0 1 JAN,JUL *',
      '5-10/2 * * * *',
      '0,15,30,45 * * * *',
      '0 8-18/2 * * 1,3,5',
      '30 6 1,15 * *',
      '0 0 * JAN-MAR *',
      '0 12 * * sun',
      '0 0 * * SAT,SUN',
      '0 0 * * 0',
      '0 0 * * 7',
      '0 0 * * 6-7',
      '59 23 31 12 *',
      '0 0 1-31/7 * *',
      '* * * * *',
    ])('%s, unchanged', (expr) => {
      expect(validateCron(expr)).toBe(expr);
    });

    it('in a given timezone', () => {
      expect(validateCron('0 9 * * MON-FRI', 'Europe/Paris')).toBe('0 9 * * MON-FRI');
    });

    it('normalising whitespace to single spaces', () => {
      expect(validateCron('  0   9 *\t* \n MON-FRI  ')).toBe('0 9 * * MON-FRI');
      expect(validateCron('*/15 * * * *\n')).toBe('*/15 * * * *');
    });
  });

  describe('rejects, with code VALIDATION and one line', () => {
    it.each([
      ['* * * *', 4],
      ['* * * * * *', 6],
      ['0 0 0 * * * *', 7],
      ['garbage', 1],
      ['', 0],
      ['   ', 0],
    ])('%j: the wrong number of fields', (expr, got) => {
      const err = rejection(() => validateCron(expr));
      expect(err.code).toBe('VALIDATION');
      expect(err.message).toBe(`invalid cron ${JSON.stringify(expr)}: expected 5 fields, got ${got}`);
      expect(err.hint).toMatch(/five fields/);
    });

    it.each([
      ['0 61 * * *', 'hour', '61', '0-23'],
      ['0 24 * * *', 'hour', '24', '0-23'],
      ['60 * * * *', 'minute', '60', '0-59'],
      ['-1 * * * *', 'minute', '-1', '0-59'],
      ['*/0 * * * *', 'minute', '*/0', '0-59'],
      ['5-1 * * * *', 'minute', '5-1', '0-59'],
      ['1.5 * * * *', 'minute', '1.5', '0-59'],
      ['0 0 32 * *', 'day of month', '32', '1-31'],
      ['0 0 0 * *', 'day of month', '0', '1-31'],
      ['0 0 * 13 *', 'month', '13', '1-12 or JAN-DEC'],
      ['0 0 * 0 *', 'month', '0', '1-12 or JAN-DEC'],
      ['0 0 * FOO *', 'month', 'FOO', '1-12 or JAN-DEC'],
      ['0 0 * * 8', 'day of week', '8', '0-7 or SUN-SAT, 0 and 7 are Sunday'],
      ['0 0 * * FOO', 'day of week', 'FOO', '0-7 or SUN-SAT, 0 and 7 are Sunday'],
      ['0 0 * * MON-FOO', 'day of week', 'MON-FOO', '0-7 or SUN-SAT, 0 and 7 are Sunday'],
    ])('%j: names the %s field', (expr, field, value, range) => {
      const err = rejection(() => validateCron(expr));
      expect(err.code).toBe('VALIDATION');
      expect(err.message).toBe(
        `invalid cron ${JSON.stringify(expr)}: ${field} ${JSON.stringify(value)} is not valid (${range})`,
      );
      expect(err.message).not.toMatch(/\n/);
    });

    it('the example from the documentation', () => {
      expect(rejection(() => validateCron('0 61 * * *')).message).toBe(
        'invalid cron "0 61 * * *": hour "61" is not valid (0-23)',
      );
    });

    it('names the first bad field when several are bad', () => {
      expect(rejection(() => validateCron('99 99 * * *')).message).toMatch(/: minute "99" is not valid/);
    });

    it('garbage in five fields', () => {
      const err = rejection(() => validateCron('a b c d e'));
      expect(err.code).toBe('VALIDATION');
      expect(err.message).toMatch(/^invalid cron "a b c d e": minute "a" is not valid/);
    });

    it('keeps an expression with a line break on one line', () => {
      const err = rejection(() => validateCron('0\n61 * *\n*'));
      expect(err.message).toBe('invalid cron "0\\n61 * *\\n*": hour "61" is not valid (0-23)');
    });

    it('an invalid timezone', () => {
      const err = rejection(() => validateCron('0 0 * * *', 'Mars/Olympus_Mons'));
      expect(err.code).toBe('VALIDATION');
      expect(err.message).toBe('invalid timezone "Mars/Olympus_Mons"');
    });

    it.each([
      ['60/5 * * * *', 'minute'],
      ['0 24/2 * * *', 'hour'],
      ['0 0 32/2 * *', 'day of month'],
      ['0 0 * 13/2 *', 'month'],
      ['0 0 * * 8/2', 'day of week'],
    ])('%j: a step starting out of range names the %s field', (expr, field) => {
      expect(rejection(() => validateCron(expr)).message).toMatch(
        new RegExp(`^invalid cron ${JSON.stringify(expr).replace(/[*/]/g, '\\$&')}: ${field} `),
      );
    });
  });
});

describe('validateTimezone', () => {
  it.each(['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'])('accepts %s', (tz) => {
    expect(validateTimezone(tz)).toBe(tz);
  });

  it.each(['Mars/Olympus_Mons', 'Europe/Pariss', 'not a zone', ''])('rejects %j', (tz) => {
    const err = rejection(() => validateTimezone(tz));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toBe(`invalid timezone ${JSON.stringify(tz)}`);
    expect(err.hint).toMatch(/IANA/);
  });
});

describe('nextRuns', () => {
  it('every 15 minutes', () => {
    expect(iso(nextRuns('*/15 * * * *', 'UTC', 3, FROM))).toEqual([
      '2024-01-01T00:15:00.000Z',
      '2024-01-01T00:30:00.000Z',
      '2024-01-01T00:45:00.000Z',
    ]);
  });

  it('weekdays at 9, skipping the weekend', () => {
    expect(iso(nextRuns('0 9 * * MON-FRI', 'UTC', 6, FROM))).toEqual([
      '2024-01-01T09:00:00.000Z',
      '2024-01-02T09:00:00.000Z',
      '2024-01-03T09:00:00.000Z',
      '2024-01-04T09:00:00.000Z',
      '2024-01-05T09:00:00.000Z',
      '2024-01-08T09:00:00.000Z',
    ]);
  });

  it('month names in a list', () => {
    expect(iso(nextRuns('0 0 1 JAN,JUL *', 'UTC', 3, FROM))).toEqual([
      '2024-07-01T00:00:00.000Z',
      '2025-01-01T00:00:00.000Z',
      '2025-07-01T00:00:00.000Z',
    ]);
  });

  it('a stepped range', () => {
    expect(iso(nextRuns('5-10/2 * * * *', 'UTC', 4, FROM))).toEqual([
      '2024-01-01T00:05:00.000Z',
      '2024-01-01T00:07:00.000Z',
      '2024-01-01T00:09:00.000Z',
      '2024-01-01T01:05:00.000Z',
    ]);
  });

  it('0 and 7 are both Sunday, in any timezone', () => {
    for (const tz of ['UTC', 'Europe/Paris', 'America/New_York']) {
      const zero = nextRuns(validateCron('0 0 * * 0', tz), tz, 5, FROM);
      const seven = nextRuns(validateCron('0 0 * * 7', tz), tz, 5, FROM);
      expect(iso(seven)).toEqual(iso(zero));
      expect(iso(nextRuns('0 0 * * SUN', tz, 5, FROM))).toEqual(iso(zero));
      expect(zero).toHaveLength(5);
      for (const d of zero) {
        expect(weekday(d, tz)).toBe('Sun');
        expect(wallClock(d, tz)).toMatch(/ 00:00$/);
      }
    }
    expect(iso(nextRuns('0 0 * * 7', 'UTC', 2, FROM))).toEqual([
      '2024-01-07T00:00:00.000Z',
      '2024-01-14T00:00:00.000Z',
    ]);
  });

  describe('across daylight saving time in Europe/Paris', () => {
    it('09:00 local is 08:00 UTC before the spring change and 07:00 UTC after', () => {
      expect(iso(nextRuns('0 9 * * *', 'Europe/Paris', 4, new Date('2024-03-29T12:00:00Z')))).toEqual([
        '2024-03-30T08:00:00.000Z',
        '2024-03-31T07:00:00.000Z',
        '2024-04-01T07:00:00.000Z',
        '2024-04-02T07:00:00.000Z',
      ]);
    });

    it('09:00 local is 07:00 UTC before the autumn change and 08:00 UTC after', () => {
      expect(iso(nextRuns('0 9 * * *', 'Europe/Paris', 4, new Date('2024-10-25T12:00:00Z')))).toEqual([
        '2024-10-26T07:00:00.000Z',
        '2024-10-27T08:00:00.000Z',
        '2024-10-28T08:00:00.000Z',
        '2024-10-29T08:00:00.000Z',
      ]);
    });

    it('stays at 09:00 wall-clock time for a whole year', () => {
      const runs = nextRuns('0 9 * * *', 'Europe/Paris', 366, FROM);
      expect(runs).toHaveLength(366);
      for (const d of runs) expect(wallClock(d, 'Europe/Paris')).toMatch(/ 09:00$/);
    });

    it('a time in the skipped or repeated hour (02:30) still runs once a day', () => {
      for (const from of ['2024-03-29T12:00:00Z', '2024-10-25T12:00:00Z']) {
        const runs = nextRuns('30 2 * * *', 'Europe/Paris', 5, new Date(from));
        const days = runs.map((d) => wallClock(d, 'Europe/Paris').slice(0, 10));
        expect(new Set(days).size).toBe(5);
      }
      // The repeated hour on 27 October: one run, not two.
      const autumn = iso(nextRuns('30 2 * * *', 'Europe/Paris', 3, new Date('2024-10-26T12:00:00Z')));
      expect(autumn.filter((t) => t.startsWith('2024-10-27'))).toHaveLength(1);
    });
  });

  it('returns strictly increasing dates after `from`', () => {
    const runs = nextRuns('*/7 */5 * * *', 'Asia/Kolkata', 50, FROM);
    expect(runs).toHaveLength(50);
    expect(runs[0]!.getTime()).toBeGreaterThan(FROM.getTime());
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.getTime()).toBeGreaterThan(runs[i - 1]!.getTime());
  });

  it('from inside the hour a DST change repeats, the next runs come after `from` (found by the fuzzing)', () => {
    // 2027-11-07, New York: 02:00 EDT goes back to 01:00 EST; 06:00Z is the second 01:00.
    const from = new Date('2027-11-07T06:00:00.000Z');
    expect(nextRuns('0-42/1 * */1 * 0-0/1', 'America/New_York', 3, from).map((d) => d.toISOString())).toEqual([
      '2027-11-07T06:01:00.000Z',
      '2027-11-07T06:02:00.000Z',
      '2027-11-07T06:03:00.000Z',
    ]);
    // From the first 01:45 (EDT), a daily 01:30 is next the day after, as croner fires it.
    expect(nextRuns('30 1 * * *', 'America/New_York', 1, new Date('2027-11-07T05:45:00Z'))).toEqual([
      new Date('2027-11-08T06:30:00.000Z'),
    ]);
  });

  it('does not overflow the stack for an expression that never fires, and validation rejects it', () => {
    expect(nextRuns('0 0 31 4,6,9,11 *', 'UTC', 3, FROM)).toEqual([]);
    expect(() => validateCron('0 0 31 4,6,9,11 *')).toThrow(/never fires/);
    expect(() => validateCron('0 0 30 2 *')).toThrow(/never fires/);
  });
});

describe('properties', () => {
  const TIMEZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'] as const;

  /** Text that looks more or less like cron: cron characters, names, whitespace, numbers. */
  const cronish = fc
    .array(
      fc.oneof(
        fc.constantFrom('*', '/', '-', ',', ' ', '  ', '\t', '\n', '?', 'L', 'W', '#', '@', 'JAN', 'MON', 'sun', 'x'),
        fc.integer({ min: -5, max: 100 }).map(String),
      ),
      { maxLength: 25 },
    )
    .map((parts) => parts.join(''));
  /** Five whitespace-separated tokens of cron characters, so that most reach croner. */
  const fiveTokens = fc
    .array(
      fc.oneof(
        fc.string({ unit: fc.constantFrom(...'0123456789*/-,LW#?'.split('')), minLength: 1, maxLength: 6 }),
        fc.constantFrom('*', 'JAN', 'MON-FRI', 'SUN', 'FOO', '7', '0'),
      ),
      { minLength: 5, maxLength: 5 },
    )
    .map((fields) => fields.join(' '));
  const anyExpression = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 40 }), cronish, fiveTokens);
  const anyTimezone = fc.oneof(fc.constantFrom(...TIMEZONES), fc.string({ maxLength: 20 }));

  it('validateCron returns five single-spaced fields or throws a one-line VALIDATION error', () => {
    fc.assert(
      fc.property(anyExpression, anyTimezone, (expr, tz) => {
        let out: string;
        try {
          out = validateCron(expr, tz);
        } catch (err) {
          if (!isCascadenceError(err)) throw err;
          expect(err.code).toBe('VALIDATION');
          expect(err.message).not.toMatch(/[\r\n]/);
          expect(err.message).toMatch(/^invalid (cron|timezone) /);
          return;
        }
        const fields = out.split(' ');
        expect(fields).toHaveLength(5);
        expect(fields.every((f) => f.length > 0 && !/\s/.test(f))).toBe(true);
        expect(fields).toEqual(expr.trim().split(/\s+/));
        // Idempotent.
        expect(validateCron(out, tz)).toBe(out);
      }),
      { numRuns: fuzzRuns(3000) },
    );
  });

  /** One field of a valid expression: `*`, `*\/s`, `n`, `a-b`, `a-b/s` or a list of them. */
  function field(min: number, max: number, names: readonly string[] = []): fc.Arbitrary<string> {
    const value = fc.integer({ min, max });
    const name = (n: number): string => names[n - min] ?? String(n);
    const number = fc.oneof(value.map(String), ...(names.length ? [value.map(name)] : []));
    const range = fc.tuple(value, value, fc.boolean()).map(([a, b, named]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return named && names.length ? `${name(lo)}-${name(hi)}` : `${lo}-${hi}`;
    });
    const steppedRange = fc.tuple(value, value).chain(([a, b]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return fc.integer({ min: 1, max: Math.max(1, hi - lo) }).map((s) => `${lo}-${hi}/${s}`);
    });
    const part = fc.oneof(number, range, steppedRange);
    return fc.oneof(
      fc.constant('*'),
      fc.integer({ min: 1, max: max - min }).map((s) => `*/${s}`),
      part,
      fc.array(part, { minLength: 2, maxLength: 4 }).map((parts) => parts.join(',')),
    );
  }
  const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
  const validExpression = fc
    .tuple(
      field(0, 59),
      field(0, 23),
      // Days 29-31 are valid but do not exist in every month; kept out so that every
      // generated expression fires (see the never-firing test above).
      field(1, 28),
      field(1, 12, MONTHS),
      field(0, 7, DAYS),
    )
    .map((fields) => fields.join(' '));

  it('valid expressions are accepted and their next runs strictly increase', () => {
    fc.assert(
      fc.property(
        validExpression,
        fc.constantFrom(...TIMEZONES),
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true }),
        (expr, tz, from) => {
          expect(validateCron(expr, tz)).toBe(expr);
          const runs = nextRuns(expr, tz, 5, from);
          expect(runs).toHaveLength(5);
          expect(runs[0]!.getTime()).toBeGreaterThan(from.getTime());
          for (let i = 1; i < runs.length; i++) expect(runs[i]!.getTime()).toBeGreaterThan(runs[i - 1]!.getTime());
          for (const d of runs) expect(d.getUTCSeconds()).toBe(0);
        },
      ),
      { numRuns: fuzzRuns(500) },
    );
  });
});
