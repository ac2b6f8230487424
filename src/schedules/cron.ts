/**
 * Cron expressions: standard five fields (minute hour day-of-month month day-of-week) with `*`,
 * steps, ranges, lists, and month and weekday names; `0` and `7` both mean Sunday. Validated
 * with croner before anything is created or persisted. Node-only.
 */
import { Cron } from 'croner';
import { CascadenceError } from '../core/errors';

const FIELDS = [
  { name: 'minute', range: '0-59' },
  { name: 'hour', range: '0-23' },
  { name: 'day of month', range: '1-31' },
  { name: 'month', range: '1-12 or JAN-DEC' },
  { name: 'day of week', range: '0-7 or SUN-SAT, 0 and 7 are Sunday' },
] as const;

function parses(pattern: string, timezone: string): boolean {
  try {
    new Cron(pattern, { timezone, paused: true, legacyMode: true });
    return true;
  } catch {
    return false;
  }
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
  const normalised = fields.join(' ');
  if (parses(normalised, timezone)) return normalised;
  // Name the first field that is wrong on its own (every other field a wildcard).
  const bad = fields.findIndex((_f, i) => !parses(fields.map((f, j) => (i === j ? f : '*')).join(' '), timezone));
  const field = FIELDS[bad];
  const why = field
    ? `${field.name} ${JSON.stringify(fields[bad])} is not valid (${field.range})`
    : 'the fields do not combine';
  throw new CascadenceError('VALIDATION', `invalid cron ${JSON.stringify(expression)}: ${why}`, { hint });
  return normalised;
}

/** The next `count` fire times of a (valid) expression after `from`. */
export function nextRuns(expression: string, timezone = 'UTC', count = 3, from = new Date()): Date[] {
  return new Cron(expression, { timezone, paused: true, legacyMode: true }).nextRuns(count, from);
}
