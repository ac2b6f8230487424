/**
 * The trigger service (`task trigger`): a ManualTrigger task runs (waiting, or started), every
 * other kind is refused with VALIDATION (exit 2) naming its kind, and an unknown name with
 * UNKNOWN_TASK, in both cases before anything starts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseBackend } from '../../../src/backends/base';
import { CronTask, exitCodeFor, ManualTrigger, PointerTask, type StageContext, type TaskKind } from '../../../src/core';
import { TaskRegistry } from '../../../src/plugins/registry';
import { TaskStateStore } from '../../../src/runtime/task-state';
import { assertTriggerable, startTriggered, triggerTask } from '../../../src/services/trigger';

const runs: string[] = [];

class Greet extends ManualTrigger<{ name?: string }> {
  run(ctx: StageContext<{ name?: string }>) {
    runs.push(ctx.task);
    return { greeting: `Hello, ${ctx.input?.name ?? 'world'}!` };
  }
}
class Nightly extends CronTask {
  run(ctx: StageContext) {
    runs.push(ctx.task);
    return 'nightly';
  }
}
class Pointers extends PointerTask {}

function backend(): BaseBackend {
  const registry = new TaskRegistry()
    .register('greet', Greet)
    .register('nightly', Nightly)
    .register('pointers', Pointers)
    .register('plain', { run: (ctx: StageContext) => void runs.push(ctx.task) });
  const state = new TaskStateStore(join(mkdtempSync(join(tmpdir(), 'cascadence-trigger-')), 'state.json'));
  return new BaseBackend({ registry, state, hashSecret: 'h' });
}

const request = (task: string, input?: unknown) => ({
  task,
  userId: 'alice',
  groupId: 'team',
  ...(input === undefined ? {} : { input }),
});

beforeEach(() => {
  runs.length = 0;
});

it('runs a ManualTrigger task to its end, with its input', async () => {
  const b = backend();
  const outcome = await triggerTask(b, request('greet', { name: 'Ada' }));
  expect(outcome.result).toEqual({ greeting: 'Hello, Ada!' });
  expect(outcome.runId).toMatch(/^[0-9a-f-]{36}$/);
  expect(runs).toEqual(['greet']);
  await b.close();
});

it('starts a ManualTrigger task without waiting', async () => {
  const b = backend();
  const runId = await startTriggered(b, request('greet'));
  expect(runId).toMatch(/^[0-9a-f-]{36}$/);
  // The run goes on in this process after start resolves.
  for (let i = 0; i < 200 && runs.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(runs).toEqual(['greet']);
  await b.close();
});

it.each<[string, TaskKind, string]>([
  ['nightly', 'cron', 'CronTask'],
  ['pointers', 'pointer', 'PointerTask'],
  ['plain', 'task', 'BaseTask'],
])('refuses %s (kind %s) with VALIDATION, exit 2, naming its kind; nothing runs', async (name, kind, base) => {
  const b = backend();
  for (const attempt of [() => triggerTask(b, request(name)), () => startTriggered(b, request(name))]) {
    const err = await attempt().then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string; hint?: string },
    );
    expect(err?.code).toBe('VALIDATION');
    expect(exitCodeFor('VALIDATION')).toBe(2);
    expect(err?.message).toBe(
      `${name} is a task of kind "${kind}" (${base}), not "manual" (ManualTrigger): task trigger runs only manual tasks`,
    );
    expect(err?.hint).toBe(`use \`task run ${name}\` instead`);
  }
  expect(runs).toEqual([]);
  await b.close();
});

it('refuses an unknown task with UNKNOWN_TASK, listing the known ones', async () => {
  const b = backend();
  await expect(assertTriggerable(b, 'nope')).rejects.toMatchObject({
    code: 'UNKNOWN_TASK',
    message: 'unknown task "nope"; known tasks: greet, nightly, plain, pointers',
  });
  await b.close();
});

it('a kind made up by a plain-JS module is named as it is', async () => {
  const list = async () => [{ name: 'odd', enabled: true, paused: false, kind: 'odd' as TaskKind }];
  await expect(assertTriggerable({ list }, 'odd')).rejects.toThrow(/^odd is a task of kind "odd", not "manual"/);
});
