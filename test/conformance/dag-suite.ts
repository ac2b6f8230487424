/**
 * The DAG conformance suite: the same DAG scenarios (dependency order and outputs, fail-fast,
 * continue, conditions) on every runtime that runs DAGs. A failed DAG must report every node's
 * state the same way everywhere: DAG_FAILED carrying the DAG result as its `data`.
 */
import { randomUUID } from 'node:crypto';
import { isCascadenceError } from '../../src/core/errors';
import type { DagDefinition, DagNode, DagResult } from '../../src/core';
import { dag } from '../../src/dag/builder';
import { entries } from '../helpers/tasks';

/** What the suite needs of a runtime: run a DAG to its end, or start one without waiting. */
export interface DagRuntime {
  runDag(definition: DagDefinition): Promise<DagResult>;
  /** Starts a DAG run and resolves with its run id, without waiting for its end. */
  startDag(definition: DagDefinition): Promise<string>;
  close(): Promise<void>;
}

/** The nodes that started, in order. */
const starts = (key: string): string[] =>
  entries(key)
    .filter((e) => e.event === 'start')
    .map((e) => e.stage);

/** A node running the `node` test task. */
function n(id: string, key: string, extra: Partial<DagNode> & { input?: Record<string, unknown> } = {}): DagNode {
  const { input, ...rest } = extra;
  return { id, task: 'node', input: { key, node: id, ...input }, ...rest };
}

/** The code and the DAG result a failed DAG run rejects with. */
async function failedDag(p: Promise<unknown>): Promise<{ code: string; message: string; result: DagResult }> {
  try {
    await p;
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return { code: err.code, message: err.message, result: err.data as DagResult };
  }
  throw new Error('expected the DAG to fail');
}

export function dagConformance(name: string, make: () => Promise<DagRuntime>): void {
  describe(`DAG conformance: ${name}`, () => {
    let runtime: DagRuntime;
    beforeAll(async () => {
      runtime = await make();
    });
    afterAll(async () => {
      await runtime?.close();
    });

    it('runs a diamond in dependency order and passes outputs downstream', async () => {
      const key = randomUUID();
      // Built with the DAG builder: the same canonical definition a DAG file gives.
      const result = await runtime.runDag(
        dag('diamond')
          .task('a', 'node', { input: { key, node: 'a' } })
          .task('b', 'node', { input: { key, node: 'b', ms: 50 }, dependsOn: ['a'] })
          .task('c', 'node', { input: { key, node: 'c' }, dependsOn: ['a'] })
          .task('d', 'node', { input: { key, node: 'd' }, dependsOn: ['b', 'c'] })
          .build(),
      );
      expect(result.state).toBe('completed');
      expect(Object.fromEntries(Object.entries(result.nodes).map(([id, s]) => [id, s.state]))).toEqual({
        a: 'success',
        b: 'success',
        c: 'success',
        d: 'success',
      });
      expect(result.outputs.d).toEqual({ node: 'd', rows: 1, upstream: ['b', 'c'] });
      const at = (node: string, event: 'start' | 'end'): number =>
        entries(key).find((e) => e.stage === node && e.event === event)?.at ?? NaN;
      expect(at('b', 'start')).toBeGreaterThanOrEqual(at('a', 'end'));
      expect(at('c', 'start')).toBeGreaterThanOrEqual(at('a', 'end'));
      expect(at('d', 'start')).toBeGreaterThanOrEqual(Math.max(at('b', 'end'), at('c', 'end')));
    });

    it('startDag answers with the run id before the DAG ends, and the DAG runs on to its end', async () => {
      const key = randomUUID();
      const runId = await runtime.startDag({
        name: 'started',
        nodes: [n('first', key, { input: { ms: 500 } }), n('second', key, { dependsOn: ['first'] })],
      });
      expect(runId).toMatch(/^[0-9a-f-]{36}$/);
      expect(starts(key)).not.toContain('second');
      const deadline = Date.now() + 20_000;
      while (!entries(key).some((e) => e.stage === 'second' && e.event === 'end')) {
        if (Date.now() > deadline) throw new Error('the started DAG never ran its second node');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(starts(key)).toEqual(['first', 'second']);
    });

    it('startDag validates before anything starts', async () => {
      await expect(
        runtime.startDag({ name: 'bad-start', nodes: [{ id: 'x', task: 'no-such-task' }] }),
      ).rejects.toMatchObject({ code: 'VALIDATION' });
    });

    it('fail-fast: DAG_FAILED carries every node state (failed, cancelled, skipped)', async () => {
      const key = randomUUID();
      const { code, message, result } = await failedDag(
        runtime.runDag({
          name: 'fail-fast',
          failurePolicy: 'fail-fast',
          nodes: [
            n('boom', key, { input: { fail: true, ms: 100 } }),
            n('long', key, { input: { ms: 30_000 } }),
            n('later', key, { dependsOn: ['boom'] }),
          ],
        }),
      );
      expect(code).toBe('DAG_FAILED');
      expect(message).toContain('boom');
      expect(result).toMatchObject({ dag: 'fail-fast', state: 'failed' });
      expect(result.nodes.boom?.state).toBe('failed');
      expect(result.nodes.boom?.reason).toContain('boom failed on purpose');
      expect(result.nodes.long?.state).toBe('cancelled');
      expect(result.nodes.later).toMatchObject({ state: 'skipped', reason: 'an earlier node failed (fail-fast)' });
      expect(result.outputs).toEqual({});
      expect(starts(key)).not.toContain('later');
    });

    it('continue: the failed DAG reports what ran, what failed and what was skipped, with outputs', async () => {
      const key = randomUUID();
      const { code, result } = await failedDag(
        runtime.runDag({
          name: 'continue',
          failurePolicy: 'continue',
          nodes: [
            n('boom', key, { input: { fail: true } }),
            n('after-boom', key, { dependsOn: ['boom'] }),
            n('other', key),
            n('after-other', key, { dependsOn: ['other'] }),
          ],
        }),
      );
      expect(code).toBe('DAG_FAILED');
      expect(result.nodes.boom?.state).toBe('failed');
      expect(result.nodes['after-boom']).toMatchObject({ state: 'skipped', reason: 'depends on boom, which failed' });
      expect(result.nodes.other?.state).toBe('success');
      expect(result.nodes['after-other']?.state).toBe('success');
      expect(Object.keys(result.outputs).sort()).toEqual(['after-other', 'other']);
    });

    it('a false condition skips its branch and what only it leads to', async () => {
      const key = randomUUID();
      const result = await runtime.runDag({
        name: 'branching',
        nodes: [
          n('check', key, { input: { n: 3 } }),
          n('big', key, { dependsOn: ['check'], condition: 'check.rows > 10' }),
          n('small', key, { dependsOn: ['check'], condition: 'check.rows <= 10' }),
          n('after-big', key, { dependsOn: ['big'] }),
        ],
      });
      expect(result.state).toBe('completed');
      expect(result.nodes.big).toMatchObject({ state: 'skipped', reason: 'condition is false: check.rows > 10' });
      expect(result.nodes['after-big']).toMatchObject({ state: 'skipped', reason: 'every dependency was skipped' });
      expect(result.nodes.small?.state).toBe('success');
      expect(starts(key).sort()).toEqual(['check', 'small']);
    });
  });
}
