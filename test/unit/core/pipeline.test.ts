/**
 * The pipeline algorithm (`PipelineRun`), driven in process: through `BaseBackend` where it
 * reaches, and through `PipelineRun` over `inProcessPorts` where a request needs `maxDepth`.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStageRunner } from '../../../src/activities/stage-runner';
import { BaseBackend, inProcessPorts } from '../../../src/backends/base';
import { TaskStateStore } from '../../../src/runtime/task-state';
import { CascadenceError, isCascadenceError } from '../../../src/core/errors';
import { PipelineRun, type AuditRecord, type PipelineStatus } from '../../../src/core/pipeline';
import {
  ParallelPlan,
  type ContextPayload,
  type PipelineRequest,
  type StageContext,
  type Task,
} from '../../../src/core/task';
import { MemoryAuditStore } from '../../../src/events/audit-store';
import { hashId } from '../../../src/events/hash';
import { TaskRegistry, type Providers } from '../../../src/plugins/registry';

const SECRET = 'unit-test-secret';
const USER = 'alice@example.com';
const GROUP = 'raw-group-7f3a';

// ---------------------------------------------------------------------------------------------
// helpers

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every pending promise callback and one turn of the event loop run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits, one event-loop turn at a time, until `predicate` holds (bounded by turns, not by time). */
async function until(predicate: () => boolean, what = 'condition', maxTurns = 1_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (predicate()) return;
    await tick();
  }
  throw new Error(`${what} never held`);
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<CascadenceError> {
  try {
    await promise;
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return err;
  }
  throw new Error('expected the run to fail');
}

/** An error and its causes, outermost first. */
function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let cur = err;
    cur !== undefined && cur !== null && chain.length < 50;
    cur = (cur as { cause?: unknown }).cause
  ) {
    chain.push(cur);
  }
  return chain;
}

/** A registry of `tasks`; each stage gets one attempt unless the task sets its own retry policy (retries are tested in the conformance suite). */
function newRegistry(tasks: Record<string, Task>, providers?: Providers): TaskRegistry {
  const registry = new TaskRegistry(providers);
  for (const [name, task] of Object.entries(tasks)) {
    if (!task.options?.retry) task.options = { ...task.options, retry: { maximumAttempts: 1 } };
    registry.register(name, task);
  }
  return registry;
}

/** Task flags from a file that is never written (no task is disabled or paused), so tests touch no disk. */
const noFlags = (): TaskStateStore =>
  new TaskStateStore(path.join(tmpdir(), `cascadence-unit-${process.pid}-absent`, 'task-state.json'));

/** A base backend over `tasks` with an in-memory audit store. */
function newBackend(registry: TaskRegistry, hashSecret = SECRET) {
  const audit = new MemoryAuditStore();
  const backend = new BaseBackend({ registry, state: noFlags(), hashSecret, audit });
  return { backend, records: audit.records };
}

/** A base backend over `tasks`, keeping every audit record it makes. */
function setup(tasks: Record<string, Task>, providers?: Providers) {
  const registry = newRegistry(tasks, providers);
  const { backend, records } = newBackend(registry);
  const request = (task: string, input?: unknown) => ({
    task,
    userId: USER,
    groupId: GROUP,
    ...(input === undefined ? {} : { input }),
  });
  return {
    registry,
    backend,
    records,
    run: (task: string, input?: unknown) => backend.run(request(task, input)),
    prepare: (task: string, input?: unknown) => backend.prepare(request(task, input)),
  };
}

/** A run made directly from a pipeline request (for `maxDepth`, which the backend does not set). */
function directRun(registry: TaskRegistry, request: Partial<PipelineRequest> & { task: string }) {
  const records: AuditRecord[] = [];
  const ports = inProcessPorts(createStageRunner({ registry }), (r) => records.push(r));
  const run = new PipelineRun(
    { runId: 'run-1', userHash: hashId(USER, SECRET), groupHash: hashId(GROUP, SECRET), ...request },
    ports,
  );
  return { run, records };
}

const find = (records: AuditRecord[], task: string, stage: AuditRecord['stage'], status: AuditRecord['status']) =>
  records.filter((r) => r.task === task && r.stage === stage && r.status === status);

// ---------------------------------------------------------------------------------------------

