/**
 * Ports that run the pipeline algorithm in this process: used by the `base` family of
 * backends and by lightweight DAG nodes (a whole pipeline inside one activity).
 */
import {
  CascadenceError,
  NON_RETRYABLE_CODES,
  PipelineRun,
  STAGE_DEFAULTS,
  durationMs,
  isCascadenceError,
  type PipelinePorts,
  type PipelineRequest,
  type RetryOptions,
  type SubtaskRef,
} from '../core';
import type { StageRunner } from '../activities/stage-runner';

/** Sleeps `ms`, waking early when the run is cancelled. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** The error of an in-process run that was cancelled. */
export function cancelled(runId: string): CascadenceError {
  return new CascadenceError('CANCELLED', `run ${runId} was cancelled`);
}

/** In-process `waitUntil`/`changed` ports: waiters re-checked whenever `changed()` is called. */
export function createWaiters(signal?: AbortSignal): {
  waitUntil(predicate: () => boolean): Promise<void>;
  changed(): void;
} {
  const waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  return {
    waitUntil(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        signal?.addEventListener('abort', () => reject(cancelled('')), { once: true });
      });
    },
    changed() {
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i] as (typeof waiters)[number];
        if (w.predicate()) {
          waiters.splice(i, 1);
          w.resolve();
        }
      }
    },
  };
}

/** In process a stage's heartbeat goes nowhere (there is no server to tell). */
const noHeartbeat = (): void => undefined;

/** Where an in-process run's records and outcome go. */
export type RunSinks = Pick<PipelinePorts, 'record' | 'ended'>;

/** Ports that run a pipeline in this process; `signal` cancels the run and its subtasks. */
export function inProcessPorts(
  runner: StageRunner,
  sinks: RunSinks | PipelinePorts['record'] | undefined,
  signal: AbortSignal = new AbortController().signal,
): PipelinePorts {
  const { record, ended } = typeof sinks === 'function' ? { record: sinks, ended: undefined } : (sinks ?? {});
  const ports: PipelinePorts = {
    ...createWaiters(signal),
    describe: async (task) => runner.describe(task),
    async runStep(call, desc) {
      // The task's retry policy, as Temporal applies it to stage activities: read only once a
      // stage has failed (most stages never do, and this runs for every stage of every run).
      let policy: { retry: RetryOptions; maxAttempts: number; delay: number; maxDelay: number } | undefined;
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) throw cancelled(call.runId);
        try {
          return await runner.runStep(call, { attempt, signal, heartbeat: noHeartbeat });
        } catch (err) {
          if (!policy) {
            const retry = desc.options.retry ?? {};
            const delay =
              retry.initialInterval === undefined
                ? STAGE_DEFAULTS.initialIntervalMs
                : durationMs(retry.initialInterval);
            policy = {
              retry,
              maxAttempts: retry.maximumAttempts ?? STAGE_DEFAULTS.maximumAttempts,
              delay,
              maxDelay: retry.maximumInterval === undefined ? delay * 100 : durationMs(retry.maximumInterval),
            };
          }
          const type = isCascadenceError(err) ? err.code : (err as Error)?.name;
          if (attempt >= policy.maxAttempts && policy.maxAttempts > 0) throw err;
          const nonRetryable =
            NON_RETRYABLE_CODES.has(type) || (policy.retry.nonRetryableErrorTypes ?? []).includes(type);
          if (nonRetryable || signal.aborted) throw err;
          await abortableSleep(policy.delay, signal);
          policy.delay = Math.min(
            policy.delay * (policy.retry.backoffCoefficient ?? STAGE_DEFAULTS.backoffCoefficient),
            policy.maxDelay,
          );
        }
      }
    },
    async runSubtasks(tasks: SubtaskRef[], mode, parent, onSettled) {
      const runChild = async (ref: SubtaskRef, index: number): Promise<unknown> => {
        const child: PipelineRequest = {
          task: ref.task,
          runId: parent.runId,
          userHash: parent.userHash,
          groupHash: parent.groupHash,
          input: ref.input,
          depth: (parent.depth ?? 0) + 1,
          ...(parent.maxDepth === undefined ? {} : { maxDepth: parent.maxDepth }),
        };
        try {
          const result = await new PipelineRun(child, inProcessPorts(runner, { record, ended }, signal)).execute();
          onSettled(index, true);
          return result;
        } catch (err) {
          onSettled(index, false);
          throw err;
        }
      };
      if (mode === 'parallel') return Promise.all(tasks.map(runChild));
      const results: unknown[] = [];
      for (const [i, ref] of tasks.entries()) results.push(await runChild(ref, i));
      return results;
    },
    now: () => Date.now(),
    isCancellation: () => signal.aborted,
    ...(record ? { record } : {}),
    ...(ended ? { ended } : {}),
  };
  return ports;
}
