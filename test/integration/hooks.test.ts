/**
 * Stage hooks on every backend that runs stages: the worker's hooks and a task's own run around
 * each stage (an activity interceptor on Temporal, the hooked stage runner in process), with
 * durations and errors; a throwing hook never fails a stage.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { TimingHooks } from '../../src/activities/hooks';
import { BaseBackend } from '../../src/backends/base';
import type { Backend } from '../../src/backends/backend';
import type { StageHooks } from '../../src/core';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { TaskStateStore } from '../../src/runtime/task-state';
import { createWorker } from '../../src/worker/create-worker';
import { connect, testBackend, uniqueQueue, type TestConnections } from '../helpers/temporal';

/** A registry whose `hooked` task has its own hooks (one of which throws) and fails in verify. */
function setup() {
  const calls: string[] = [];
  const own: StageHooks[] = [
    { beforeStage: (i) => void calls.push(`task:before:${i.stage}`) },
    {
      afterStage: () => {
        throw new Error('a broken hook');
      },
    },
  ];
  const registry = createDefaultRegistry().register('hooked', {
    hooks: own,
    options: { retry: { maximumAttempts: 1 } },
    run: () => 'ran',
    verify: () => {
      throw new Error('not verified');
    },
  });
  const timing = new TimingHooks();
  const worker: StageHooks[] = [
    timing,
    {
      beforeStage: (i) => void calls.push(`worker:before:${i.stage}`),
      onError: (i) => void calls.push(`worker:error:${i.stage}:${(i.error as Error).message}`),
    },
  ];
  return { calls, registry, timing, worker };
}

async function exercise(backend: Backend, calls: string[], timing: TimingHooks): Promise<void> {
  await expect(backend.run({ task: 'hooked', userId: 'u', groupId: 'g' })).rejects.toThrow(/not verified/);
  expect(calls).toEqual([
    'worker:before:run',
    'task:before:run',
    'worker:before:verify',
    'task:before:verify',
    expect.stringMatching(/^worker:error:verify:.*not verified/),
  ]);
  expect(timing.timings.get('hooked/run')).toMatchObject({ count: 1, failures: 0 });
  expect(timing.timings.get('hooked/verify')).toMatchObject({ count: 1, failures: 1 });
  // The example task has no hooks of its own: only the worker's run, for each of its five stages.
  calls.length = 0;
  await backend.run({ task: 'example', userId: 'u', groupId: 'g' });
  expect(calls).toEqual(['intake', 'research', 'plan', 'run', 'verify'].map((s) => `worker:before:${s}`));
}

test('hooks around each stage in process (base backend)', async () => {
  const { calls, registry, timing, worker } = setup();
  const backend = new BaseBackend({
    registry,
    state: new TaskStateStore(join(tmpdir(), `cascadence-hooks-${randomUUID()}`, 'state.json')),
    hashSecret: 's',
    hooks: worker,
  });
  await exercise(backend, calls, timing);
});

describe('on Temporal', () => {
  let conns: TestConnections;
  beforeAll(async () => {
    conns = await connect();
  });
  afterAll(async () => conns?.close());

  test('hooks around each stage activity (an activity interceptor)', async () => {
    const { calls, registry, timing, worker } = setup();
    const taskQueue = uniqueQueue('hooks');
    const w = await createWorker({
      connection: conns.native,
      taskQueue,
      registry,
      hooks: worker,
      shutdownGraceTime: '1s',
    });
    const backend = await testBackend(registry, taskQueue);
    try {
      await w.runUntil(() => exercise(backend, calls, timing));
    } finally {
      await backend.close();
    }
  });
});
