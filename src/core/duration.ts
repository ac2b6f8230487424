/**
 * Durations given as milliseconds or strings such as `500ms`, `2s`, `10m`, `1h`. Workflow-safe.
 */
import { CascadenceError } from './errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in a duration.
 * @throws CascadenceError VALIDATION for anything else.
 */
export function durationMs(value: string | number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value) : null;
  const ms = m ? Number(m[1]) * (UNITS[m[2] ?? 'ms'] as number) : NaN;
  if (!Number.isFinite(ms)) {
    throw new CascadenceError('VALIDATION', `invalid duration ${JSON.stringify(value)}`, {
      hint: 'use milliseconds or a number with ms, s, m, h or d (e.g. 30s)',
    });
  }
  return ms;
}
