/**
 * Recovering runs, written once for every client: retry a failed (or stuck) run from the stage
 * that did not succeed, so the stages that succeeded are not run again, or rerun it as a new run
 * with the same task, input and hashed ids; one run, or every failed run (of a task, within a
 * time window) at once. Each action is recorded in the task's audit trail with who did it.
 * Node-only.
 */
import {
  hasCapability,
  requireCapability,
  type Actor,
  type Backend,
  type RerunOutcome,
  type RetryOutcome,
  type RetryRequest,
  type RunSummary,
} from '../backends/backend';
import { durationMs } from '../core/duration';
import { isCascadenceError, rootMessage } from '../core/errors';

const HINT = 'retry and rerun work on Temporal: use --backend temporal';

/** Which failed runs to act on. */
export interface FailedRunSelection {
  /** Only runs of this task (`dag:<name>` for DAG runs). */
  task?: string;
  /** Only runs that failed within this long (`1h`, `30m`, `2d`); default: any time. */
  since?: string;
  /** Only runs of this group (a hash). */
  groupHash?: string;
  /** Most runs to act on (default 100). */
  limit?: number;
}

/** A run of many that could not be retried or re-run, and why. */
export interface RecoveryFailure {
  run_id: string;
  task: string;
  error: { code: string; message: string; hint?: string };
}

/** What was done to each run of many: its outcome, or why nothing was done. */
export type RecoveryResult<T> = T | RecoveryFailure;

/** True when `result` says why nothing was done to its run. */
export function isRecoveryFailure<T extends object>(result: RecoveryResult<T>): result is RecoveryFailure {
  return 'error' in result;
}

/** The path of workflow `workflowId` inside run workflow `top` (`b` for a DAG node, `1-sub` for a subtask; empty for the run itself). */
function relative(top: string, workflowId: string): string {
  return workflowId.startsWith(`${top}/`) ? workflowId.slice(top.length + 1) : '';
}

/**
 * What a retry goes on from, in a few words: `verify` for a pipeline, `b: verify` for a DAG's
 * node b (each stage a reset goes back to, its workflow named when it is not the run's own).
 */
export function retryDescription(outcome: RetryOutcome): string {
  const stages = outcome.resets.filter((r) => r.from !== 'end' && r.from !== 'children');
  const shown = stages.length > 0 ? stages : outcome.resets;
  return shown
    .map((r) => {
      const where = relative(outcome.workflowId, r.workflowId);
      return where ? `${where}: ${r.from}` : r.from;
    })
    .join(', ');
}

/**
 * Retries run `runRef` from `request.from`, else from the first stage that did not succeed, and
 * records who did it; returns once the run goes on (without waiting for it).
 * @throws CascadenceError UNKNOWN_RUN, VALIDATION (nothing to retry, a stage that never ran), TASK_DISABLED, TASK_PAUSED, UNSUPPORTED.
 */
export async function retryRun(
  backend: Backend,
  runRef: string,
  request: RetryRequest,
  actor: Actor,
): Promise<RetryOutcome> {
  const outcome = await requireCapability(backend, 'recover', HINT).retry(runRef, request);
  await record(backend, {
    task: outcome.task,
    action: 'retried',
    runId: outcome.run_id,
    // The retried run's trail no longer holds the failure: this record keeps it.
    reason: `from ${retryDescription(outcome)}${outcome.ended === undefined ? '' : ` after: ${outcome.ended}`}`,
    actor,
  });
  return outcome;
}

/**
 * Starts a new run with the task, input and hashed ids of run `runRef`, and records who did it.
 * @throws CascadenceError UNKNOWN_RUN, VALIDATION (not a pipeline or DAG run), UNKNOWN_TASK, TASK_DISABLED, TASK_PAUSED, UNSUPPORTED.
 */
export async function rerunRun(backend: Backend, runRef: string, actor: Actor): Promise<RerunOutcome> {
  const outcome = await requireCapability(backend, 'recover', HINT).rerun(runRef);
  await record(backend, {
    task: outcome.task,
    action: 'rerun',
    runId: outcome.run_id,
    reason: `as run ${outcome.new_run_id}`,
    actor,
  });
  return outcome;
}

/**
 * Retries every run `selection` names that failed and was not retried since, each as
 * {@link retryRun} does; a run that cannot be retried is reported, and the others go on.
 * @throws CascadenceError VALIDATION for a malformed `since`, UNSUPPORTED.
 */
export async function retryFailedRuns(
  backend: Backend,
  selection: FailedRunSelection,
  request: RetryRequest,
  actor: Actor,
): Promise<Array<RecoveryResult<RetryOutcome>>> {
  return forEachFailed(backend, selection, (run) => retryRun(backend, run.workflowId, request, actor));
}

/**
 * Re-runs every run `selection` names that failed and was not retried since, each as
 * {@link rerunRun} does; a run that cannot be re-run is reported, and the others go on.
 * @throws CascadenceError VALIDATION for a malformed `since`, UNSUPPORTED.
 */
export async function rerunFailedRuns(
  backend: Backend,
  selection: FailedRunSelection,
  actor: Actor,
): Promise<Array<RecoveryResult<RerunOutcome>>> {
  return forEachFailed(backend, selection, (run) => rerunRun(backend, run.workflowId, actor));
}

async function forEachFailed<T>(
  backend: Backend,
  selection: FailedRunSelection,
  act: (run: RunSummary) => Promise<T>,
): Promise<Array<RecoveryResult<T>>> {
  const recovery = requireCapability(backend, 'recover', HINT);
  const runs = await recovery.failedRuns({
    limit: selection.limit ?? 100,
    ...(selection.task ? { task: selection.task } : {}),
    ...(selection.groupHash ? { groupHash: selection.groupHash } : {}),
    ...(selection.since === undefined ? {} : { closedAfter: new Date(Date.now() - durationMs(selection.since)) }),
  });
  const results: Array<RecoveryResult<T>> = [];
  // One at a time: each records an audit action, and a retry reads whole histories.
  for (const run of runs) {
    try {
      results.push(await act(run));
    } catch (err) {
      results.push({
        run_id: run.run_id,
        task: run.task,
        error: isCascadenceError(err)
          ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }
          : { code: 'INTERNAL', message: rootMessage(err) },
      });
    }
  }
  return results;
}

async function record(
  backend: Backend,
  action: { task: string; action: 'retried' | 'rerun'; runId: string; reason: string; actor: Actor },
): Promise<void> {
  if (!hasCapability(backend, 'actions')) return;
  await backend.recordAction({ stage: 'task', ...action });
}
