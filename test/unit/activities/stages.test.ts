/**
 * The stage activities in Temporal's MockActivityEnvironment (no server): what a stage returns,
 * how its errors cross into Temporal (the error table decides what is retried), heartbeats and
 * cancellation.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStageActivities } from '../../../src/activities/stages';
import { CircuitBreakers } from '../../../src/activities/circuit-breaker';
import { CascadenceError } from '../../../src/core/errors';
import type { StepCall } from '../../../src/core';
import { TaskRegistry } from '../../../src/plugins/registry';

const registry = new TaskRegistry()
  .register('ok', { run: (ctx) => ({ doubled: (ctx.input as number) * 2 }) })
  .register('invalid', {
    run: () => {
      throw new CascadenceError('VALIDATION', 'rows must be a list', { hint: 'pass {"rows": [...]}' });
    },
  })
  .register('flaky', {
    run: () => {
      throw new CascadenceError('CONNECTION', 'upstream unreachable');
    },
  })
  .register('plain', {
    run: () => {
      throw new Error('boom');
    },
  })
  .register('waits', {
    run: (ctx) =>
      new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
  });
const activities = createStageActivities({ registry, breakers: new CircuitBreakers() });

const call = (task: string, input?: unknown): StepCall => ({
  task,
  step: 'run',
  runId: 'r1',
  userHash: 'u',
  groupHash: 'g',
  input,
  context: [],
});

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the stage to fail');
}

it('runs a stage and returns its output', async () => {
  expect(await new MockActivityEnvironment().run(activities.run, call('ok', 21))).toEqual({ doubled: 42 });
});

it('turns a CascadenceError into an ApplicationFailure typed by its code, non-retryable as the error table says', async () => {
  const invalid = await failureOf(new MockActivityEnvironment().run(activities.run, call('invalid')));
  expect(invalid).toBeInstanceOf(ApplicationFailure);
  expect(invalid).toMatchObject({ type: 'VALIDATION', message: 'rows must be a list', nonRetryable: true });
  expect((invalid as ApplicationFailure).details).toEqual([{ hint: 'pass {"rows": [...]}' }]);

  const flaky = await failureOf(new MockActivityEnvironment().run(activities.run, call('flaky')));
  expect(flaky).toMatchObject({ type: 'CONNECTION', nonRetryable: false });
});

it('lets any other error through for Temporal to retry', async () => {
  const err = await failureOf(new MockActivityEnvironment().run(activities.run, call('plain')));
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect((err as Error).message).toBe('boom');
});

it('reports a stage that gave up on cancellation as cancelled', async () => {
  const env = new MockActivityEnvironment();
  const running = env.run(activities.run, call('waits'));
  env.cancel();
  expect(await failureOf(running)).toBeInstanceOf(CancelledFailure);
});

it('describes a task (the local activity of runs started without a description)', async () => {
  const desc = await new MockActivityEnvironment().run(activities.describeTask, 'ok');
  expect(desc).toMatchObject({ name: 'ok', steps: { run: 'task' } });
  const unknown = await failureOf(new MockActivityEnvironment().run(activities.describeTask, 'nope'));
  expect(unknown).toMatchObject({ type: 'UNKNOWN_TASK', nonRetryable: true });
});
