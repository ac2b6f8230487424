/**
 * Test tasks shared by the conformance suite, the integration tests and the replay fixtures.
 * Stage methods run in the test process (the worker is in process), so tests coordinate with
 * them through in-memory gates and a journal.
 */
import { ParallelPlan, StageError, type StageContext, type Task } from '../../src/core';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import type { TaskRegistry } from '../../src/plugins/registry';

/** Every stage call made by a test task: which task, stage, run and key, and what it saw. */
export interface JournalEntry {
  task: string;
  stage: string;
  key: string;
  event: 'start' | 'end';
  at: number;
  context: number;
  attempt: number;
}

export const journal: JournalEntry[] = [];

/** Named latches: a stage awaits `pass(name)`; the test calls `open(name)`; `reached(name)` resolves once a stage waits. */
class Gates {
  private readonly opened = new Map<string, () => void>();
  private readonly waits = new Map<string, Promise<void>>();
  private readonly arrivals = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  private arrival(name: string) {
    let a = this.arrivals.get(name);
    if (!a) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      a = { promise, resolve };
      this.arrivals.set(name, a);
    }
    return a;
  }

  pass(name: string): Promise<void> {
    this.arrival(name).resolve();
    let wait = this.waits.get(name);
    if (!wait) {
      wait = new Promise<void>((resolve) => this.opened.set(name, resolve));
      this.waits.set(name, wait);
    }
    return wait;
  }

  reached(name: string): Promise<void> {
    return this.arrival(name).promise;
  }

  open(name: string): void {
    if (!this.waits.has(name)) this.waits.set(name, Promise.resolve());
    this.opened.get(name)?.();
  }
}

export const gates = new Gates();

/** Input of most test tasks: a unique key, and the stages that wait on gate `<key>.<stage>`. */
export interface TestInput {
  key: string;
  gateAt?: string[];
  n?: number;
  failTimes?: number;
}

const attempts = new Map<string, number>();

async function step(name: string, stage: string, ctx: StageContext<TestInput>): Promise<void> {
  const key = ctx.input?.key ?? '';
  journal.push({
    task: name,
    stage,
    key,
    event: 'start',
    at: Date.now(),
    context: ctx.context.length,
    attempt: ctx.attempt,
  });
  if (ctx.input?.gateAt?.includes(stage)) await gates.pass(`${key}.${stage}`);
  journal.push({
    task: name,
    stage,
    key,
    event: 'end',
    at: Date.now(),
    context: ctx.context.length,
    attempt: ctx.attempt,
  });
}

/** All five stages; each result carries what it received, so tests can check the data flow. */
const full: Task<TestInput> = {
  async intake(ctx) {
    await step('full', 'intake', ctx);
    return 'I';
  },
  async research(ctx) {
    await step('full', 'research', ctx);
    return { research: 'R', context: ctx.context };
  },
  async plan(ctx) {
    await step('full', 'plan', ctx);
    return { plan: 'P', research: ctx.research, context: ctx.context };
  },
  async run(ctx) {
    await step('full', 'run', ctx);
    return { run: 'X', plan: ctx.plan, context: ctx.context };
  },
  async verify(ctx) {
    await step('full', 'verify', ctx);
    return { verified: ctx.runResult, context: ctx.context };
  },
};

function precheckTask(check: () => unknown): Task<TestInput> {
  return {
    precheck: check as Task['precheck'],
    async run(ctx) {
      await step('precheck', 'run', ctx);
      return 'ran';
    },
  };
}

/** A task whose `run` fails its first `failTimes` attempts (per key). */
const flaky: Task<TestInput> = {
  options: { retry: { maximumAttempts: 3, initialInterval: '50ms', backoffCoefficient: 1 } },
  async run(ctx) {
    await step('flaky', 'run', ctx);
    const key = `flaky:${ctx.input.key}`;
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    if (n <= (ctx.input.failTimes ?? 0)) throw new Error(`flaky failure ${n}`);
    return { attempts: n };
  },
};

const alwaysFails: Task<TestInput> = {
  options: { retry: { maximumAttempts: 2, initialInterval: '10ms' } },
  async run(ctx) {
    await step('always-fails', 'run', ctx);
    throw new Error('boom');
  },
};

