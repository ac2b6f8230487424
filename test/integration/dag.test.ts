/**
 * DAGs on the real dev server, beyond the DAG conformance suite (test/conformance/dag-suite.ts,
 * which runs dependency order, failure policies and conditions on every runtime): overlapping
 * branches, pause/resume/cancel, invalid definitions that never start, lightweight nodes and
 * --with-deps.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import type { DagDefinition, DagNode, DagResult } from '../../src/core';
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
  const handle = await backend.startDagWorkflow({ definition: def, ...IDS });
  await gates.reached(`${key}.slow`);
  // While `slow` is still running, the other branch runs to its end.
  await eventually(() => entries(key).some((e) => e.stage === 'after-fast' && e.event === 'end'), 'the fast branch');
  expect(starts(key)).not.toContain('join');
  gates.open(`${key}.slow`);
  const result = (await handle.result()) as DagResult;
  expect(result.state).toBe('completed');
  expect(at(key, 'after-fast', 'end')).toBeLessThan(at(key, 'slow', 'end'));
});

it('pause holds new nodes (running ones finish), resume continues, and status reports each node', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'pausing',
    nodes: [n('first', key, { input: { gateAt: ['first'] } }), n('second', key, { dependsOn: ['first'] })],
  };
  const handle = await backend.startDagWorkflow({ definition: def, ...IDS });
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
  const handle = await backend.startDagWorkflow({ definition: def, ...IDS });
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
  await expect(backend.startDagWorkflow({ definition: cyclic, ...IDS })).rejects.toMatchObject({
    code: 'VALIDATION',
    message: expect.stringMatching(/^cycle: /),
  });
  const unknown: DagDefinition = { name: 'unknown', nodes: [{ id: 'x', task: 'no-such-task' }] };
  await expect(backend.startDagWorkflow({ definition: unknown, ...IDS })).rejects.toMatchObject({
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
  const handle = await backend.startDagWorkflow({ definition: def, ...IDS });
  const result = (await handle.result()) as DagResult;
  expect(result.outputs.two).toEqual({ node: 'two', rows: 1, upstream: ['one'] });
  const history = await handle.fetchHistory();
  const kinds = (history.events ?? []).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length;
  expect(kinds).toBe(0);
});

it('child pipelines start with their task description from the DAG input (no describeTask per node)', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'described',
    nodes: [n('first', key), n('second', key, { dependsOn: ['first'] })],
  };
  const handle = await backend.startDagWorkflow({ definition: def, ...IDS });
  await handle.result();
  for (const node of ['first', 'second']) {
    const child = conns.client.workflow.getHandle(`${handle.workflowId}/${node}`);
    const events = (await child.fetchHistory()).events ?? [];
    // The `node` task's stages are activities: a local-activity marker could only be describeTask's.
    const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    const activities = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(markers).toHaveLength(0);
    expect(activities).not.toContain('describeTask');
    expect(activities.length).toBeGreaterThan(0);
  }
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
