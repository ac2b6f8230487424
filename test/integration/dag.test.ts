/**
 * DAGs on the real dev server: dependency order, overlapping branches, failure policies,
 * conditions, pause/resume/cancel, invalid definitions that never start, and --with-deps.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromWorkflowFailure as fromFailure, type TemporalBackend } from '../../src/backends/temporal';
import { isCascadenceError } from '../../src/core/errors';
import type { DagDefinition, DagNode, DagResult } from '../../src/core';
import { dag } from '../../src/dag/builder';
import { dagStatusQuery, pauseSignal, resumeSignal } from '../../src/workflows/messages';
import { eventually } from '../conformance/pipeline-suite';
import { createTestRegistry, entries, gates } from '../helpers/tasks';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';

let conns: TestConnections;
let backend: TemporalBackend;
let stop: () => Promise<void>;
const registry = createTestRegistry();

beforeAll(async () => {
  conns = await connect();
  ({ backend, close: stop } = await startTestWorker(conns, registry, { prefix: 'dag', hashSecret: 'dag' }));
});
afterAll(async () => {
  await stop();
  await conns.close();
});

const IDS = { userId: 'dag-user', groupId: 'dag-group' };

/** A node running the `node` test task. */
function n(id: string, key: string, extra: Partial<DagNode> & { input?: Record<string, unknown> } = {}): DagNode {
  const { input, ...rest } = extra;
  return { id, task: 'node', input: { key, node: id, ...input }, ...rest };
}

const starts = (key: string): string[] =>
  entries(key)
    .filter((e) => e.event === 'start')
    .map((e) => e.stage);
const at = (key: string, node: string, event: 'start' | 'end'): number =>
  entries(key).find((e) => e.stage === node && e.event === event)?.at ?? NaN;

async function failed(p: Promise<unknown>): Promise<{ code: string; result: DagResult }> {
  try {
    await p;
  } catch (err) {
    if (isCascadenceError(err)) {
      return { code: err.code, result: err.data as DagResult };
    }
    throw err;
  }
  throw new Error('expected the DAG to fail');
}

it('a diamond respects every dependency and passes outputs downstream', async () => {
  const key = randomUUID();
  const def = dag('diamond')
    .task('a', 'node', { input: { key, node: 'a' } })
    .task('b', 'node', { input: { key, node: 'b', ms: 200 }, dependsOn: ['a'] })
    .task('c', 'node', { input: { key, node: 'c' }, dependsOn: ['a'] })
    .task('d', 'node', { input: { key, node: 'd' }, dependsOn: ['b', 'c'] })
    .build();
  const result = await backend.runDag({ definition: def, ...IDS });
  expect(result.state).toBe('completed');
  expect(Object.values(result.nodes).map((s) => s.state)).toEqual(['success', 'success', 'success', 'success']);
  expect(at(key, 'b', 'start')).toBeGreaterThanOrEqual(at(key, 'a', 'end'));
  expect(at(key, 'c', 'start')).toBeGreaterThanOrEqual(at(key, 'a', 'end'));
  expect(at(key, 'd', 'start')).toBeGreaterThanOrEqual(Math.max(at(key, 'b', 'end'), at(key, 'c', 'end')));
  expect(result.outputs.d).toEqual({ node: 'd', rows: 1, upstream: ['b', 'c'] });
});

it('independent branches overlap in time (a node starts when its own dependencies finish, not level by level)', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'branches',
    nodes: [
      n('slow', key, { input: { gateAt: ['slow'] } }),
      n('fast', key),
      n('after-fast', key, { dependsOn: ['fast'] }),
      n('join', key, { dependsOn: ['slow', 'after-fast'] }),
    ],
  };
  const handle = await backend.startDag({ definition: def, ...IDS });
  await gates.reached(`${key}.slow`);
  // While `slow` is still running, the other branch runs to its end.
  await eventually(() => entries(key).some((e) => e.stage === 'after-fast' && e.event === 'end'), 'the fast branch');
  expect(starts(key)).not.toContain('join');
  gates.open(`${key}.slow`);
  const result = (await handle.result()) as DagResult;
  expect(result.state).toBe('completed');
  expect(at(key, 'after-fast', 'end')).toBeLessThan(at(key, 'slow', 'end'));
});

