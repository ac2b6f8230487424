/**
 * Domain errors with stable machine-readable codes.
 *
 * Errors are recognised by a `Symbol.for` brand rather than `instanceof`, because Jest,
 * the workflow sandbox and the worker are separate realms with separate class identities.
 */

const BRAND = Symbol.for('cascadence.error');

/** Every error code Cascadence raises on purpose, grouped by how a CLI should exit. */
export const ERROR_CODES = {
  /** Bad flags, arguments or input: exit 2. */
  USAGE: 'USAGE',
  VALIDATION: 'VALIDATION',
  UNKNOWN_TASK: 'UNKNOWN_TASK',
  TASK_DISABLED: 'TASK_DISABLED',
  TASK_PAUSED: 'TASK_PAUSED',
  INVALID_PLAN: 'INVALID_PLAN',
  PLAN_DEPTH_EXCEEDED: 'PLAN_DEPTH_EXCEEDED',
  CONTEXT_REJECTED: 'CONTEXT_REJECTED',
  UNKNOWN_RUN: 'UNKNOWN_RUN',
  UNKNOWN_SCHEDULE: 'UNKNOWN_SCHEDULE',
  RUN_FINISHED: 'RUN_FINISHED',
  /** Configuration problems: exit 3. */
  CONFIG: 'CONFIG',
  /** Server or connection problems: exit 4. */
  CONNECTION: 'CONNECTION',
  UNSUPPORTED: 'UNSUPPORTED',
  /** A run that ran and did not succeed: exit 5 (stage error) or 6 (precheck failed). */
  STAGE_FAILED: 'STAGE_FAILED',
  DAG_FAILED: 'DAG_FAILED',
  PRECHECK_FAILED: 'PRECHECK_FAILED',
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  CANCELLED: 'CANCELLED',
  /** Anything else: exit 1. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Error codes no retry can fix: stages failing with them are not retried. */
export const NON_RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'UNKNOWN_TASK',
  'INVALID_PLAN',
  'VALIDATION',
  'CIRCUIT_OPEN',
  'CONTEXT_REJECTED',
  'INTERNAL',
  'CANCELLED',
]);

/** Base class of every deliberate Cascadence error; carries a stable `code` and an optional hint. */
export class CascadenceError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  /** A short suggestion of how to fix the problem, printed after the message by the CLI. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CascadenceError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** True when `err` is a CascadenceError from any realm. */
export function isCascadenceError(err: unknown): err is CascadenceError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** Process exit codes, documented in the README. */
export const EXIT_CODES = {
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  CONFIG: 3,
  CONNECTION: 4,
  RUN_FAILED: 5,
  PRECHECK_FAILED: 6,
} as const;

/** Maps an error code to the CLI exit code documented in the README. */
export function exitCodeFor(code: ErrorCode | string | undefined): number {
  switch (code) {
    case 'USAGE':
    case 'VALIDATION':
    case 'UNKNOWN_TASK':
    case 'TASK_DISABLED':
    case 'TASK_PAUSED':
    case 'INVALID_PLAN':
    case 'PLAN_DEPTH_EXCEEDED':
    case 'CONTEXT_REJECTED':
    case 'UNKNOWN_RUN':
    case 'UNKNOWN_SCHEDULE':
    case 'RUN_FINISHED':
      return EXIT_CODES.USAGE;
    case 'CONFIG':
      return EXIT_CODES.CONFIG;
    case 'CONNECTION':
    case 'UNSUPPORTED':
      return EXIT_CODES.CONNECTION;
    case 'STAGE_FAILED':
    case 'DAG_FAILED':
    case 'CIRCUIT_OPEN':
    case 'CANCELLED':
      return EXIT_CODES.RUN_FAILED;
    case 'PRECHECK_FAILED':
      return EXIT_CODES.PRECHECK_FAILED;
    default:
      return EXIT_CODES.UNEXPECTED;
  }
}
