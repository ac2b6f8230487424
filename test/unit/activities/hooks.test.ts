/**
 * Stage hooks: order, durations and errors, a throwing hook never fails its stage, the
 * built-ins by name.
 */
import { builtinHooks, loggingHooks, runHooked, TimingHooks, type HookLog } from '../../../src/activities/hooks';
import { isCascadenceError, type StageHookInfo, type StageHooks } from '../../../src/core';

const info: StageHookInfo = { task: 't', stage: 'run', runId: 'r1', attempt: 1, userHash: '', groupHash: '' };

function recorder(calls: string[], tag: string): StageHooks {
  return {
    beforeStage: (i) => void calls.push(`${tag}:before:${i.stage}`),
    afterStage: (i) => void calls.push(`${tag}:after:${i.error === undefined ? 'ok' : 'error'}:${i.durationMs >= 0}`),
    onError: (i) => void calls.push(`${tag}:error:${(i.error as Error).message}`),
  };
}

test('hooks run before and after a stage, in registration order, with its duration', async () => {
  const calls: string[] = [];
  const result = await runHooked([recorder(calls, 'a'), recorder(calls, 'b')], info, async () => {
    calls.push('stage');
    return 42;
  });
  expect(result).toBe(42);
  expect(calls).toEqual(['a:before:run', 'b:before:run', 'stage', 'a:after:ok:true', 'b:after:ok:true']);
});

test('a failing stage calls onError then afterStage with the error, and still fails', async () => {
  const calls: string[] = [];
  await expect(runHooked([recorder(calls, 'a')], info, () => Promise.reject(new Error('boom')))).rejects.toThrow(
    'boom',
  );
  expect(calls).toEqual(['a:before:run', 'a:error:boom', 'a:after:error:true']);
});

test('a hook that throws is logged and never fails the stage nor stops the other hooks', async () => {
  const calls: string[] = [];
  const logged: string[] = [];
  const log: HookLog = (level, message) => void logged.push(`${level} ${message}`);
  const thrower: StageHooks = {
    beforeStage: () => {
      throw new Error('hook broke');
    },
    afterStage: () => Promise.reject(new Error('async hook broke')),
  };
  const result = await runHooked([thrower, recorder(calls, 'b')], info, async () => 'ok', log);
  expect(result).toBe('ok');
  expect(calls).toEqual(['b:before:run', 'b:after:ok:true']);
  expect(logged).toEqual([
    'warn hook beforeStage threw (the stage goes on): hook broke',
    'warn hook afterStage threw (the stage goes on): async hook broke',
  ]);
});

test('the timing hook keeps count, failures, total and longest per task and stage', async () => {
  const timing = new TimingHooks();
  await runHooked([timing], info, async () => undefined);
  await runHooked([timing], info, () => Promise.reject(new Error('x'))).catch(() => undefined);
  const t = timing.timings.get('t/run');
  expect(t).toMatchObject({ count: 2, failures: 1 });
  expect(t?.maxMs).toBeGreaterThanOrEqual(0);
  expect(t?.totalMs).toBeGreaterThanOrEqual(t?.maxMs ?? 0);
});

test('the logging hook says when a stage starts and how it ended', async () => {
  const lines: string[] = [];
  const hooks = [loggingHooks((_level, message) => void lines.push(message))];
  await runHooked(hooks, info, async () => undefined);
  await runHooked(hooks, info, () => Promise.reject(new Error('nope'))).catch(() => undefined);
  expect(lines[0]).toBe('stage started: t run run=r1 attempt=1');
  expect(lines[1]).toMatch(/^stage finished: t run run=r1 attempt=1 in \d+\.\d ms$/);
  expect(lines[3]).toMatch(/^stage failed: t run run=r1 attempt=1 after \d+\.\d ms: nope$/);
});

test('built-in hooks are chosen by name; an unknown name is a one-line CONFIG error', () => {
  expect(builtinHooks('logging, timing')).toHaveLength(2);
  expect(builtinHooks('')).toHaveLength(0);
  try {
    builtinHooks('logging,tracing');
    throw new Error('expected an error');
  } catch (err) {
    expect(isCascadenceError(err) && err.code).toBe('CONFIG');
    expect((err as Error).message).toBe('unknown hook "tracing"');
  }
});