it('fail-fast cancels running nodes and skips the rest', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'fail-fast',
    failurePolicy: 'fail-fast',
    nodes: [
      n('boom', key, { input: { fail: true, ms: 100 } }),
      n('long', key, { input: { ms: 30_000 } }),
      n('later', key, { dependsOn: ['boom'] }),
    ],
  };
  const handle = await backend.startDag({ definition: def, ...IDS });
  const { code } = await failed(handle.result().catch((err: unknown) => Promise.reject(fromFailure(err))));
  expect(code).toBe('DAG_FAILED');
  const status = await handle.query(dagStatusQuery);
  expect(status.nodes.boom?.state).toBe('failed');
  expect(status.nodes.long?.state).toBe('cancelled');
  expect(status.nodes.later).toMatchObject({ state: 'skipped', reason: 'an earlier node failed (fail-fast)' });
  expect(starts(key)).not.toContain('later');
});

it('continue skips only what depends on the failed node', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'continue',
    failurePolicy: 'continue',
    nodes: [
      n('boom', key, { input: { fail: true } }),
      n('after-boom', key, { dependsOn: ['boom'] }),
      n('other', key),
      n('after-other', key, { dependsOn: ['other'] }),
    ],
  };
  const handle = await backend.startDag({ definition: def, ...IDS });
  await expect(handle.result()).rejects.toThrow();
  const status = await handle.query(dagStatusQuery);
  expect(status.nodes.boom?.state).toBe('failed');
  expect(status.nodes['after-boom']).toMatchObject({ state: 'skipped', reason: 'depends on boom, which failed' });
  expect(status.nodes.other?.state).toBe('success');
  expect(status.nodes['after-other']?.state).toBe('success');
});

it('a false condition skips its branch, and what only it leads to', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'branching',
    nodes: [
      n('check', key, { input: { n: 3 } }),
      n('big', key, { dependsOn: ['check'], condition: 'check.rows > 10' }),
      n('small', key, { dependsOn: ['check'], condition: 'check.rows <= 10' }),
      n('after-big', key, { dependsOn: ['big'] }),
      n('report', key, { dependsOn: ['big', 'small'] }),
    ],
  };
  const result = await backend.runDag({ definition: def, ...IDS });
  expect(result.nodes.big).toMatchObject({ state: 'skipped', reason: 'condition is false: check.rows > 10' });
  expect(result.nodes['after-big']).toMatchObject({ state: 'skipped', reason: 'every dependency was skipped' });
  expect(result.nodes.small?.state).toBe('success');
  expect(result.nodes.report?.state).toBe('success');
  expect(starts(key).sort()).toEqual(['check', 'report', 'small']);
});

it('pause holds new nodes (running ones finish), resume continues, and status reports each node', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'pausing',
    nodes: [n('first', key, { input: { gateAt: ['first'] } }), n('second', key, { dependsOn: ['first'] })],
  };
  const handle = await backend.startDag({ definition: def, ...IDS });
  await gates.reached(`${key}.first`);
  await handle.signal(pauseSignal);
  gates.open(`${key}.first`);
  await eventually(
    async () => (await handle.query(dagStatusQuery)).nodes.first?.state === 'success',
    'first to finish',
  );
  const paused = await handle.query(dagStatusQuery);
  expect(paused).toMatchObject({ state: 'paused', paused: true });
  expect(paused.nodes.second?.state).toBe('pending');
  expect(starts(key)).toEqual(['first']);
  await handle.signal(resumeSignal);
  expect(((await handle.result()) as DagResult).state).toBe('completed');
});

