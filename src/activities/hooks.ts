/**
 * Stage hooks (cadence-flow's): `beforeStage`, `afterStage` (with the duration and the error, if
 * any) and `onError`, registered on a task (`hooks` of its definition) or for a whole worker.
 * On Temporal they run in an activity interceptor around every stage activity; the in-process
 * backends call the same `runHooked` around each step. A hook that throws is logged and never
 * fails the stage. Built in: `logging` (one line per stage) and `timing` (durations per task and
 * stage). Node-only.
 */
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { CascadenceError, rootMessage, STEPS, type StageHooks, type StageHookInfo, type StepCall } from '../core';
import type { TaskRegistry } from '../plugins/registry';
import type { StageRunner } from './stage-runner';

/** Where hooks' own problems and the logging hook's lines go. */
export type HookLog = (level: 'info' | 'warn', message: string) => void;

const stderrLog: HookLog = (level, message) => process.stderr.write(`${level.toUpperCase()} ${message}\n`);

/** Calls one hook; what it throws is logged, never passed on. */
async function callHook(name: string, fn: (() => unknown) | undefined, log: HookLog): Promise<void> {
  if (!fn) return;
  try {
    await fn();
  } catch (err) {
    log('warn', `hook ${name} threw (the stage goes on): ${rootMessage(err).split('\n')[0]}`);
  }
}

/**
 * Runs `stage` with `hooks` around it: every `beforeStage`, the stage, then every `onError`
 * (when it failed) and every `afterStage`. The stage's own result or error passes through.
 */
export async function runHooked<T>(
  hooks: readonly StageHooks[],
  info: StageHookInfo,
  stage: () => Promise<T>,
  log: HookLog = stderrLog,
): Promise<T> {
  if (hooks.length === 0) return stage();
  for (const h of hooks) await callHook('beforeStage', h.beforeStage && (() => h.beforeStage?.(info)), log);
  const began = process.hrtime.bigint();
  let error: unknown;
  try {
    return await stage();
  } catch (err) {
    error = err;
    throw err;
  } finally {
    const durationMs = Number(process.hrtime.bigint() - began) / 1e6;
    if (error !== undefined) {
      for (const h of hooks) await callHook('onError', h.onError && (() => h.onError?.({ ...info, error })), log);
    }
    const after = { ...info, durationMs, ...(error === undefined ? {} : { error }) };
    for (const h of hooks) await callHook('afterStage', h.afterStage && (() => h.afterStage?.(after)), log);
  }
}

/** The hooks of one stage call: the worker's, then its task's. */
export function hooksFor(registry: TaskRegistry, task: string, worker: readonly StageHooks[]): StageHooks[] {
  const own = registry.has(task) ? registry.get(task).hooks : undefined;
  if (!own) return [...worker];
  return [...worker, ...(Array.isArray(own) ? own : [own as StageHooks])];
}

/** The hook info of a stage call. */
export function hookInfo(call: StepCall, attempt: number): StageHookInfo {
  return {
    task: call.task,
    stage: call.step,
    runId: call.runId,
    attempt,
    userHash: call.userHash,
    groupHash: call.groupHash,
  };
}

const STAGE_ACTIVITIES = new Set<string>(STEPS);

/** An activity interceptor running the hooks around every stage activity of a worker. */
export function hooksInterceptor(registry: TaskRegistry, worker: readonly StageHooks[]): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const call = input.args[0] as StepCall | undefined;
        if (!STAGE_ACTIVITIES.has(ctx.info.activityType) || !call?.task) return next(input);
        const hooks = hooksFor(registry, call.task, worker);
        const log: HookLog = (level, message) => ctx.log[level](message);
        return runHooked(hooks, hookInfo(call, ctx.info.attempt), () => next(input), log);
      },
    };
    return { inbound };
  };
}

/** The built-in logging hook: a line when a stage starts and one when it ends (with its duration or error). */
export function loggingHooks(log: HookLog = stderrLog): StageHooks {
  const where = (i: StageHookInfo) => `${i.task} ${i.stage} run=${i.runId} attempt=${i.attempt}`;
  return {
    beforeStage: (i) => log('info', `stage started: ${where(i)}`),
    afterStage: (i) =>
      log(
        'info',
        i.error === undefined
          ? `stage finished: ${where(i)} in ${i.durationMs.toFixed(1)} ms`
          : `stage failed: ${where(i)} after ${i.durationMs.toFixed(1)} ms: ${rootMessage(i.error).split('\n')[0]}`,
      ),
  };
}

/** Durations of one task's stage, as the timing hook keeps them. */
export interface StageTiming {
  count: number;
  failures: number;
  totalMs: number;
  maxMs: number;
}

/** The built-in timing hook: count, failures, total and longest duration per `task/stage`. */
export class TimingHooks implements StageHooks {
  readonly timings = new Map<string, StageTiming>();

  afterStage(info: StageHookInfo & { durationMs: number; error?: unknown }): void {
    const key = `${info.task}/${info.stage}`;
    const t = this.timings.get(key) ?? { count: 0, failures: 0, totalMs: 0, maxMs: 0 };
    t.count += 1;
    if (info.error !== undefined) t.failures += 1;
    t.totalMs += info.durationMs;
    t.maxMs = Math.max(t.maxMs, info.durationMs);
    this.timings.set(key, t);
  }
}

/** The built-in hooks by name, for `task worker --hooks logging,timing`. */
export const BUILTIN_HOOKS: Readonly<Record<string, () => StageHooks>> = {
  logging: () => loggingHooks(),
  timing: () => new TimingHooks(),
};

/**
 * The built-in hooks named in `names` (comma-separated or a list).
 * @throws CascadenceError CONFIG for a name that is not a built-in hook.
 */
export function builtinHooks(names: string | readonly string[]): StageHooks[] {
  const list = (typeof names === 'string' ? names.split(',') : names).map((n) => n.trim()).filter(Boolean);
  return list.map((name) => {
    const make = BUILTIN_HOOKS[name];
    if (!make) {
      throw new CascadenceError('CONFIG', `unknown hook ${JSON.stringify(name)}`, {
        hint: `built-in hooks: ${Object.keys(BUILTIN_HOOKS).join(', ')}; register your own on a task (hooks) or a worker`,
      });
    }
    return make();
  });
}

/** A stage runner that runs the hooks around each step (the in-process backends' counterpart of the interceptor). */
export function hookedRunner(
  runner: StageRunner,
  registry: TaskRegistry,
  worker: readonly StageHooks[] = [],
): StageRunner {
  return {
    describe: (task) => runner.describe(task),
    runStep: (call, env) =>
      runHooked(hooksFor(registry, call.task, worker), hookInfo(call, env.attempt), () => runner.runStep(call, env)),
  };
}
