/**
 * How a workflow ends when its algorithm throws. Workflow-safe.
 */
import { CancelledFailure, TemporalFailure, isCancellation } from '@temporalio/workflow';
import { CascadenceError, isCascadenceError } from '../core/errors';
import { toApplicationFailure } from '../core/failure';

/**
 * Turns whatever a workflow's algorithm threw into something that fails (or cancels) the
 * workflow cleanly: any other error would fail the workflow task and retry it forever.
 */
export function toWorkflowFailure(err: unknown, what = 'run'): unknown {
  // Only a CancelledFailure ends the workflow as cancelled; an activity's or child's cancellation arrives wrapped.
  if (isCancellation(err))
    return err instanceof CancelledFailure ? err : new CancelledFailure(`${what} cancelled`, [], err as Error);
  if (err instanceof TemporalFailure) return err;
  const domain = isCascadenceError(err) ? err : new CascadenceError('INTERNAL', String(err));
  return toApplicationFailure(domain, true);
}