it('cancel stops a DAG run and its running nodes', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'cancelling',
    nodes: [n('long', key, { input: { ms: 60_000 } }), n('never', key, { dependsOn: ['long'] })],
  };
  const handle = await backend.startDag({ definition: def, ...IDS });
  await eventually(() => starts(key).includes('long'), 'the long node to start');
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  expect(starts(key)).not.toContain('never');
});

it('a cyclic or malformed definition never starts a workflow', async () => {
  const before = (await conns.client.workflow.count(`WorkflowType = 'dagWorkflow'`)).count;
  const cyclic: DagDefinition = {
    name: 'cyclic',
    nodes: [
      { id: 'x', task: 'node', dependsOn: ['z'] },
      { id: 'y', task: 'node', dependsOn: ['x'] },
      { id: 'z', task: 'node', dependsOn: ['y'] },
    ],
  };
  await expect(backend.startDag({ definition: cyclic, ...IDS })).rejects.toMatchObject({
    code: 'VALIDATION',
    message: expect.stringMatching(/^cycle: /),
  });
  const unknown: DagDefinition = { name: 'unknown', nodes: [{ id: 'x', task: 'no-such-task' }] };
  await expect(backend.startDag({ definition: unknown, ...IDS })).rejects.toMatchObject({
    message: 'node x: unknown task "no-such-task"',
  });
  expect((await conns.client.workflow.count(`WorkflowType = 'dagWorkflow'`)).count).toBe(before);
});

it('lightweight nodes run inline as activities', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'light',
    nodes: [n('one', key, { lightweight: true }), n('two', key, { lightweight: true, dependsOn: ['one'] })],
  };
  const handle = await backend.startDag({ definition: def, ...IDS });
  const result = (await handle.result()) as DagResult;
  expect(result.outputs.two).toEqual({ node: 'two', rows: 1, upstream: ['one'] });
  const history = await handle.fetchHistory();
  const kinds = (history.events ?? []).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length;
  expect(kinds).toBe(0);
});

it('task run --with-deps runs each prerequisite once, in order, sharing the run id', async () => {
  const { runCli } = await import('../helpers/cli');
  const dir = join(tmpdir(), `cascadence-deps-${randomUUID()}`);
  const env = {
    CASCADENCE_TASK_MODULES: join(__dirname, '..', 'fixtures', 'dag-tasks', 'tasks.js'),
    CASCADENCE_AUDIT_PATH: join(dir, 'audit.jsonl'),
    CASCADENCE_STATE_PATH: join(dir, 'state.json'),
  };
  const res = await runCli(
    ['run', 'prepared', '--with-deps', '--backend', 'base', '--user-id', 'u', '--group-id', 'g'],
    env,
  );
  expect(res.stderr).toBe('');
  const lines = res.stdout.trim().split('\n');
  expect(lines.slice(0, 3)).toEqual(['prep-base\tdone', 'prep-a\tdone', 'prep-b\tdone']);
  expect(lines[4]).toBe('result\t"prepared"');
  const runId = (lines[3] ?? '').split('\t')[1] as string;
  for (const task of ['prep-base', 'prep-a', 'prep-b', 'prepared']) {
    const audit = JSON.parse(
      (await runCli(['audit', task, '--run-id', runId, '--backend', 'base', '--json'], env)).stdout,
    ) as unknown[];
    expect(
      audit.filter(
        (r) =>
          (r as { stage: string; status: string }).stage === 'run' && (r as { status: string }).status === 'success',
      ),
    ).toHaveLength(1);
  }
  const cycle = await runCli(
    ['run', 'prepared', '--with-deps', '--backend', 'base', '--user-id', 'u', '--group-id', 'g'],
    {
      ...env,
      CASCADENCE_TASK_MODULES: join(__dirname, '..', 'fixtures', 'dag-tasks', 'cycle.js'),
    },
  );
  expect(cycle.code).toBe(2);
  expect(cycle.stderr).toMatch(/^error: cycle: /);
});
