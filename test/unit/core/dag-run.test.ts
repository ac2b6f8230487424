/**
 * DagRun's optional `startNodes` port (what lets the Temporal DAG workflow batch lightweight
 * nodes found ready together) and the even split of a batch; the DAG semantics themselves are
 * the DAG conformance suite's (test/conformance/dag-suite.ts).
 */
import {
  DagRun,
  evenBatches,
  type DagPorts,
  type DagResult,
  type NodeStart,
  type StartedNode,
} from '../../../src/core/dag/run';
import { validateDag } from '../../../src/core/dag/validate';
import type { DagDefinition, DagNode } from '../../../src/core/dag/types';
import { isCascadenceError } from '../../../src/core/errors';
import { createWaiters } from '../../../src/runtime/in-process';

class Cancelled extends Error {
  readonly cancelled = true;
}

/** A node the test settles by hand. */
interface Handle {
  id: string;
  upstream: Record<string, unknown>;
  resolve(output: unknown): void;
  reject(err: unknown): void;
  cancelled: boolean;
}

/** Ports that record each `startNodes` call (or `startNode` call, without `batched`) and hand out settle-by-hand nodes. */
function fakePorts(batched: boolean) {
  const calls: string[][] = [];
  const nodes = new Map<string, Handle>();
  const make = ({ node, upstream }: NodeStart): StartedNode => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<unknown>((res, rej) => ((resolve = res), (reject = rej)));
    const handle: Handle = { id: node.id, upstream, resolve, reject, cancelled: false };
    nodes.set(node.id, handle);
    return {
      result,
      cancel() {
        handle.cancelled = true;
        reject(new Cancelled(`${node.id} cancelled`));
      },
    };
  };
  const ports: DagPorts = {
    startNode(node, upstream) {
      calls.push([node.id]);
      return make({ node, upstream });
    },
    ...createWaiters(),
    now: () => 0,
    isCancellation: (err) => err instanceof Cancelled,
  };
  if (batched)
    ports.startNodes = (starts) => {
      calls.push(starts.map((s) => s.node.id));
      return starts.map(make);
    };
  /** Lets the run's loop take its next step. */
  const tick = () => new Promise<void>((r) => setImmediate(r));
  const node = (id: string): Handle => {
    const h = nodes.get(id);
    if (!h) throw new Error(`${id} has not started`);
    return h;
  };
  return { ports, calls, node, tick };
}

const n = (id: string, dependsOn: string[] = []): DagNode => ({ id, task: 'node', lightweight: true, dependsOn });

/** Three roots, then a join over them, then a tail. */
const layered = (extra: Partial<DagDefinition> = {}): DagDefinition => ({
  name: 'layered',
  nodes: [n('a'), n('b'), n('c'), n('join', ['a', 'b', 'c']), n('tail', ['join'])],
  ...extra,
});

async function failedResult(p: Promise<DagResult>): Promise<DagResult> {
  try {
    await p;
  } catch (err) {
    if (isCascadenceError(err) && err.code === 'DAG_FAILED') return err.data as DagResult;
    throw err;
  }
  throw new Error('expected the DAG to fail');
}

