/**
 * Runs one step of one task: the shared, Node-side half of every runtime. Temporal's stage
 * activities and the in-process `base` backend both call it, so a task behaves the same in each.
 */
import {
  CascadenceError,
  asPrecheckOutcome,
  normalisePlan,
  type ContextPayload,
  type StageContext,
  type StepCall,
  type Task,
  type TaskDescription,
} from '../core';
import { unknownTask, type TaskRegistry } from '../plugins/registry';
import { CircuitBreakers } from './circuit-breaker';

/** What the runtime knows about the current attempt. */
export interface StepEnvironment {
  attempt: number;
  signal: AbortSignal;
  heartbeat(details?: unknown): void;
  /** The details the previous attempt last gave `heartbeat` (Temporal activities only). */
  heartbeatDetails?: unknown;
}

/** Dependencies of a stage runner. */
export interface StageRunnerDeps {
  registry: TaskRegistry;
  /** Circuit breakers shared by every run in this process. */
  breakers?: CircuitBreakers;
}

/** A stage runner: describe a task, run one of its steps. */
export interface StageRunner {
  describe(task: string): TaskDescription;
  runStep(call: StepCall, env: StepEnvironment): Promise<unknown>;
}

/** Runs whose revision is remembered at once (the oldest are forgotten first). */
const PINNED_RUNS = 10_000;

/** Creates the stage runner over a registry. */
export function createStageRunner(deps: StageRunnerDeps): StageRunner {
  const { registry } = deps;
  const breakers = deps.breakers ?? new CircuitBreakers();
  // A reloaded plugin's runs in flight keep the code their first stage here ran on (by run).
  const pins = new Map<string, string>();
  const taskOf = (call: StepCall) => {
    const key = `${call.task}\0${call.runId}`;
    const pinned = pins.get(key);
    if (pinned !== undefined) return registry.get(call.task, pinned);
    const revision = registry.revision(call.task);
    if (revision === undefined) return registry.get(call.task);
    pins.set(key, revision);
    if (pins.size > PINNED_RUNS) pins.delete(pins.keys().next().value as string);
    return registry.get(call.task);
  };

  async function invoke(task: Task, call: StepCall, env: StepEnvironment): Promise<unknown> {
    const ctx: StageContext = {
      task: call.task,
      runId: call.runId,
      userHash: call.userHash,
      groupHash: call.groupHash,
      input: call.input,
      research: call.research,
      plan: call.plan,
      results: call.results,
      runResult: call.runResult,
      context: Object.freeze([...call.context]) as readonly ContextPayload[],
      ...(call.upstream === undefined ? {} : { upstream: call.upstream }),
      attempt: env.attempt,
      ...(env.heartbeatDetails === undefined ? {} : { heartbeatDetails: env.heartbeatDetails }),
      signal: env.signal,
      heartbeat: env.heartbeat,
    };
    const method = task[call.step];
    if (typeof method === 'function') return await method.call(task, ctx as never);
    if (call.step === 'research' || call.step === 'plan') {
      const provider = registry.provider(call.step);
      if (provider) return await provider(ctx);
    }
    throw new CascadenceError('INTERNAL', `task ${call.task} has no ${call.step} step`);
  }

  return {
    describe: (task) => registry.describe(task),
    async runStep(call, env) {
      const task = taskOf(call);
      const options = task.options?.circuitBreaker;
      const breaker = options ? breakers.get(`${call.task}:${call.step}`, options) : undefined;
      breaker?.check(call.task, call.step);
      let output: unknown;
      try {
        output = await invoke(task, call, env);
      } catch (err) {
        breaker?.failure();
        // A precheck that throws stops the run like one that says no, with the error as the reason.
        if (call.step === 'precheck') return { ok: false, reason: err instanceof Error ? err.message : String(err) };
        throw err;
      }
      breaker?.success();
      if (call.step === 'precheck') return asPrecheckOutcome(output);
      if (call.step === 'plan') {
        const plan = normalisePlan(output);
        if (plan.kind !== 'value') {
          const missing = plan.tasks.filter((t) => !registry.has(t.task)).map((t) => t.task);
          if (missing.length > 0) {
            const err = unknownTask(missing[0] as string, registry.names());
            throw new CascadenceError('INVALID_PLAN', `${call.task}: plan names ${err.message}`, { hint: err.hint });
          }
        }
      }
      return output;
    },
  };
}
