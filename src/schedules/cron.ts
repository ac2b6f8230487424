/**
 * Cron expressions: standard five fields (minute hour day-of-month month day-of-week) with `*`,
 * steps, ranges, lists, and month and weekday names; `0` and `7` both mean Sunday. Validated
 * with croner before anything is created or persisted. Node-only.
 */
import { Cron } from 'croner';
import { CascadenceError } from '../core/errors';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  name: string;
  min: number;
  max: number;
  range: string;
  /** Names for values, with the value of the first name. */
  names?: { list: string[]; first: number };
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59, range: '0-59' },
  { name: 'hour', min: 0, max: 23, range: '0-23' },
  { name: 'day of month', min: 1, max: 31, range: '1-31' },
  { name: 'month', min: 1, max: 12, range: '1-12 or JAN-DEC', names: { list: MONTHS, first: 1 } },
  { name: 'day of week', min: 0, max: 7, range: '0-7 or SUN-SAT, 0 and 7 are Sunday', names: { list: DAYS, first: 0 } },
];

function fieldValue(token: string, field: Field): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const i = field.names?.list.indexOf(token.toUpperCase()) ?? -1;
  return i >= 0 && field.names ? i + field.names.first : undefined;
}

/** Standard cron syntax only: `*`, numbers or names, ranges `a-b`, steps `/n`, lists `a,b`; every value in range. */
function validField(text: string, field: Field): boolean {
  return text.split(',').every((part) => {
    const [range = '', step, ...extra] = part.split('/');
    if (extra.length > 0 || (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1))) return false;
    if (range === '*') return true;
    const [a = '', b, ...more] = range.split('-');
    if (more.length > 0) return false;
    const lo = fieldValue(a, field);
    // `MON-SUN`: Sunday closing a range is 7.
    const hi = b === undefined ? lo : field.max === 7 && b.toUpperCase() === 'SUN' ? 7 : fieldValue(b, field);
    return lo !== undefined && hi !== undefined && lo >= field.min && hi <= field.max && lo <= hi;
  });
}

/**
 * Checks a timezone name (IANA, e.g. `Europe/Paris`).
 * @throws CascadenceError VALIDATION naming it.
 */
export function validateTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    throw new CascadenceError('VALIDATION', `invalid timezone ${JSON.stringify(timezone)}`, {
      hint: 'use an IANA name such as UTC or Europe/Paris',
    });
  }
}

/**
 * Checks a five-field cron expression (and its timezone) and returns it normalised (single
 * spaces). @throws CascadenceError VALIDATION in one line naming the bad field.
 */
export function validateCron(expression: string, timezone = 'UTC'): string {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  const hint = 'five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * MON-FRI"';
  if (fields.length !== 5) {
    throw new CascadenceError(
      'VALIDATION',
      `invalid cron ${JSON.stringify(expression)}: expected 5 fields, got ${fields.length}`,
      { hint },
    );
  }
  validateTimezone(timezone);
  const bad = fields.findIndex((f, i) => !validField(f, FIELDS[i] as Field));
  const field = FIELDS[bad];
  if (field) {
    throw new CascadenceError(
      'VALIDATION',
      `invalid cron ${JSON.stringify(expression)}: ${field.name} ${JSON.stringify(fields[bad])} is not valid (${field.range})`,
      { hint },
    );
  }
  const normalised = fields.join(' ');
  if (nextRuns(normalised, timezone, 1).length === 0) {
    throw new CascadenceError(
      'VALIDATION',
      `invalid cron ${JSON.stringify(expression)}: it never fires (no such date)`,
      {
        hint,
      },
    );
  }
  return normalised;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `date`, in ms. */
function utcOffsetMs(date: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(date.getTime() / 1000) * 1000;
}

/**
 * The next `count` fire times of a (valid) expression after `from`, strictly increasing. In the
 * hour a DST change repeats (clocks go back), croner maps a wall time to its first occurrence,
 * which is before `from` when `from` is in the second one: such a run is at the second
 * occurrence of the same wall time instead.
 */
export function nextRuns(expression: string, timezone = 'UTC', count = 3, from = new Date()): Date[] {
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, paused: true, legacyMode: true });
  } catch {
    return [];
  }
  const runs: Date[] = [];
  let after = from;
  while (runs.length < count) {
    let next: Date | null;
    try {
      next = cron.nextRun(after);
    } catch {
      break; // croner gives up (or overflows its stack) on dates that never exist, e.g. 31 April
    }
    if (!next) break;
    if (next.getTime() <= after.getTime()) {
      next = new Date(next.getTime() + utcOffsetMs(next, timezone) - utcOffsetMs(after, timezone));
      if (next.getTime() <= after.getTime()) break; // not a repeated hour: nothing sound to return
    }
    runs.push(next);
    after = next;
  }
  return runs;
}
