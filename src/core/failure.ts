/**
 * The one pair of functions that carries a CascadenceError across the workflow boundary:
 * `toApplicationFailure` (activities and workflows throw it; code, message, hint and data go
 * into its type and details) and `fromFailure` (clients turn a workflow's, update's or
 * activity's failure back into the CascadenceError it was). Workflow-safe.
 */
import { ApplicationFailure } from '@temporalio/common';
import { CascadenceError, ERROR_TABLE, isCascadenceError, isErrorCode, rootMessage } from './errors';

/** What rides in an ApplicationFailure's details. */
interface FailureDetails {
  hint?: string;
  data?: unknown;
}

/**
 * The ApplicationFailure for `err`: type = code, non-retryable as the error table says (or as
 * `nonRetryable` forces), hint and data in the details.
 */
export function toApplicationFailure(err: CascadenceError, nonRetryable?: boolean): ApplicationFailure {
  const details: FailureDetails = {
    ...(err.hint === undefined ? {} : { hint: err.hint }),
    ...(err.data === undefined ? {} : { data: err.data }),
  };
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: nonRetryable ?? !ERROR_TABLE[err.code].retryable,
    details: Object.keys(details).length > 0 ? [details] : [],
  });
}

/** Names of Temporal's failure classes (matched by name: clients, workers and sandboxes are separate realms). */
const TEMPORAL_FAILURES = new Set([
  'ApplicationFailure',
  'CancelledFailure',
  'TerminatedFailure',
  'TimeoutFailure',
  'ServerFailure',
  'ActivityFailure',
  'ChildWorkflowFailure',
]);

function detailsOf(failure: { details?: unknown }): FailureDetails {
  const first = Array.isArray(failure.details) ? (failure.details[0] as unknown) : undefined;
  if (typeof first === 'string') return { hint: first }; // histories recorded before details carried data
  if (typeof first === 'object' && first !== null) return first as FailureDetails;
  return {};
}

/**
 * The CascadenceError a Temporal failure stands for: the outermost Temporal failure in `err`'s
 * cause chain decides (a cancellation is CANCELLED; an ApplicationFailure whose type is a
 * table code keeps it, with its hint and data; anything else is STAGE_FAILED). Anything that
 * is not a Temporal failure comes back unchanged.
 */
export function fromFailure(err: unknown): unknown {
  if (isCascadenceError(err)) return err;
  let cur: unknown = err;
  for (let i = 0; i < 20 && typeof cur === 'object' && cur !== null; i++) {
    const failure = cur as { name?: string; type?: string; message?: string; details?: unknown; cause?: unknown };
    if (failure.name && TEMPORAL_FAILURES.has(failure.name)) {
      if (failure.name === 'CancelledFailure') {
        return new CascadenceError('CANCELLED', 'the run was cancelled', { cause: err });
      }
      const code = failure.name === 'ApplicationFailure' && isErrorCode(failure.type) ? failure.type : 'STAGE_FAILED';
      const { hint, data } = code === failure.type ? detailsOf(failure) : {};
      return new CascadenceError(code, failure.message || rootMessage(err), {
        cause: err,
        ...(hint === undefined ? {} : { hint }),
        ...(data === undefined ? {} : { data }),
      });
    }
    cur = failure.cause;
  }
  return err;
}