describe('pipeline algorithm', () => {
  describe('stage order and data flow', () => {
    function fullTask(order: string[], seen: Partial<Record<string, StageContext>>): Task {
      return {
        intake(ctx) {
          order.push('intake');
          seen.intake = ctx;
          return { normalised: true };
        },
        research(ctx) {
          order.push('research');
          seen.research = ctx;
          return { facts: `about ${String(ctx.input)}` };
        },
        plan(ctx) {
          order.push('plan');
          seen.plan = ctx;
          return { steps: ['use', ctx.research] };
        },
        precheck(ctx) {
          order.push('precheck');
          seen.precheck = ctx;
          return true;
        },
        run(ctx) {
          order.push('run');
          seen.run = ctx;
          return { did: ctx.plan };
        },
        verify(ctx) {
          order.push('verify');
          seen.verify = ctx;
          return { verified: ctx.runResult };
        },
      };
    }

    it('runs intake, research, plan, precheck, run, verify in order, passing each result on', async () => {
      const order: string[] = [];
      const seen: Partial<Record<string, StageContext>> = {};
      const { run } = setup({ Full: fullTask(order, seen) });

      const outcome = await run('Full', 'widgets');

      expect(order).toEqual(['intake', 'research', 'plan', 'precheck', 'run', 'verify']);
      const research = { facts: 'about widgets' };
      const plan = { steps: ['use', research] };
      expect(seen.plan?.research).toEqual(research);
      expect(seen.precheck?.plan).toEqual(plan);
      expect(seen.run?.research).toEqual(research);
      expect(seen.run?.plan).toEqual(plan);
      expect(seen.verify?.runResult).toEqual({ did: plan });
      // The pipeline result is verify's.
      expect(outcome.result).toEqual({ verified: { did: plan } });
    });

    it('gives every stage the input, the task name, the run id, hashed ids and attempt 1', async () => {
      const order: string[] = [];
      const seen: Partial<Record<string, StageContext>> = {};
      const { backend } = setup({ Full: fullTask(order, seen) });

      const { runId } = await backend.run({ task: 'Full', userId: USER, groupId: GROUP, input: 'in', runId: 'r-42' });

      expect(runId).toBe('r-42');
      for (const stage of ['intake', 'research', 'plan', 'precheck', 'run', 'verify']) {
        const ctx = seen[stage] as StageContext;
        expect(ctx.input).toBe('in');
        expect(ctx.task).toBe('Full');
        expect(ctx.runId).toBe('r-42');
        expect(ctx.userHash).toBe(hashId(USER, SECRET));
        expect(ctx.groupHash).toBe(hashId(GROUP, SECRET));
        expect(ctx.attempt).toBe(1);
        expect(ctx.signal.aborted).toBe(false);
      }
      // Earlier stages do not see later results.
      expect(seen.intake?.research).toBeUndefined();
      expect(seen.research?.plan).toBeUndefined();
      expect(seen.run?.runResult).toBeUndefined();
    });

    it("returns run's result when the task has no verify", async () => {
      const { run } = setup({ RunOnly: { run: (ctx) => `ran with ${String(ctx.input)}` } });
      expect((await run('RunOnly', 'x')).result).toBe('ran with x');
    });

    it('completes with an undefined result when the task has no stages at all', async () => {
      const { run } = setup({ Empty: {} });
      expect((await run('Empty')).result).toBeUndefined();
    });

    it('audits started and success for each stage, with JSON previews of the outputs', async () => {
      const { run, records } = setup({ Full: fullTask([], {}) });
      const { runId } = await run('Full', 'w');

      for (const stage of ['intake', 'research', 'plan', 'precheck', 'run', 'verify'] as const) {
        expect(find(records, 'Full', stage, 'started')).toHaveLength(1);
        expect(find(records, 'Full', stage, 'success')).toHaveLength(1);
      }
      expect(find(records, 'Full', 'research', 'success')[0]?.output).toBe('{"facts":"about w"}');
      expect(find(records, 'Full', 'precheck', 'success')[0]?.output).toBeUndefined();
      expect(records.every((r) => r.run_id === runId && !Number.isNaN(Date.parse(r.time)))).toBe(true);
    });

    it('cuts long outputs to 256 characters in the audit', async () => {
      const { run, records } = setup({ Big: { run: () => 'z'.repeat(5_000) } });
      await run('Big');
      const output = find(records, 'Big', 'run', 'success')[0]?.output as string;
      expect(output).toBe(`${JSON.stringify('z'.repeat(5_000)).slice(0, 256)}...`);
    });

    it('reports a completed status with every step done', async () => {
      const { prepare } = setup({ Full: fullTask([], {}) });
      const run = prepare('Full');
      expect(run.snapshot().state).toBe('pending');
      await run.execute();

      const status = run.snapshot();
      expect(status).toMatchObject({ task: 'Full', state: 'completed', paused: false, currentStage: null });
      for (const step of ['intake', 'research', 'plan', 'precheck', 'run', 'verify'] as const) {
        const s = status.steps[step];
        expect(s?.status).toBe('success');
        expect(typeof s?.durationMs).toBe('number');
        expect(s?.durationMs).toBeGreaterThanOrEqual(0);
        expect(Date.parse(s?.startedAt as string)).toBeLessThanOrEqual(Date.parse(s?.endedAt as string));
      }
    });
  });

  describe('absent stages and providers', () => {
    it('audits every missing stage as skipped (no <stage> method) and goes on', async () => {
      const { prepare, records } = setup({ RunOnly: { run: (ctx) => ({ research: ctx.research, plan: ctx.plan }) } });
      const run = prepare('RunOnly');

      expect(await run.execute()).toEqual({ research: undefined, plan: undefined });

      for (const stage of ['intake', 'research', 'plan', 'verify'] as const) {
        const skipped = find(records, 'RunOnly', stage, 'skipped');
        expect(skipped).toHaveLength(1);
        expect(skipped[0]?.reason).toBe(`no ${stage} method`);
        expect(find(records, 'RunOnly', stage, 'started')).toHaveLength(0);
        expect(run.snapshot().steps[stage]?.status).toBe('skipped');
      }
      expect(Object.keys(run.snapshot().steps)).toEqual(['intake', 'research', 'plan', 'run', 'verify']);
    });

    it('uses the research and plan providers when a task lacks those methods', async () => {
      const providerCalls: string[] = [];
      const providers: Providers = {
        research: (ctx) => {
          providerCalls.push(`research:${ctx.task}`);
          return `research for ${String(ctx.input)}`;
        },
        plan: (ctx) => {
          providerCalls.push(`plan:${ctx.task}`);
          return { planFrom: ctx.research };
        },
      };
      const { run, records } = setup(
        { Bare: { run: (ctx) => ({ research: ctx.research, plan: ctx.plan }) } },
        providers,
      );

      const { result } = await run('Bare', 'topic');

      expect(providerCalls).toEqual(['research:Bare', 'plan:Bare']);
      expect(result).toEqual({ research: 'research for topic', plan: { planFrom: 'research for topic' } });
      expect(find(records, 'Bare', 'research', 'success')).toHaveLength(1);
      expect(find(records, 'Bare', 'plan', 'success')).toHaveLength(1);
      expect(records.filter((r) => r.status === 'skipped').map((r) => r.stage)).toEqual(['intake', 'verify']);
    });

    it("prefers the task's own research and plan over the providers", async () => {
      const providers: Providers = { research: () => 'provider research', plan: () => 'provider plan' };
      const { run } = setup(
        { Own: { research: () => 'own research', plan: () => 'own plan', run: (ctx) => [ctx.research, ctx.plan] } },
        providers,
      );
      expect((await run('Own')).result).toEqual(['own research', 'own plan']);
    });

    it('runs subtasks a plan provider returns', async () => {
      const providers: Providers = {
        plan: (ctx) => (ctx.task === 'Parent' ? ['Leaf', { task: 'Leaf', input: 2 }] : 'leaf plan'),
      };
      const { run } = setup(
        {
          Parent: { run: (ctx) => ctx.results },
          Leaf: { run: (ctx) => `leaf ${String(ctx.input)} ${String(ctx.plan)}` },
        },
        providers,
      );
      expect((await run('Parent')).result).toEqual(['leaf undefined leaf plan', 'leaf 2 leaf plan']);
    });
  });

  describe('precheck', () => {
    const cases: Array<[string, () => unknown, string, string]> = [
      ['returns false', () => false, 'precheck returned false', 'Gated: precheck failed'],
      ['returns undefined', () => undefined, 'precheck returned false', 'Gated: precheck failed'],
      ['returns a reason', () => 'quota exhausted', 'quota exhausted', 'Gated: precheck failed: quota exhausted'],
      ['resolves to a reason', async () => 'not today', 'not today', 'Gated: precheck failed: not today'],
      [
        'throws',
        () => {
          throw new Error('upstream down');
        },
        'upstream down',
        'Gated: precheck failed: upstream down',
      ],
    ];

    it.each(cases)(
      'that %s stops the run before run, as PRECHECK_FAILED with the reason',
      async (_label, precheck, reason, message) => {
        const calls: string[] = [];
        const { prepare, records } = setup({
          Gated: {
            precheck: precheck as Task['precheck'],
            run: () => void calls.push('run'),
            verify: () => void calls.push('verify'),
          },
        });
        const run = prepare('Gated');

        const err = await failure(run.execute());

        expect(calls).toEqual([]);
        expect(err.code).toBe('PRECHECK_FAILED');
        expect(err.message).toBe(message);
        expect(find(records, 'Gated', 'precheck', 'success')).toHaveLength(0);
        const skipped = find(records, 'Gated', 'precheck', 'skipped');
        expect(skipped).toHaveLength(1);
        expect(skipped[0]?.reason).toBe(reason);
        expect(find(records, 'Gated', 'run', 'skipped')).toHaveLength(1);
        expect(find(records, 'Gated', 'run', 'started')).toHaveLength(0);
        const status = run.snapshot();
        expect(status.state).toBe('precheck_failed');
        expect(status.steps.precheck?.status).toBe('skipped');
        expect(status.steps.run?.status).toBe('skipped');
      },
    );

    it('passes when precheck returns true', async () => {
      const { run } = setup({ Gated: { precheck: () => true, run: () => 'ran' } });
      expect((await run('Gated')).result).toBe('ran');
    });

    it('does not run planned subtasks when the precheck fails', async () => {
      const childRuns: unknown[] = [];
      const { run } = setup({
        Parent: { plan: () => ['Child'], precheck: () => 'no' },
        Child: { run: () => void childRuns.push(1) },
      });
      expect((await failure(run('Parent'))).code).toBe('PRECHECK_FAILED');
      expect(childRuns).toEqual([]);
    });
  });

  describe('stage errors and fallbacks', () => {
    const stages = ['intake', 'research', 'plan', 'run', 'verify'] as const;

    it.each(stages)('a failing %s fails the run with STAGE_FAILED and an audit error', async (failing) => {
      const called: string[] = [];
      const task: Task = {};
      for (const stage of stages) {
        task[stage] = () => {
          called.push(stage);
          if (stage === failing) throw new Error(`${stage} broke`);
          return stage === 'plan' ? { value: 1 } : stage;
        };
      }
      const { prepare, records } = setup({ Broken: task });
      const run = prepare('Broken');

      const err = await failure(run.execute());

      expect(err.code).toBe('STAGE_FAILED');
      expect(err.message).toContain(failing);
      expect(err.message).toContain(`${failing} broke`);
      expect((err.cause as Error).message).toBe(`${failing} broke`);
      expect(called).toEqual(stages.slice(0, stages.indexOf(failing) + 1));
      const errors = find(records, 'Broken', failing, 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.reason).toBe(`${failing} broke`);
      const status = run.snapshot();
      expect(status.state).toBe('failed');
      expect(status.steps[failing]).toMatchObject({ status: 'error', reason: `${failing} broke` });
    });

    it('lets a CascadenceError thrown by a stage keep its code', async () => {
      const { run } = setup({
        Picky: {
          run: () => {
            throw new CascadenceError('VALIDATION', 'input must be a number');
          },
        },
      });
      const err = await failure(run('Picky'));
      expect(err.code).toBe('VALIDATION');
      expect(err.message).toBe('Picky: stage run failed: input must be a number');
    });

    it('uses the fallback value of a failing stage and goes on', async () => {
      const seen: unknown[] = [];
      const { prepare, records } = setup({
        Soft: {
          options: { fallback: { research: { cached: true } } },
          research: () => {
            throw new Error('search engine down');
          },
          plan: (ctx) => {
            seen.push(ctx.research);
            return 'plan';
          },
          run: (ctx) => ({ research: ctx.research }),
        },
      });
      const run = prepare('Soft');

      expect(await run.execute()).toEqual({ research: { cached: true } });

      expect(seen).toEqual([{ cached: true }]);
      const errors = find(records, 'Soft', 'research', 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ reason: 'search engine down', output: '{"cached":true}' });
      expect(run.snapshot().state).toBe('completed');
      expect(run.snapshot().steps.research).toMatchObject({
        status: 'success',
        reason: expect.stringContaining('search engine down'),
      });
    });

    it('uses a fallback for run (and a falsy fallback value counts)', async () => {
      const { run } = setup({
        SoftRun: {
          options: { fallback: { run: 0 } },
          run: () => {
            throw new Error('boom');
          },
        },
      });
      expect((await run('SoftRun')).result).toBe(0);
    });

    it('does not use the fallback of another stage', async () => {
      const { run } = setup({
        Partial: {
          options: { fallback: { verify: 'v' } },
          run: () => {
            throw new Error('boom');
          },
          verify: () => 'verified',
        },
      });
      expect((await failure(run('Partial'))).code).toBe('STAGE_FAILED');
    });
  });

  describe('nested plans', () => {
    it('runs a list plan as subtasks in sequence and hands their results, in plan order, to run and verify', async () => {
      const log: string[] = [];
      const seen: Record<string, unknown> = {};
      const { prepare, records } = setup({
        Parent: {
          plan: () => ['Child', { task: 'Child', input: 'b' }, { task: 'Other', input: 3 }],
          run: (ctx) => {
            seen.run = ctx.results;
            return { combined: ctx.results };
          },
          verify: (ctx) => {
            seen.verify = ctx.results;
            return ctx.runResult;
          },
        },
        Child: {
          async run(ctx) {
            log.push(`start ${String(ctx.input)}`);
            await tick();
            log.push(`end ${String(ctx.input)}`);
            return `child ${String(ctx.input)}`;
          },
        },
        Other: { run: (ctx) => (ctx.input as number) * 2 },
      });
      const run = prepare('Parent');

      const result = await run.execute();

      const results = ['child undefined', 'child b', 6];
      expect(result).toEqual({ combined: results });
      expect(seen).toEqual({ run: results, verify: results });
      expect(log).toEqual(['start undefined', 'end undefined', 'start b', 'end b']);
      expect(run.snapshot().subtasks).toEqual({ total: 3, completed: 3, failed: 0 });
      // Children audit under their own names, with the parent's run id.
      const runId = run.snapshot().runId;
      expect(find(records, 'Child', 'run', 'success').map((r) => r.run_id)).toEqual([runId, runId]);
      expect(find(records, 'Other', 'run', 'success')).toHaveLength(1);
    });

    it('uses the list of subtask results as the result when the parent has no run (and no verify)', async () => {
      const { run } = setup({
        Parent: {
          plan: () => [
            { task: 'Leaf', input: 1 },
            { task: 'Leaf', input: 2 },
          ],
        },
        Leaf: { run: (ctx) => (ctx.input as number) * 10 },
      });
      expect((await run('Parent')).result).toEqual([10, 20]);
    });

    it('leaves no step running once a run that planned subtasks has completed', async () => {
      const { prepare } = setup({
        Parent: { plan: () => ['Leaf'] },
        Leaf: { run: () => 'leaf' },
      });
      const run = prepare('Parent');
      await run.execute();
      const status = run.snapshot();
      expect(status.state).toBe('completed');
      for (const [step, s] of Object.entries(status.steps)) {
        expect({ step, status: s?.status }).toEqual({ step, status: expect.stringMatching(/^(success|skipped)$/) });
      }
    });

    it('nests plans several levels deep', async () => {
      const { run } = setup({
        Top: { plan: () => ['Middle', { task: 'Leaf', input: 'top' }], run: (ctx) => ctx.results },
        Middle: {
          plan: () => [
            { task: 'Leaf', input: 'm1' },
            { task: 'Leaf', input: 'm2' },
          ],
          run: (ctx) => ctx.results,
        },
        Leaf: { run: (ctx) => `leaf:${String(ctx.input)}` },
      });
      expect((await run('Top')).result).toEqual([['leaf:m1', 'leaf:m2'], 'leaf:top']);
    });

    it('runs children as full pipelines (their own intake to verify)', async () => {
      const stages: string[] = [];
      const child: Task = {
        intake: () => void stages.push('intake'),
        research: () => void stages.push('research'),
        plan: () => void stages.push('plan'),
        run: () => void stages.push('run'),
        verify: () => {
          stages.push('verify');
          return 'child verified';
        },
      };
      const { run } = setup({ Parent: { plan: () => ['Child'] }, Child: child });
      expect((await run('Parent')).result).toEqual(['child verified']);
      expect(stages).toEqual(['intake', 'research', 'plan', 'run', 'verify']);
    });

    it('fails the parent with STAGE_FAILED when a subtask fails, and stops the sequence there', async () => {
      const ran: unknown[] = [];
      const { prepare, records } = setup({
        Parent: {
          plan: () => [
            { task: 'Child', input: 1 },
            { task: 'Child', input: 'bad' },
            { task: 'Child', input: 3 },
          ],
        },
        Child: {
          run: (ctx) => {
            ran.push(ctx.input);
            if (ctx.input === 'bad') throw new Error('child exploded');
            return ctx.input;
          },
        },
      });
      const run = prepare('Parent');

      const err = await failure(run.execute());

      expect(err.code).toBe('STAGE_FAILED');
      expect(err.message).toContain('child exploded');
      expect(ran).toEqual([1, 'bad']);
      expect(run.snapshot().subtasks).toEqual({ total: 3, completed: 1, failed: 1 });
      expect(run.snapshot().state).toBe('failed');
      expect(find(records, 'Parent', 'run', 'error')).toHaveLength(1);
      expect(find(records, 'Child', 'run', 'error')).toHaveLength(1);
    });

    it('rejects a plan naming an unknown task with INVALID_PLAN before running anything', async () => {
      const ran: unknown[] = [];
      for (const plan of [['Known', 'Nope'], { execution: 'parallel', tasks: ['Known', { task: 'Nope' }] }]) {
        const { run, records } = setup({ Parent: { plan: () => plan }, Known: { run: () => void ran.push(1) } });
        const err = await failure(run('Parent'));
        expect(err.code).toBe('INVALID_PLAN');
        expect(err.message).toContain('"Nope"');
        expect(err.message).toContain('Known');
        expect(find(records, 'Parent', 'plan', 'error')).toHaveLength(1);
      }
      expect(ran).toEqual([]);
    });

    it('rejects a plan with an item that is not a subtask reference with INVALID_PLAN', async () => {
      const { run } = setup({ Parent: { plan: () => ['Leaf', 42] }, Leaf: { run: () => 1 } });
      expect((await failure(run('Parent'))).code).toBe('INVALID_PLAN');
    });
  });

  describe('parallel plans', () => {
    /**
     * Children that count how many of them are inside `run` at once. Each waits (a bounded number of
     * event-loop turns) for all `n` to arrive, then finishes in reverse plan order.
     */
    function overlapProbe(n: number) {
      const probe = { active: 0, maxActive: 0, arrived: 0, finished: [] as number[] };
      const task: Task = {
        async run(ctx) {
          const i = ctx.input as number;
          probe.active++;
          probe.arrived++;
          probe.maxActive = Math.max(probe.maxActive, probe.active);
          for (let turn = 0; turn < 200 && probe.arrived < n; turn++) await tick();
          for (let turn = 0; turn < (n - i) * 3; turn++) await tick();
          probe.active--;
          probe.finished.push(i);
          return `child ${i}`;
        },
      };
      return { probe, task };
    }

    it.each([
      [
        '{ execution: parallel, tasks }',
        (refs: Array<{ task: string; input: number }>) => ({ execution: 'parallel', tasks: refs }),
      ],
      ['new ParallelPlan([...])', (refs: Array<{ task: string; input: number }>) => new ParallelPlan(refs)],
    ])('runs the children of %s concurrently, results in plan order', async (_label, makePlan) => {
      const { probe, task } = overlapProbe(3);
      const refs = [0, 1, 2].map((input) => ({ task: 'Probe', input }));
      const { prepare } = setup({ Parent: { plan: () => makePlan(refs), run: (ctx) => ctx.results }, Probe: task });
      const run = prepare('Parent');

      expect(await run.execute()).toEqual(['child 0', 'child 1', 'child 2']);

      expect(probe.maxActive).toBe(3);
      expect(probe.finished).toEqual([2, 1, 0]);
      expect(run.snapshot().subtasks).toEqual({ total: 3, completed: 3, failed: 0 });
    });

    it('runs a list plan of the same children one at a time (control)', async () => {
      const { probe, task } = overlapProbe(3);
      const { run } = setup({
        Parent: { plan: () => [0, 1, 2].map((input) => ({ task: 'Probe', input })) },
        Probe: task,
      });

      expect((await run('Parent')).result).toEqual(['child 0', 'child 1', 'child 2']);
      expect(probe.maxActive).toBe(1);
      expect(probe.finished).toEqual([0, 1, 2]);
    });

    it('treats a parallel plan without tasks as no subtasks', async () => {
      const { run } = setup({ Parent: { plan: () => ({ execution: 'parallel' }), run: (ctx) => ctx.results } });
      expect((await run('Parent')).result).toEqual([]);
    });

    it('fails the parent when one parallel child fails', async () => {
      const { prepare } = setup({
        Parent: {
          plan: () =>
            new ParallelPlan([
              { task: 'Kid', input: 'ok' },
              { task: 'Kid', input: 'bad' },
            ]),
        },
        Kid: {
          run: (ctx) => {
            if (ctx.input === 'bad') throw new Error('kid failed');
            return ctx.input;
          },
        },
      });
      const run = prepare('Parent');
      const err = await failure(run.execute());
      expect(err.code).toBe('STAGE_FAILED');
      expect(err.message).toContain('kid failed');
      expect(run.snapshot().subtasks.failed).toBe(1);
    });
  });

  describe('depth limit', () => {
    it('stops a task that plans itself at the default limit of 10 levels', async () => {
      let plans = 0;
      const { run } = setup({
        Loop: {
          plan: () => {
            plans++;
            return ['Loop'];
          },
        },
      });

      const err = await failure(run('Loop'));

      // Depths 0..10 plan; the run at depth 10 may not start depth 11.
      expect(plans).toBe(11);
      const codes = causeChain(err).map((e) => (isCascadenceError(e) ? e.code : undefined));
      expect(codes).toContain('PLAN_DEPTH_EXCEEDED');
      expect(err.message).toContain('limit of 10');
    });

    it('honours a lower maxDepth given in the request, passing it down to children', async () => {
      let plans = 0;
      const registry = newRegistry({
        Loop: {
          plan: () => {
            plans++;
            return ['Loop'];
          },
        },
      });
      const { run, records } = directRun(registry, { task: 'Loop', maxDepth: 2 });

      const err = await failure(run.execute());

      expect(plans).toBe(3);
      const deepest = causeChain(err).filter(isCascadenceError).pop();
      expect(deepest?.code).toBe('PLAN_DEPTH_EXCEEDED');
      expect(deepest?.message).toContain('limit of 2');
      expect(deepest?.hint).toEqual(expect.any(String));
      // Each level records its run stage as failed.
      expect(find(records, 'Loop', 'run', 'error')).toHaveLength(3);
    });

    it('fails with PLAN_DEPTH_EXCEEDED itself when its own subtasks would pass the limit', async () => {
      const ran: unknown[] = [];
      const registry = newRegistry({ Parent: { plan: () => ['Leaf'] }, Leaf: { run: () => void ran.push(1) } });
      const { run, records } = directRun(registry, { task: 'Parent', maxDepth: 0 });

      const err = await failure(run.execute());

      expect(err.code).toBe('PLAN_DEPTH_EXCEEDED');
      expect(ran).toEqual([]);
      expect(find(records, 'Parent', 'run', 'error')[0]?.reason).toContain('limit of 0');
      expect(run.snapshot().state).toBe('failed');
    });

    it('allows plans exactly as deep as the limit', async () => {
      const registry = newRegistry({
        A: { plan: () => ['B'], run: (ctx) => ctx.results },
        B: { plan: () => ['C'], run: (ctx) => ctx.results },
        C: { run: () => 'c' },
      });
      const { run } = directRun(registry, { task: 'A', maxDepth: 2 });
      expect(await run.execute()).toEqual([['c']]);
    });
  });

  describe('pause and resume', () => {
    it('holds the run at the next stage boundary until resumed', async () => {
      const release = deferred();
      const calls: string[] = [];
      const { prepare, records } = setup({
        Slow: {
          async intake() {
            calls.push('intake');
            await release.promise;
          },
          research: () => void calls.push('research'),
          run: () => {
            calls.push('run');
            return 'done';
          },
        },
      });
      const run = prepare('Slow');
      const done = run.execute();
      await until(() => calls.includes('intake'), 'intake started');

      expect(run.pause()).toBe(true);
      expect(run.pause()).toBe(false);
      let status: PipelineStatus = run.snapshot();
      // The running stage finishes first.
      expect(status).toMatchObject({ paused: true, state: 'running', currentStage: 'intake' });

      release.resolve();
      await until(() => run.snapshot().state === 'paused', 'paused at the boundary');
      for (let i = 0; i < 20; i++) await tick();

      expect(calls).toEqual(['intake']);
      status = run.snapshot();
      expect(status).toMatchObject({ paused: true, state: 'paused' });
      expect(status.steps.intake?.status).toBe('success');
      expect(status.steps.research?.status).toBe('pending');

      expect(run.resume()).toBe(true);
      expect(run.resume()).toBe(false);
      expect(await done).toBe('done');
      expect(calls).toEqual(['intake', 'research', 'run']);
      expect(run.snapshot()).toMatchObject({ paused: false, state: 'completed' });
      const pauseRecords = records.filter((r) => r.status === 'paused' || r.status === 'resumed');
      expect(pauseRecords.map((r) => [r.stage, r.status])).toEqual([
        ['intake', 'paused'],
        ['research', 'resumed'],
      ]);
    });

    it('paused before it starts, does nothing until resumed', async () => {
      const calls: string[] = [];
      const { prepare } = setup({ Quick: { intake: () => void calls.push('intake'), run: () => 'ok' } });
      const run = prepare('Quick');
      expect(run.pause()).toBe(true);
      const done = run.execute();
      await until(() => run.snapshot().state === 'paused', 'paused before intake');
      for (let i = 0; i < 20; i++) await tick();
      expect(calls).toEqual([]);
      run.resume();
      expect(await done).toBe('ok');
      expect(calls).toEqual(['intake']);
    });

    it('cannot be paused once finished', async () => {
      const { prepare } = setup({ Quick: { run: () => 'ok' } });
      const run = prepare('Quick');
      await run.execute();
      expect(run.pause()).toBe(false);
      expect(run.resume()).toBe(false);
    });
  });

  describe('context', () => {
    function contextProbe() {
      const release = deferred();
      const seen: Record<string, ContextPayload[]> = {};
      const started: string[] = [];
      const task: Task = {
        async intake(ctx) {
          started.push('intake');
          seen.intake = [...ctx.context];
          await release.promise;
          seen.intakeAfter = [...ctx.context];
        },
        research(ctx) {
          seen.research = [...ctx.context];
        },
        run(ctx) {
          seen.run = [...ctx.context];
          return 'ok';
        },
      };
      return { release, seen, started, task };
    }

    it('queues context attached while a stage runs; the next stage sees it, the running one does not', async () => {
      const { release, seen, started, task } = contextProbe();
      const { prepare, records } = setup({ Ctx: task });
      const run = prepare('Ctx');
      const done = run.execute();
      await until(() => started.includes('intake'), 'intake started');

      expect(run.attachContext({ note: 'look at ticket 7' })).toBe('queued');
      expect(run.snapshot().context).toEqual({ delivered: 0, queued: 1 });
      expect(run.contextSoFar()).toEqual([]);

      release.resolve();
      await done;

      expect(seen.intake).toEqual([]);
      expect(seen.intakeAfter).toEqual([]);
      expect(seen.research).toEqual([{ note: 'look at ticket 7' }]);
      expect(seen.run).toEqual([{ note: 'look at ticket 7' }]);
      expect(run.snapshot().context).toEqual({ delivered: 1, queued: 0 });
      const ctxRecords = records.filter((r) => r.status === 'context');
      expect(ctxRecords).toHaveLength(1);
      expect(ctxRecords[0]).toMatchObject({ stage: 'research', output: '{"note":"look at ticket 7"}' });
    });

    it('delivers context at once while the run is idle (before it starts)', async () => {
      const { release, seen, task } = contextProbe();
      release.resolve();
      const { prepare } = setup({ Ctx: task });
      const run = prepare('Ctx');

      expect(run.attachContext({ url: 'https://example.com/spec' })).toBe('delivered');
      expect(run.snapshot().context).toEqual({ delivered: 1, queued: 0 });
      await run.execute();
      expect(seen.intake).toEqual([{ url: 'https://example.com/spec' }]);
    });

    it('delivers context at once while the run is paused at a boundary', async () => {
      const { release, seen, started, task } = contextProbe();
      const { prepare } = setup({ Ctx: task });
      const run = prepare('Ctx');
      const done = run.execute();
      await until(() => started.includes('intake'), 'intake started');
      run.pause();
      release.resolve();
      await until(() => run.snapshot().state === 'paused', 'paused at the boundary');

      expect(run.attachContext({ note: 'while paused' })).toBe('delivered');
      expect(run.contextSoFar()).toEqual([{ note: 'while paused' }]);
      run.resume();
      await done;
      expect(seen.research).toEqual([{ note: 'while paused' }]);
    });

    it('rejects malformed payloads with CONTEXT_REJECTED and changes nothing', async () => {
      const { prepare } = setup({ Quick: { run: () => 'ok' } });
      const run = prepare('Quick');
      for (const payload of [{}, { note: 1 }, { note: 'n', extra: true }, 'note']) {
        expect(() => run.attachContext(payload)).toThrow(expect.objectContaining({ code: 'CONTEXT_REJECTED' }));
      }
      expect(run.snapshot().context).toEqual({ delivered: 0, queued: 0 });
    });

    it('rejects context after the run finished with RUN_FINISHED', async () => {
      const { prepare } = setup({ Quick: { run: () => 'ok' } });
      const run = prepare('Quick');
      await run.execute();
      expect(() => run.attachContext({ note: 'late' })).toThrow(expect.objectContaining({ code: 'RUN_FINISHED' }));
    });
  });

  describe('ids in audit records', () => {
    it('records only hashes of the user and group ids, never the raw ids', async () => {
      const release = deferred();
      const started: string[] = [];
      const { prepare, records } = setup({
        Parent: {
          async intake() {
            started.push('intake');
            await release.promise;
          },
          research: () => {
            throw new Error('no research today');
          },
          plan: () => new ParallelPlan(['Child', 'Child']),
          verify: (ctx) => ctx.runResult,
          options: { fallback: { research: 'fallback' } },
        },
        Child: { run: (ctx) => ({ user: ctx.userHash }) },
      });
      const run = prepare('Parent');
      const done = run.execute();
      await until(() => started.includes('intake'), 'intake started');
      run.attachContext({ note: 'ctx' });
      run.pause();
      release.resolve();
      await until(() => run.snapshot().state === 'paused', 'paused');
      run.resume();
      const result = await done;

      const userHash = hashId(USER, SECRET);
      const groupHash = hashId(GROUP, SECRET);
      expect(result).toEqual([{ user: userHash }, { user: userHash }]);
      expect(records.length).toBeGreaterThan(10);
      expect(new Set(records.map((r) => r.task))).toEqual(new Set(['Parent', 'Child']));
      for (const record of records) {
        expect(record.user_hash).toBe(userHash);
        expect(record.group_hash).toBe(groupHash);
      }
      const text = JSON.stringify(records);
      expect(text).not.toContain(USER);
      expect(text).not.toContain(GROUP);
      expect(JSON.stringify(run.snapshot())).not.toContain(USER);
    });

    it('uses plain SHA-256 of the ids when there is no secret', async () => {
      const { backend, records } = newBackend(newRegistry({ Quick: { run: () => 'ok' } }), '');
      await backend.run({ task: 'Quick', userId: USER, groupId: GROUP });
      expect(records.length).toBeGreaterThan(0);
      expect(records.every((r) => r.user_hash === hashId(USER, undefined) && r.group_hash === hashId(GROUP, ''))).toBe(
        true,
      );
    });
  });

  describe('circuit breaker', () => {
    it('opens after failureThreshold consecutive failures and then fails fast with CIRCUIT_OPEN', async () => {
      let calls = 0;
      const { run, records } = setup({
        Flaky: {
          options: { circuitBreaker: { failureThreshold: 2, recoveryTime: '1h' } },
          run: () => {
            calls++;
            throw new Error('service unavailable');
          },
        },
        Healthy: { options: { circuitBreaker: { failureThreshold: 2, recoveryTime: '1h' } }, run: () => 'fine' },
      });

      expect((await failure(run('Flaky'))).code).toBe('STAGE_FAILED');
      expect((await failure(run('Flaky'))).code).toBe('STAGE_FAILED');
      expect(calls).toBe(2);

      const open = await failure(run('Flaky'));
      expect(open.code).toBe('CIRCUIT_OPEN');
      expect(open.message).toContain('Flaky.run');
      expect(calls).toBe(2);
      expect(find(records, 'Flaky', 'run', 'error').pop()?.reason).toContain('circuit open');

      // Other tasks have their own breakers.
      expect((await run('Healthy')).result).toBe('fine');
    });

    it('counts only consecutive failures', async () => {
      let calls = 0;
      const outcomes = [false, true, false, false];
      const { run } = setup({
        Wobbly: {
          options: { circuitBreaker: { failureThreshold: 2, recoveryTime: '1h' } },
          run: () => {
            const ok = outcomes[calls++];
            if (!ok) throw new Error('nope');
            return 'ok';
          },
        },
      });
      expect((await failure(run('Wobbly'))).code).toBe('STAGE_FAILED');
      expect((await run('Wobbly')).result).toBe('ok');
      expect((await failure(run('Wobbly'))).code).toBe('STAGE_FAILED');
      expect((await failure(run('Wobbly'))).code).toBe('STAGE_FAILED');
      expect((await failure(run('Wobbly'))).code).toBe('CIRCUIT_OPEN');
      expect(calls).toBe(4);
    });

    it('uses the stage fallback while the circuit is open', async () => {
      let calls = 0;
      const { run } = setup({
        Guarded: {
          options: { circuitBreaker: { failureThreshold: 1, recoveryTime: '1h' }, fallback: { run: 'cached' } },
          run: () => {
            calls++;
            throw new Error('down');
          },
        },
      });
      expect((await run('Guarded')).result).toBe('cached');
      expect((await run('Guarded')).result).toBe('cached');
      expect(calls).toBe(1);
    });
  });

  describe('base backend edges', () => {
    it('rejects an unknown task with UNKNOWN_TASK naming the known ones', async () => {
      const { run } = setup({ Known: { run: () => 1 } });
      const err = await failure(run('Unknown'));
      expect(err.code).toBe('UNKNOWN_TASK');
      expect(err.message).toContain('Known');
    });

    it('requires user and group ids (USAGE)', async () => {
      const { backend } = setup({ Known: { run: () => 1 } });
      await expect(backend.run({ task: 'Known', userId: '', groupId: GROUP })).rejects.toMatchObject({ code: 'USAGE' });
      await expect(backend.run({ task: 'Known', userId: USER, groupId: '' })).rejects.toMatchObject({ code: 'USAGE' });
    });

    it('returns the audit of one task, optionally of one run', async () => {
      const { backend } = newBackend(newRegistry({ A: { run: () => 1 }, B: { run: () => 2 } }));
      const first = await backend.run({ task: 'A', userId: USER, groupId: GROUP });
      await backend.run({ task: 'A', userId: USER, groupId: GROUP });
      await backend.run({ task: 'B', userId: USER, groupId: GROUP });

      const all = await backend.audit('A');
      const one = await backend.audit('A', first.runId);
      expect(all.every((r) => r.task === 'A')).toBe(true);
      expect(new Set(all.map((r) => r.run_id)).size).toBe(2);
      expect(one.length).toBeGreaterThan(0);
      expect(one.every((r) => r.run_id === first.runId)).toBe(true);
    });
  });
});