const withFallback: Task<TestInput> = {
  options: { retry: { maximumAttempts: 1 }, fallback: { run: 'fallback-value' } },
  run() {
    throw new Error('primary failed');
  },
  verify: (ctx) => ({ got: ctx.runResult }),
};

const child: Task<TestInput> = {
  async run(ctx) {
    await step('child', 'run', ctx);
    return (ctx.input?.n ?? 0) * 10;
  },
};

let active = 0;
/** Highest number of `sleeper` runs seen at once. */
export const overlap = { max: 0 };

const sleeper: Task<TestInput> = {
  async run(ctx) {
    active++;
    overlap.max = Math.max(overlap.max, active);
    try {
      await step('sleeper', 'run', ctx);
      await new Promise((r) => setTimeout(r, 300));
      return ctx.input?.n ?? 0;
    } finally {
      active--;
    }
  },
};

const sequential: Task<TestInput> = {
  plan: (ctx) => [
    { task: 'child', input: { key: ctx.input.key, n: 1 } },
    { task: 'child', input: { key: ctx.input.key, n: 2 } },
    { task: 'child', input: { key: ctx.input.key, n: 3 } },
  ],
  run: (ctx) => ({ results: ctx.results, sum: (ctx.results as number[]).reduce((a, b) => a + b, 0) }),
  verify: (ctx) => ({ verified: ctx.runResult }),
};

const parallel: Task<TestInput> = {
  plan: (ctx) => new ParallelPlan([1, 2, 3].map((n) => ({ task: 'sleeper', input: { key: ctx.input.key, n } }))),
};

const parallelObject: Task<TestInput> = {
  plan: (ctx) => ({ execution: 'parallel', tasks: [{ task: 'child', input: { key: ctx.input.key, n: 5 } }, 'child'] }),
};

const nested: Task<TestInput> = {
  plan: (ctx) => [
    { task: 'sequential', input: { key: ctx.input.key } },
    { task: 'child', input: { key: ctx.input.key, n: 7 } },
  ],
  run: (ctx) => ctx.results,
};

const recursive: Task<TestInput> = { plan: (ctx) => [{ task: 'recursive', input: ctx.input }] };
const badPlan: Task<TestInput> = { plan: () => [42], run: () => 'never' };
const unknownPlan: Task<TestInput> = { plan: () => [{ task: 'no-such-task' }], run: () => 'never' };

const breaker: Task<TestInput> = {
  options: { retry: { maximumAttempts: 1 }, circuitBreaker: { failureThreshold: 2, recoveryTime: '1m' } },
  run() {
    throw new Error('dependency down');
  },
};

/** Runs until cancelled, honouring the abort signal. */
const longRunning: Task<TestInput> = {
  options: { heartbeatTimeout: '5s' },
  async run(ctx) {
    await step('long-running', 'run', ctx);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 60_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        journal.push({
          task: 'long-running',
          stage: 'aborted',
          key: ctx.input.key,
          event: 'end',
          at: Date.now(),
          context: 0,
          attempt: ctx.attempt,
        });
        reject(new Error('cancelled'));
      });
    });
    return 'finished';
  },
};

/** Plans one long-running subtask (cancelling the parent must cancel it). */
const parentOfLong: Task<TestInput> = { plan: (ctx) => [{ task: 'long-running', input: ctx.input }] };

/** A DAG node task: records start/end, waits on its gate when asked, returns its input with what it saw upstream. */
const node: Task<TestInput & { node?: string; fail?: boolean; ms?: number }> = {
  options: { retry: { maximumAttempts: 1 } },
  async run(ctx) {
    const name = ctx.input?.node ?? '?';
    journal.push({
      task: 'node',
      stage: name,
      key: ctx.input.key,
      event: 'start',
      at: Date.now(),
      context: 0,
      attempt: ctx.attempt,
    });
    if (ctx.input?.gateAt?.includes(name)) await gates.pass(`${ctx.input.key}.${name}`);
    if (ctx.input?.ms) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ctx.input.ms);
        ctx.signal.addEventListener('abort', () => (clearTimeout(t), reject(new Error('cancelled'))));
      });
    }
    journal.push({
      task: 'node',
      stage: name,
      key: ctx.input.key,
      event: 'end',
      at: Date.now(),
      context: 0,
      attempt: ctx.attempt,
    });
    if (ctx.input?.fail) throw new Error(`${name} failed on purpose`);
    return { node: name, rows: ctx.input?.n ?? 1, upstream: Object.keys(ctx.upstream ?? {}).sort() };
  },
};