describe('evenBatches', () => {
  it('splits into the fewest groups of at most max, as even as possible, in order', () => {
    const sizes = (count: number, max?: number) => evenBatches([...Array(count).keys()], max).map((b) => b.length);
    expect(sizes(0)).toEqual([]);
    expect(sizes(1)).toEqual([1]);
    expect(sizes(25)).toEqual([25]);
    expect(sizes(26)).toEqual([13, 13]);
    expect(sizes(50)).toEqual([25, 25]);
    expect(sizes(51)).toEqual([17, 17, 17]);
    expect(sizes(7, 3)).toEqual([3, 2, 2]);
    expect(evenBatches(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});

describe('DagRun startNodes', () => {
  it('without startNodes, starts each node with its own startNode call (the in-process path)', async () => {
    const f = fakePorts(false);
    const done = new DagRun(validateDag(layered()), 'r', f.ports).execute();
    await f.tick();
    expect(f.calls).toEqual([['a'], ['b'], ['c']]);
    for (const id of ['a', 'b', 'c']) f.node(id).resolve(id);
    await f.tick();
    f.node('join').resolve('j');
    await f.tick();
    f.node('tail').resolve('t');
    expect((await done).state).toBe('completed');
  });

  it('hands the nodes found ready in one iteration to one call, with their upstream outputs', async () => {
    const f = fakePorts(true);
    const done = new DagRun(validateDag(layered()), 'r', f.ports).execute();
    await f.tick();
    expect(f.calls).toEqual([['a', 'b', 'c']]);
    // Settled together (as a batch's activity result is), the join is ready in the next iteration, alone.
    for (const id of ['a', 'b', 'c']) f.node(id).resolve({ from: id });
    await f.tick();
    expect(f.calls).toEqual([['a', 'b', 'c'], ['join']]);
    expect(f.node('join').upstream).toEqual({ a: { from: 'a' }, b: { from: 'b' }, c: { from: 'c' } });
    f.node('join').resolve('j');
    await f.tick();
    f.node('tail').resolve('t');
    const result = await done;
    expect(result.state).toBe('completed');
    expect(result.outputs).toEqual({ a: { from: 'a' }, b: { from: 'b' }, c: { from: 'c' }, join: 'j', tail: 't' });
  });

  it('never hands over more than maxConcurrency allows', async () => {
    const f = fakePorts(true);
    const done = new DagRun(validateDag(layered({ maxConcurrency: 2 })), 'r', f.ports).execute();
    await f.tick();
    expect(f.calls).toEqual([['a', 'b']]);
    f.node('a').resolve('a');
    await f.tick();
    expect(f.calls).toEqual([['a', 'b'], ['c']]);
    f.node('b').resolve('b');
    f.node('c').resolve('c');
    await f.tick();
    f.node('join').resolve('j');
    await f.tick();
    f.node('tail').resolve('t');
    expect((await done).state).toBe('completed');
  });

  it('under continue, a node of a batch fails alone: its batch-mates succeed, only its dependents are skipped', async () => {
    const f = fakePorts(true);
    const def: DagDefinition = {
      name: 'continue',
      failurePolicy: 'continue',
      nodes: [n('a'), n('b'), n('c'), n('after-b', ['b']), n('after-c', ['c'])],
    };
    const done = new DagRun(validateDag(def), 'r', f.ports).execute();
    await f.tick();
    f.node('a').resolve('a');
    f.node('b').reject(new Error('b failed on purpose'));
    f.node('c').resolve('c');
    await f.tick();
    expect(f.calls).toEqual([['a', 'b', 'c'], ['after-c']]);
    f.node('after-c').resolve('ac');
    const result = await failedResult(done);
    expect(result.nodes).toMatchObject({
      a: { state: 'success' },
      b: { state: 'failed', reason: 'b failed on purpose' },
      c: { state: 'success' },
      'after-b': { state: 'skipped', reason: 'depends on b, which failed' },
      'after-c': { state: 'success' },
    });
    expect(result.outputs).toEqual({ a: 'a', c: 'c', 'after-c': 'ac' });
  });

  it('under fail-fast, a failure cancels every running node of the batch; they end cancelled', async () => {
    const f = fakePorts(true);
    const done = new DagRun(validateDag(layered()), 'r', f.ports).execute();
    await f.tick();
    f.node('b').reject(new Error('b failed'));
    const result = await failedResult(done);
    expect(f.node('a').cancelled && f.node('c').cancelled).toBe(true);
    expect(result.nodes).toMatchObject({
      a: { state: 'cancelled' },
      b: { state: 'failed', reason: 'b failed' },
      c: { state: 'cancelled' },
      join: { state: 'skipped' },
      tail: { state: 'skipped' },
    });
  });

  it('rejects a startNodes that does not return one started node per start', async () => {
    const f = fakePorts(true);
    f.ports.startNodes = () => [];
    await expect(new DagRun(validateDag(layered()), 'r', f.ports).execute()).rejects.toMatchObject({
      code: 'INTERNAL',
    });
  });
});
