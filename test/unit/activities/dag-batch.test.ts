/**
 * `runPipelinesInline`, the activity of a batch of lightweight DAG nodes (no server): the
 * pipelines run concurrently, each node's outcome comes back on its own (a failure is an
 * outcome, not an activity failure), fail-fast stops the batch-mates, and cancelling the
 * activity cancels it.
 */
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStageActivities } from '../../../src/activities/stages';
import type { PipelineRequest, Task } from '../../../src/core';
import type { InlineOutcome } from '../../../src/activities/stages';
import { TaskRegistry } from '../../../src/plugins/registry';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))));
  });

interface In {
  name: string;
  ms?: number;
  fail?: boolean;
}

const started: string[] = [];
const step: Task<In> = {
  options: { retry: { maximumAttempts: 1 } },
  async run(ctx) {
    started.push(ctx.input.name);
    await sleep(ctx.input.ms ?? 0, ctx.signal);
    if (ctx.input.fail) throw new Error(`${ctx.input.name} failed on purpose`);
    return { name: ctx.input.name, upstream: ctx.upstream ?? {} };
  },
};
const registry = new TaskRegistry().register('step', step);
const activities = createStageActivities({ registry });
const req = (input: In, upstream?: Record<string, unknown>): PipelineRequest => ({
  task: 'step',
  runId: 'r',
  userHash: 'u',
  groupHash: 'g',
  input,
  ...(upstream ? { upstream } : {}),
});

beforeEach(() => {
  started.length = 0;
});

it('runs the pipelines concurrently and returns each outcome in order, a failure as an outcome', async () => {
  const t0 = Date.now();
  const outcomes = await new MockActivityEnvironment().run(activities.runPipelinesInline, {
    requests: [
      req({ name: 'a', ms: 300 }),
      req({ name: 'b', ms: 300, fail: true }),
      req({ name: 'c', ms: 300 }, { x: 1 }),
    ],
    failFast: false,
  });
  expect(Date.now() - t0).toBeLessThan(850); // not one after the other
  expect(outcomes).toEqual([
    { ok: true, output: { name: 'a', upstream: {} } },
    { ok: false, type: expect.any(String), message: expect.stringContaining('b failed on purpose') },
    { ok: true, output: { name: 'c', upstream: { x: 1 } } },
  ]);
});

it('under fail-fast, the first failure cancels its batch-mates, which report cancelled', async () => {
  const t0 = Date.now();
  const outcomes: InlineOutcome[] = await new MockActivityEnvironment().run(activities.runPipelinesInline, {
    requests: [req({ name: 'slow', ms: 5_000 }), req({ name: 'boom', ms: 50, fail: true })],
    failFast: true,
  });
  expect(Date.now() - t0).toBeLessThan(3_000);
  expect(outcomes[0]).toMatchObject({ ok: false, cancelled: true });
  expect(outcomes[1]).toMatchObject({ ok: false, message: expect.stringContaining('boom failed on purpose') });
  expect(outcomes[1]).not.toHaveProperty('cancelled');
});

it('a cancelled activity stops every pipeline of the batch and reports a cancellation', async () => {
  const env = new MockActivityEnvironment();
  const t0 = Date.now();
  const run = env.run(activities.runPipelinesInline, {
    requests: [req({ name: 'x', ms: 5_000 }), req({ name: 'y', ms: 5_000 })],
  });
  while (started.length < 2) await sleep(10);
  env.cancel();
  await expect(run).rejects.toBeInstanceOf(CancelledFailure);
  expect(Date.now() - t0).toBeLessThan(3_000);
});
