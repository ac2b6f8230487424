/**
 * What a precheck's answer means. Workflow-safe.
 */
import type { PrecheckOutcome } from './types';

/**
 * What a precheck's answer means: `true` passes; `false`, `null`, `undefined` fail with
 * no reason; a string fails with itself as the reason. Stage runners return an
 * already-normalised {@link PrecheckOutcome}, which passes through.
 */
export function asPrecheckOutcome(value: unknown): PrecheckOutcome {
  if (value === true) return { ok: true };
  if (typeof value === 'object' && value !== null && typeof (value as PrecheckOutcome).ok === 'boolean') {
    return value as PrecheckOutcome;
  }
  if (typeof value === 'string' && value.length > 0) return { ok: false, reason: value };
  return { ok: false };
}
