/**
 * Domain errors with stable machine-readable codes, and the one error table every list of codes
 * is derived from (exit codes, HTTP statuses, retryability, what passes through a stage).
 *
 * Errors are recognised by a `Symbol.for` brand rather than `instanceof`, because Jest,
 * the workflow sandbox and the worker are separate realms with separate class identities.
 * Workflow-safe.
 */

const BRAND = Symbol.for('cascadence.error');

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

/** What one error code means to each client and to the runtimes. */
export interface ErrorSpec {
  /** Exit code of the `task` CLI. */
  exit: number;
  /** HTTP status of the API. */
  http: number;
  /** Whether a retry may fix it: a stage failing with a non-retryable code is not retried. */
  retryable: boolean;
  /**
   * Whether a stage failing with it fails the pipeline with the same code (a plan or breaker
   * problem); otherwise the pipeline fails with STAGE_FAILED.
   */
  keptByStage: boolean;
  /** Whether a failed subtask passes it up unchanged (it describes the plan, not one stage). */
  keptBySubtask: boolean;
}

const spec = (
  exit: number,
  http: number,
  retryable: boolean,
  kept: { stage?: boolean; subtask?: boolean } = {},
): ErrorSpec => ({ exit, http, retryable, keptByStage: kept.stage ?? false, keptBySubtask: kept.subtask ?? false });

const { USAGE, CONFIG, CONNECTION, RUN_FAILED, PRECHECK_FAILED, UNEXPECTED } = EXIT_CODES;

/** The one error table: every code Cascadence raises on purpose. */
export const ERROR_TABLE = {
  /** Bad flags, arguments or input. */
  USAGE: spec(USAGE, 400, false),
  VALIDATION: spec(USAGE, 400, false, { stage: true }),
  UNKNOWN_TASK: spec(USAGE, 404, false, { stage: true }),
  TASK_DISABLED: spec(USAGE, 409, false),
  TASK_PAUSED: spec(USAGE, 409, false),
  INVALID_PLAN: spec(USAGE, 400, false, { stage: true }),
  PLAN_DEPTH_EXCEEDED: spec(USAGE, 400, false, { stage: true, subtask: true }),
  CONTEXT_REJECTED: spec(USAGE, 400, false),
  UNKNOWN_RUN: spec(USAGE, 404, false),
  UNKNOWN_SCHEDULE: spec(USAGE, 404, false),
  RUN_FINISHED: spec(USAGE, 404, false),
  /** A run id given for a new run is already taken (a redelivered webhook: nothing new starts). */
  RUN_EXISTS: spec(USAGE, 409, false),
  /** HTTP access: no route there, no or a wrong bearer token, another caller's scope, too big a body, too many requests. */
  NOT_FOUND: spec(USAGE, 404, false),
  UNAUTHORIZED: spec(USAGE, 401, false),
  FORBIDDEN: spec(USAGE, 403, false),
  PAYLOAD_TOO_LARGE: spec(USAGE, 413, false),
  RATE_LIMITED: spec(USAGE, 429, true),
  /** Configuration problems. */
  CONFIG: spec(CONFIG, 500, false),
  /** Server or connection problems, and operations a backend does not have. */
  CONNECTION: spec(CONNECTION, 503, true),
  UNSUPPORTED: spec(CONNECTION, 501, false),
  /** A calendar event without a usable recurrence (calendar-driven schedules). */
  CALENDAR: spec(USAGE, 400, false),
  /** A run that ran and did not succeed. */
  STAGE_FAILED: spec(RUN_FAILED, 500, true),
  DAG_FAILED: spec(RUN_FAILED, 500, false),
  CIRCUIT_OPEN: spec(RUN_FAILED, 503, false, { stage: true }),
  CANCELLED: spec(RUN_FAILED, 409, false),
  PRECHECK_FAILED: spec(PRECHECK_FAILED, 422, false),
  /** A saved history that today's workflow code no longer replays (non-determinism). */
  REPLAY_MISMATCH: spec(RUN_FAILED, 500, false),
  /** Anything else. */
  INTERNAL: spec(UNEXPECTED, 500, false),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** Every error code, by name (`ERROR_CODES.USAGE === 'USAGE'`). */
export const ERROR_CODES = Object.fromEntries(Object.keys(ERROR_TABLE).map((c) => [c, c])) as {
  readonly [C in ErrorCode]: C;
};

/** True when `code` is one of the table's codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, code);
}

/** The table's row of `code`, or undefined for a code it does not hold. */
export function errorSpec(code: unknown): ErrorSpec | undefined {
  return isErrorCode(code) ? ERROR_TABLE[code] : undefined;
}

/** Error codes no retry can fix: stages failing with them are not retried. */
export const NON_RETRYABLE_CODES: ReadonlySet<string> = new Set(
  (Object.keys(ERROR_TABLE) as ErrorCode[]).filter((c) => !ERROR_TABLE[c].retryable),
);

/** Options of a CascadenceError. */
export interface CascadenceErrorOptions {
  /** A short suggestion of how to fix the problem. */
  hint?: string;
  cause?: unknown;
  /** Structured, JSON-serialisable details (a DAG's result); they cross the workflow boundary. */
  data?: unknown;
}

/** Base class of every deliberate Cascadence error; carries a stable `code` and an optional hint. */
export class CascadenceError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  /** A short suggestion of how to fix the problem, printed after the message by the CLI. */
  readonly hint: string | undefined;
  /** Structured details, such as a failed DAG's node table. */
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, options: CascadenceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CascadenceError';
    this.code = code;
    this.hint = options.hint;
    this.data = options.data;
  }
}

