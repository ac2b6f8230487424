/**
 * Stage modes: which mode each stage gets from a task's options, the checks made when a task is
 * registered, and what a local stage's options and heartbeats become (no server).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStageActivities } from '../../../src/activities/stages';
import { CascadenceError } from '../../../src/core/errors';
import {
  STEPS,
  stageModeOf,
  validateStageModes,
  type StepCall,
  type TaskDescription,
  type TaskOptions,
} from '../../../src/core';
import { TaskRegistry } from '../../../src/plugins/registry';
import { localStageOptions, stageActivityOptions } from '../../../src/workflows/pipeline';

const validationError = (fn: () => unknown): CascadenceError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CascadenceError);
    return err as CascadenceError;
  }
  throw new Error('expected a validation error');
};

describe('stageModeOf', () => {
  it('is activity by default, the task-wide mode otherwise, and a stage entry wins over both', () => {
    expect(STEPS.map((s) => stageModeOf({}, s))).toEqual(STEPS.map(() => 'activity'));
    const options: TaskOptions = { stageMode: 'local', stageModes: { run: 'activity' } };
    expect(STEPS.map((s) => [s, stageModeOf(options, s)])).toEqual([
      ['intake', 'local'],
      ['research', 'local'],
      ['plan', 'local'],
      ['precheck', 'local'],
      ['run', 'activity'],
      ['verify', 'local'],
    ]);
    expect(stageModeOf({ stageModes: { verify: 'local' } }, 'verify')).toBe('local');
    expect(stageModeOf({ stageModes: { verify: 'local' } }, 'run')).toBe('activity');
  });
});

describe('validateStageModes', () => {
  it.each<[string, TaskOptions | undefined]>([
    ['no options', undefined],
    ['no stage modes', { retry: { maximumAttempts: 2 } }],
    ['every stage local', { stageMode: 'local' }],
    ['explicit activity', { stageMode: 'activity', heartbeatTimeout: '10s' }],
    ['some stages local', { stageModes: { intake: 'local', verify: 'local' } }],
    [
      'local with a heartbeating stage kept an activity',
      { stageMode: 'local', stageModes: { run: 'activity' }, heartbeatTimeout: '5s' },
    ],
  ])('accepts %s', (_what, options) => {
    expect(() => validateStageModes('t', options)).not.toThrow();
  });

  it.each<[string, unknown, RegExp]>([
    [
      'an unknown mode',
      { stageMode: 'remote' },
      /task t: options\.stageMode must be one of 'activity', 'local', not "remote"/,
    ],
    ['a mode of the wrong type', { stageMode: true }, /options\.stageMode must be/],
    ['a stage map that is not an object', { stageModes: 'local' }, /options\.stageModes must be an object/],
    ['a stage map that is a list', { stageModes: ['local'] }, /options\.stageModes must be an object/],
    ['an unknown stage', { stageModes: { deploy: 'local' } }, /unknown stage "deploy"/],
    ['an unknown mode for a stage', { stageModes: { run: 'fast' } }, /options\.stageModes\.run must be one of/],
    [
      'a heartbeat timeout when every stage is local',
      { stageMode: 'local', heartbeatTimeout: '5s' },
      /heartbeatTimeout has no effect/,
    ],
    [
      'a heartbeat timeout when every stage is local by the map',
      { heartbeatTimeout: 1000, stageModes: Object.fromEntries(STEPS.map((s) => [s, 'local'])) },
      /heartbeatTimeout has no effect/,
    ],
  ])('rejects %s (VALIDATION, with a hint)', (_what, options, message) => {
    const err = validationError(() => validateStageModes('t', options as TaskOptions));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
  });

  it('is checked when a task is registered or replaced; a rejected replacement keeps the old code', () => {
    const registry = new TaskRegistry();
    const err = validationError(() =>
      registry.register('bad', { options: { stageMode: 'nearby' as never }, run: () => 1 }),
    );
    expect(err.message).toMatch(/^task bad: options\.stageMode/);
    expect(registry.has('bad')).toBe(false);
    const good = { options: { stageMode: 'local' as const }, run: () => 1 };
    registry.register('good', good);
    expect(registry.describe('good').options).toEqual({ stageMode: 'local' });
    validationError(() =>
      registry.replace('good', { options: { stageModes: { ship: 'local' } as never }, run: () => 2 }),
    );
    expect(registry.get('good')).toBe(good);
    class Local {
      options: TaskOptions = { stageMode: 'local', heartbeatTimeout: '3s' };
      run(): number {
        return 1;
      }
    }
    expect(validationError(() => registry.register('cls', Local)).message).toMatch(/heartbeatTimeout/);
  });
});

describe('local stage options', () => {
  const desc = (options: TaskOptions): TaskDescription => ({
    name: 't',
    kind: 'task',
    steps: { run: 'task' },
    options,
  });

  it('are the stage’s activity options without a heartbeat timeout', () => {
    const options: TaskOptions = {
      stageMode: 'local',
      stageModes: { run: 'activity' },
      heartbeatTimeout: '2s',
      startToCloseTimeout: '30s',
      retry: { maximumAttempts: 4, initialInterval: '100ms', nonRetryableErrorTypes: ['BadInput'] },
    };
    const { heartbeatTimeout, ...rest } = stageActivityOptions(desc(options), 'verify');
    expect(heartbeatTimeout).toBeDefined();
    expect(localStageOptions(desc(options), 'verify')).toEqual(rest);
    expect(localStageOptions(desc(options), 'verify')).toMatchObject({
      summary: 't: verify',
      startToCloseTimeout: 30_000,
      retry: { maximumAttempts: 4, initialInterval: 100, nonRetryableErrorTypes: ['BadInput'] },
    });
    expect('heartbeatTimeout' in localStageOptions(desc(options), 'verify')).toBe(false);
  });
});

describe('a stage activity run as a local activity', () => {
  it('does not heartbeat, even when the stage calls heartbeat(); as an activity it does', async () => {
    const registry = new TaskRegistry().register('beats', {
      async run(ctx) {
        ctx.heartbeat({ done: 1 });
        return 'ok';
      },
    });
    const activities = createStageActivities({ registry });
    const call: StepCall = {
      task: 'beats',
      step: 'run',
      runId: 'r',
      userHash: 'u',
      groupHash: 'g',
      input: undefined,
      context: [],
    };
    const beats = async (isLocal: boolean): Promise<unknown[]> => {
      const env = new MockActivityEnvironment({ isLocal });
      const seen: unknown[] = [];
      env.on('heartbeat', (details: unknown) => seen.push(details));
      expect(await env.run(activities.run, call)).toBe('ok');
      return seen;
    };
    expect(await beats(true)).toEqual([]);
    expect(await beats(false)).toEqual([{ done: 1 }]);
  });
});