/** Prerequisites for `--with-deps`: prep-a and prep-b both need prep-base; prepared needs both. */
const prep = (name: string, dependsOn: string[] = []): Task<TestInput> => ({
  dependsOn,
  run: (ctx) => {
    journal.push({
      task: name,
      stage: 'run',
      key: ctx.input?.key ?? '',
      event: 'start',
      at: Date.now(),
      context: 0,
      attempt: 1,
    });
    return name;
  },
});

/** Fails its run stage after reading two rows, saying so (a StageError's partial output). */
const partialFail: Task<TestInput> = {
  options: { retry: { maximumAttempts: 1 } },
  run() {
    throw new StageError('upstream timed out', { partial: { rows: 2 } });
  },
  verify: () => 'never',
};

/** `full` with every stage a local activity (`stageMode: 'local'`). */
const localFull: Task<TestInput> = { ...full, options: { stageMode: 'local' } };

/** `flaky` with local stages: the retries are driven by the workflow's worker, recorded in one marker. */
const localFlaky: Task<TestInput> = { ...flaky, options: { ...flaky.options, stageMode: 'local' } };

/** `always-fails` with local stages: the run fails after the worker's retries. */
const localAlwaysFails: Task<TestInput> = {
  ...alwaysFails,
  options: { ...alwaysFails.options, stageMode: 'local' },
};

/** `full` with local stages except `run`, which stays an activity (a long stage that heartbeats). */
const localMixed: Task<TestInput> = {
  ...full,
  options: { stageMode: 'local', stageModes: { run: 'activity' }, heartbeatTimeout: '10s' },
};

/**
 * The same tasks with every stage local (for the conformance suite's local-stage run): a task's
 * heartbeat timeout is dropped, since local stages cannot heartbeat (`validateStageModes`).
 */
export function withLocalStages(registry: TaskRegistry): TaskRegistry {
  for (const name of registry.names()) {
    const task = registry.get(name);
    const { heartbeatTimeout: _dropped, ...options } = task.options ?? {};
    // Stage methods stay on the prototype chain (class instances keep theirs).
    const local = Object.assign(Object.create(task) as Task, { options: { ...options, stageMode: 'local' } });
    registry.replace(name, local, { ...(registry.origin(name) ? { origin: registry.origin(name) } : {}) });
  }
  return registry;
}

/** Built-ins plus every test task. */
export function createTestRegistry(): TaskRegistry {
  return createDefaultRegistry()
    .register('full', full)
    .register('local-full', localFull)
    .register('local-flaky', localFlaky)
    .register('local-mixed', localMixed)
    .register('local-always-fails', localAlwaysFails)
    .register(
      'precheck-false',
      precheckTask(() => false),
    )
    .register(
      'precheck-reason',
      precheckTask(() => 'not today'),
    )
    .register(
      'precheck-throws',
      precheckTask(() => {
        throw new Error('cannot check');
      }),
    )
    .register(
      'precheck-true',
      precheckTask(() => true),
    )
    .register('flaky', flaky)
    .register('always-fails', alwaysFails)
    .register('with-fallback', withFallback)
    .register('child', child)
    .register('partial-fail', partialFail)
    .register('sleeper', sleeper)
    .register('sequential', sequential)
    .register('parallel', parallel)
    .register('parallel-object', parallelObject)
    .register('nested', nested)
    .register('recursive', recursive)
    .register('bad-plan', badPlan)
    .register('unknown-plan', unknownPlan)
    .register('breaker', breaker)
    .register('long-running', longRunning)
    .register('parent-of-long', parentOfLong)
    .register('node', node)
    .register('prep-base', prep('prep-base'))
    .register('prep-a', prep('prep-a', ['prep-base']))
    .register('prep-b', prep('prep-b', ['prep-base']))
    .register('prepared', prep('prepared', ['prep-a', 'prep-b']));
}

/** Journal entries of one key. */
export function entries(key: string): JournalEntry[] {
  return journal.filter((e) => e.key === key);
}

/** The audit trail (stage:status) of a successful run of a task with all five stages. */
export const FIVE_STAGE_AUDIT = ['intake', 'research', 'plan', 'run', 'verify'].flatMap((stage) => [
  `${stage}:started`,
  `${stage}:success`,
]);
