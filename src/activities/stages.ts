/**
 * Temporal stage activities: one activity per step (`intake`, `research`, `plan`, `precheck`,
 * `run`, `verify`) so the Web UI names the stage, plus `describeTask`. Run as activities they
 * heartbeat while a stage runs (so a dead worker is noticed within the heartbeat timeout, and a
 * retry finds the details the stage last reported); run as local activities (a task's
 * `stageMode: 'local'`) they cannot. Both honour cancellation and turn domain errors into typed
 * ApplicationFailures. Node-only.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { toApplicationFailure } from '../core/failure';
import {
  isCascadenceError,
  partialOf,
  rootMessage,
  PipelineRun,
  type PipelineRequest,
  type StepCall,
  type StepName,
  type TaskDescription,
} from '../core';
import { inProcessPorts } from '../runtime/in-process';
import { startHeartbeat } from './heartbeat';
import { createStageRunner, type StageRunner, type StageRunnerDeps } from './stage-runner';

/** The stage activities' type, imported by workflows as a type only. */
export type StageActivities = Record<StepName, (call: StepCall) => Promise<unknown>> & {
  describeTask(task: string): Promise<TaskDescription>;
  /** A whole pipeline inside this one activity (a lightweight DAG node). */
  runPipelineInline(request: PipelineRequest): Promise<unknown>;
  /** Several lightweight DAG nodes' pipelines, concurrently inside this one activity; one outcome per request. */
  runPipelinesInline(batch: InlineBatch): Promise<InlineOutcome[]>;
};

/** Lightweight DAG nodes started together: their pipeline requests, and whether one failure stops the rest. */
export interface InlineBatch {
  requests: PipelineRequest[];
  /** Under the DAG's `fail-fast`: the first pipeline that fails cancels its batch-mates. */
  failFast?: boolean;
}

/**
 * One node's outcome in a batch: its output, or what its failure says (the message the DAG
 * reports as the node's reason, and the failure's type: an error code or class name), or that
 * it was cancelled because a batch-mate failed under fail-fast.
 */
export type InlineOutcome =
  { ok: true; output: unknown } | { ok: false; type: string; message: string; cancelled?: true };

/** The failure an activity throws for `err`; `final` marks it non-retryable whatever its kind. */
function toFailure(err: unknown, final?: true): unknown {
  if (isCascadenceError(err)) return toApplicationFailure(err, final);
  // A stage's partial output crosses into the workflow in the failure's details; retried like any error.
  const partial = partialOf(err);
  if (partial !== undefined && err instanceof Error) {
    return ApplicationFailure.create({
      type: err.name,
      message: err.message,
      details: [{ partial }],
      cause: err,
      ...(final ? { nonRetryable: true } : {}),
    });
  }
  if (!final || !(err instanceof Error) || err instanceof CancelledFailure) return err;
  if (err instanceof ApplicationFailure) {
    if (err.nonRetryable) return err;
    return ApplicationFailure.create({
      type: err.type ?? err.name,
      message: err.message,
      details: err.details ?? [],
      nonRetryable: true,
      ...(err.cause ? { cause: err.cause } : {}),
    });
  }
  return ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true, cause: err });
}

/** What the stage activities are built from: a registry (or a runner over one). */
export type StageActivityDeps = (StageRunnerDeps | { runner: StageRunner }) & {
  /**
   * Called when a run asks for a task this worker does not know: loads what it can (plugins
   * registered at run time on another machine) and says whether the task is known now.
   */
  ensureTask?: (task: string) => Promise<boolean>;
};

/** Creates the stage activities over a registry (dependencies are injected, never global). */
export function createStageActivities(deps: StageActivityDeps): StageActivities {
  const runner = 'runner' in deps ? deps.runner : createStageRunner(deps);
  /** Runs `fn`; an unknown task is looked for once (`ensureTask`) before the error stands. */
  async function withTask<R>(task: string, fn: () => R | Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      if (!isCascadenceError(err) || err.code !== 'UNKNOWN_TASK' || !deps.ensureTask) throw err;
      if (!(await deps.ensureTask(task))) throw err;
      return await fn();
    }
  }

  async function runStep(call: StepCall): Promise<unknown> {
    const ctx = Context.current();
    // A local stage (stageMode 'local') cannot heartbeat, and its cancellation arrives without one.
    const local = ctx.info.isLocal;
    const beats = local ? undefined : startHeartbeat(ctx);
    try {
      const details: unknown = local ? undefined : ctx.info.heartbeatDetails;
      const env = {
        attempt: ctx.info.attempt,
        signal: ctx.cancellationSignal,
        heartbeat: beats ? beats.beat : () => undefined,
        ...(details === undefined ? {} : { heartbeatDetails: details }),
      };
      // The client may have described the task itself: the first stage here can be the first look.
      return await withTask(call.task, () => runner.runStep(call, env));
    } catch (err) {
      // A stage that gave up because it was cancelled reports a cancellation, not a failure.
      if (ctx.cancellationSignal.aborted)
        throw new CancelledFailure(`${call.task}: ${call.step} cancelled`, [], err as Error);
      throw toFailure(err);
    } finally {
      beats?.stop();
    }
  }

  return {
    async describeTask(task) {
      try {
        return await withTask(task, () => runner.describe(task));
      } catch (err) {
        throw toFailure(err);
      }
    },
    async runPipelineInline(request) {
      const ctx = Context.current();
      const beats = startHeartbeat(ctx);
      try {
        return await withTask(request.task, () =>
          new PipelineRun(request, inProcessPorts(runner, undefined, ctx.cancellationSignal)).execute(),
        );
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`${request.task} cancelled`, [], err as Error);
        // The pipeline retried its stages itself: Temporal retries this activity only when it
        // timed out (its worker was lost), never after a failure the pipeline reported.
        throw toFailure(err, true);
      } finally {
        beats.stop();
      }
    },
    async runPipelinesInline({ requests, failFast }) {
      const ctx = Context.current();
      const beats = startHeartbeat(ctx);
      // One signal for the batch: the activity's cancellation, or (fail-fast) a batch-mate's failure.
      const stop = new AbortController();
      const onCancel = () => stop.abort();
      if (ctx.cancellationSignal.aborted) stop.abort();
      else ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      try {
        const outcomes = await Promise.all(
          requests.map(async (request): Promise<InlineOutcome> => {
            try {
              const output = await withTask(request.task, () =>
                new PipelineRun(request, inProcessPorts(runner, undefined, stop.signal)).execute(),
              );
              return { ok: true, output };
            } catch (err) {
              if (stop.signal.aborted) {
                const message = ctx.cancellationSignal.aborted
                  ? `${request.task} cancelled`
                  : `${request.task} cancelled: a node of its batch failed (fail-fast)`;
                return { ok: false, type: 'CancelledFailure', message, cancelled: true };
              }
              if (failFast) stop.abort();
              // The same failure runPipelineInline throws: its type, and the message the DAG shows.
              const failure = toFailure(err, true);
              const type =
                failure instanceof ApplicationFailure
                  ? (failure.type ?? failure.name)
                  : failure instanceof Error
                    ? failure.name
                    : 'Error';
              return { ok: false, type, message: rootMessage(failure) };
            }
          }),
        );
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`batch of ${requests.length} nodes cancelled`);
        return outcomes;
      } finally {
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        beats.stop();
      }
    },
    intake: runStep,
    research: runStep,
    plan: runStep,
    precheck: runStep,
    run: runStep,
    verify: runStep,
  };
}
