/**
 * Batched lightweight DAG nodes on the real dev server: lightweight nodes found ready together
 * run as one `runPipelinesInline` activity (at most 25 each), yet every node keeps its own
 * output and state, fails alone under `continue`, and fail-fast still cancels what runs.
 */
import { randomUUID } from 'node:crypto';
import type { TemporalBackend } from '../../src/backends/temporal';
import { fromWorkflowFailure } from '../../src/backends/temporal/client';
import { isCascadenceError, type DagDefinition, type DagNode, type DagResult } from '../../src/core';
import { createTestRegistry, entries } from '../helpers/tasks';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';

let conns: TestConnections;
let backend: TemporalBackend;
let stop: () => Promise<void>;

beforeAll(async () => {
  conns = await connect();
  ({ backend, close: stop } = await startTestWorker(conns, createTestRegistry(), {
    prefix: 'dag-batch',
    hashSecret: 'dag-batch',
  }));
});
afterAll(async () => {
  await stop();
  await conns.close();
});

const IDS = { userId: 'dag-batch-user', groupId: 'dag-batch-group' };

/** A lightweight node running the `node` test task. */
function n(id: string, key: string, extra: Partial<DagNode> & { input?: Record<string, unknown> } = {}): DagNode {
  const { input, ...rest } = extra;
  return { id, task: 'node', lightweight: true, input: { key, node: id, ...input }, ...rest };
}

/** Runs a DAG to its end: its result (a failed DAG's is its DAG_FAILED's data), the activity types it scheduled, its time. */
async function run(def: DagDefinition): Promise<{ result: DagResult; activities: string[]; ms: number }> {
  const t0 = Date.now();
  const handle = await backend.startDagWorkflow({ definition: def, ...IDS });
  let result: DagResult;
  try {
    result = (await handle.result()) as DagResult;
  } catch (err) {
    const failure = fromWorkflowFailure(err);
    if (!isCascadenceError(failure) || failure.code !== 'DAG_FAILED') throw err;
    result = failure.data as DagResult;
  }
  const ms = Date.now() - t0;
  const history = await handle.fetchHistory();
  const activities = (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((t): t is string => typeof t === 'string');
  return { result, activities, ms };
}

const count = (list: string[], type: string): number => list.filter((t) => t === type).length;

it('a bench-shaped layered DAG of lightweight nodes schedules far fewer activities than nodes', async () => {
  const key = randomUUID();
  // 3 layers of 30, each node after the first layer depending on 2 nodes of the previous one (as bench/dag.ts).
  const layers = 3;
  const width = 30;
  const id = (l: number, i: number) => `l${l}n${i}`;
  const nodes: DagNode[] = [];
  for (let l = 0; l < layers; l++)
    for (let i = 0; i < width; i++)
      nodes.push(n(id(l, i), key, l === 0 ? {} : { dependsOn: [id(l - 1, i), id(l - 1, (i + 1) % width)] }));
  const { result, activities } = await run({ name: 'layered', nodes });
  expect(result.state).toBe('completed');
  expect(Object.values(result.nodes).every((s) => s.state === 'success')).toBe(true);
  for (let l = 1; l < layers; l++)
    for (let i = 0; i < width; i++)
      expect(result.outputs[id(l, i)]).toEqual({
        node: id(l, i),
        rows: 1,
        upstream: [id(l - 1, i), id(l - 1, (i + 1) % width)].sort(),
      });
  // Every node ran once.
  expect(entries(key).filter((e) => e.event === 'end')).toHaveLength(layers * width);
  // The first layer alone is one iteration: 30 nodes as 2 batches of 15. Later layers become ready as batches end.
  expect(count(activities, 'runPipelinesInline')).toBeGreaterThanOrEqual(layers * 2);
  expect(activities.length).toBeLessThan((layers * width) / 3);
  console.log(
    `${layers * width} lightweight nodes: ${activities.length} activities scheduled (${activities.join(', ')})`,
  );
});

it('under continue, a failing node of a batch fails alone while its batch-mates succeed', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'batch-continue',
    failurePolicy: 'continue',
    nodes: [
      n('a', key),
      n('b', key, { input: { fail: true } }),
      n('c', key, { input: { ms: 200 } }),
      n('after-a', key, { dependsOn: ['a'] }),
      n('after-b', key, { dependsOn: ['b'] }),
    ],
  };
  const { result, activities } = await run(def);
  expect(result.state).toBe('failed');
  expect(result.nodes).toMatchObject({
    a: { state: 'success' },
    b: { state: 'failed', reason: 'node: stage run failed: b failed on purpose' },
    c: { state: 'success' },
    'after-a': { state: 'success' },
    'after-b': { state: 'skipped', reason: 'depends on b, which failed' },
  });
  expect(result.outputs).toEqual({
    a: { node: 'a', rows: 1, upstream: [] },
    c: { node: 'c', rows: 1, upstream: [] },
    'after-a': { node: 'after-a', rows: 1, upstream: ['a'] },
  });
  // a, b and c together; after-a alone, as a lightweight node always ran.
  expect(activities).toEqual(['runPipelinesInline', 'runPipelineInline']);
});

it('a lone lightweight node still runs alone, and fails with the reason a batched node gives', async () => {
  const key = randomUUID();
  const alone = await run({
    name: 'alone',
    failurePolicy: 'continue',
    nodes: [n('x', key, { input: { fail: true } })],
  });
  expect(alone.activities).toEqual(['runPipelineInline']);
  expect(alone.result.nodes.x).toMatchObject({
    state: 'failed',
    reason: 'node: stage run failed: x failed on purpose',
  });
});

it('fail-fast: a failing node of a batch stops its batch-mates (cancelled) and skips what follows', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'batch-fail-fast',
    failurePolicy: 'fail-fast',
    nodes: [
      n('boom', key, { input: { fail: true, ms: 100 } }),
      n('long', key, { input: { ms: 20_000 } }),
      n('longer', key, { input: { ms: 20_000 } }),
      n('later', key, { dependsOn: ['boom'] }),
    ],
  };
  const { result, activities, ms } = await run(def);
  expect(result.state).toBe('failed');
  expect(result.nodes).toMatchObject({
    boom: { state: 'failed', reason: 'node: stage run failed: boom failed on purpose' },
    long: { state: 'cancelled' },
    longer: { state: 'cancelled' },
    later: { state: 'skipped' },
  });
  expect(activities).toEqual(['runPipelinesInline']);
  expect(ms).toBeLessThan(10_000);
});

it('fail-fast: a failing child-pipeline node cancels a running batch, whose nodes end cancelled', async () => {
  const key = randomUUID();
  const def: DagDefinition = {
    name: 'batch-cancelled',
    failurePolicy: 'fail-fast',
    nodes: [
      n('child', key, { lightweight: false, input: { fail: true, ms: 300 } }),
      n('l1', key, { input: { ms: 20_000 } }),
      n('l2', key, { input: { ms: 20_000 } }),
    ],
  };
  const { result, activities, ms } = await run(def);
  expect(result.nodes).toMatchObject({
    child: { state: 'failed' },
    l1: { state: 'cancelled' },
    l2: { state: 'cancelled' },
  });
  expect(activities).toEqual(['runPipelinesInline']);
  expect(ms).toBeLessThan(10_000);
  // The batch's pipelines were stopped in the worker too (the cancellation reached the activity).
  await new Promise((r) => setTimeout(r, 3_000));
  expect(entries(key).filter((e) => e.event === 'end' && e.stage !== 'child')).toEqual([]);
});