/** True when `err` is a CascadenceError from any realm. */
export function isCascadenceError(err: unknown): err is CascadenceError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** Maps an error code to the CLI exit code documented in the README (1 for a code outside the table). */
export function exitCodeFor(code: ErrorCode | string | undefined): number {
  return errorSpec(code)?.exit ?? EXIT_CODES.UNEXPECTED;
}

/** Maps an error code to the HTTP status the API answers with (500 for a code outside the table). */
export function httpStatusFor(code: ErrorCode | string | undefined): number {
  return errorSpec(code)?.http ?? 500;
}

/** The deepest error code (CascadenceError `code` or Temporal failure `type`) in an error's cause chain. */
export function rootCode(err: unknown): string | undefined {
  let code: string | undefined;
  let cur: unknown = err;
  for (let i = 0; i < 20 && typeof cur === 'object' && cur !== null; i++) {
    const c = cur as { code?: unknown; type?: unknown; cause?: unknown };
    if (typeof c.code === 'string') code = c.code;
    else if (typeof c.type === 'string' && c.type) code = c.type;
    cur = c.cause;
  }
  return code;
}

/** The deepest message in an error's cause chain (Temporal wraps failures several times). */
export function rootMessage(err: unknown): string {
  let cur: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let i = 0; i < 20 && typeof cur === 'object' && cur !== null; i++) {
    if (cur instanceof Error && cur.message) message = cur.message;
    cur = (cur as { cause?: unknown }).cause;
  }
  return message;
}

/**
 * An error a stage throws to say what it had done before it failed: `partial` (any
 * JSON-serialisable value, e.g. the rows read so far) is kept as the output of the stage's
 * `error` audit record and in the run's failure (`task status`, the error's `data`), on every
 * backend. `throw new StageError('upstream timed out', { partial: rowsSoFar })`.
 */
export class StageError extends Error {
  readonly partial: unknown;

  constructor(message: string, options: { partial?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StageError';
    this.partial = options.partial;
  }
}

/**
 * The partial output an error carries: a `partial` property (a StageError in process), or the
 * `partial` of an ApplicationFailure's details (a StageError that crossed an activity), anywhere
 * in its cause chain.
 */
export function partialOf(err: unknown): unknown {
  let cur: unknown = err;
  for (let i = 0; i < 20 && typeof cur === 'object' && cur !== null; i++) {
    const c = cur as { partial?: unknown; details?: unknown; cause?: unknown };
    if (c.partial !== undefined) return c.partial;
    const first = Array.isArray(c.details) ? (c.details[0] as { partial?: unknown } | undefined) : undefined;
    if (typeof first === 'object' && first !== null && first.partial !== undefined) return first.partial;
    cur = c.cause;
  }
  return undefined;
}
