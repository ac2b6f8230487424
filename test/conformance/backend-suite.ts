/**
 * The backend conformance suite: the same scenarios (run, disable, pause/resume of a task,
 * schedule round trip, errors) against every backend. An operation a backend does not
 * support must fail with UNSUPPORTED naming the backend, never half-work.
 */
import { failure } from '../helpers/failure';
import { randomUUID } from 'node:crypto';
import { hasCapability, requireCapability, type Backend } from '../../src/backends/backend';
import { actOnSchedule, scheduleTask, setTaskEnabled, setTaskPaused, unscheduleTask } from '../../src/services/admin';

/** How a backend is exercised: which task to run, with what input, and what it returns. */
export interface BackendFixture {
  backend: Backend;
  task: string;
  input?: unknown;
  expected: unknown;
  /** Compare results loosely (e.g. a run id inside). */
  match?: (result: unknown) => void;
  /** Tears everything down, the backend included (default: `backend.close()`). */
  close?: () => Promise<void>;
}

const IDS = { userId: 'conformance-user', groupId: 'conformance-group' };

export function backendConformance(name: string, make: () => Promise<BackendFixture>): void {
  describe(`backend ${name}`, () => {
    let fx: BackendFixture;
    beforeAll(async () => {
      fx = await make();
    });
    afterAll(async () => {
      if (fx?.close) await fx.close();
      else await fx?.backend.close();
    });

    it('lists its tasks, enabled', async () => {
      const tasks = await fx.backend.list();
      expect(tasks.find((t) => t.name === fx.task)).toMatchObject({ name: fx.task, enabled: true, paused: false });
    });

    it('runs a task and returns its result', async () => {
      const outcome = await fx.backend.run({ task: fx.task, input: fx.input, ...IDS });
      expect(typeof outcome.runId).toBe('string');
      expect(outcome.runId.length).toBeGreaterThan(0);
      if (fx.match) fx.match(outcome.result);
      else expect(outcome.result).toEqual(fx.expected);
    });

    it('rejects an unknown task and missing ids', async () => {
      expect((await failure(fx.backend.run({ task: 'no-such-task', ...IDS }))).code).toBe('UNKNOWN_TASK');
      expect((await failure(fx.backend.run({ task: fx.task, userId: '', groupId: 'g' }))).code).toBe('USAGE');
    });

    it('refuses runs of a disabled task until it is enabled', async () => {
      await fx.backend.disable(fx.task);
      expect((await fx.backend.list()).find((t) => t.name === fx.task)?.enabled).toBe(false);
      expect((await failure(fx.backend.run({ task: fx.task, input: fx.input, ...IDS }))).code).toBe('TASK_DISABLED');
      await fx.backend.enable(fx.task);
      await expect(fx.backend.run({ task: fx.task, input: fx.input, ...IDS })).resolves.toBeDefined();
    });

    it('pauses a task with no running run, refusing runs until resumed', async () => {
      expect(await fx.backend.pause(fx.task, { groupId: 'nobody-runs-here' })).toEqual({
        target: 'task',
        changed: true,
      });
      expect((await failure(fx.backend.run({ task: fx.task, input: fx.input, ...IDS }))).code).toBe('TASK_PAUSED');
      expect(await fx.backend.resume(fx.task, { groupId: 'nobody-runs-here' })).toEqual({
        target: 'task',
        changed: true,
      });
      await expect(fx.backend.run({ task: fx.task, input: fx.input, ...IDS })).resolves.toBeDefined();
    });

    it('records who disabled, enabled, paused and resumed the task, and who scheduled it, in its audit trail', async () => {
      if (!hasCapability(fx.backend, 'actions') || !hasCapability(fx.backend, 'operate')) return;
      const admin = { userId: `admin-${randomUUID()}` };
      await setTaskEnabled(fx.backend, fx.task, false, admin);
      await setTaskEnabled(fx.backend, fx.task, true, admin);
      await setTaskPaused(fx.backend, fx.task, true, { groupId: 'nobody-runs-here' }, admin);
      await setTaskPaused(fx.backend, fx.task, false, { groupId: 'nobody-runs-here' }, admin);
      const expected = [
        ['task', 'disabled'],
        ['task', 'enabled'],
        ['task', 'paused'],
        ['task', 'resumed'],
      ];
      if (hasCapability(fx.backend, 'schedules')) {
        await scheduleTask(fx.backend, {
          task: fx.task,
          cron: '0 9 * * 1',
          input: fx.input,
          ...IDS,
          userId: admin.userId,
        });
        await actOnSchedule(fx.backend, fx.task, 'pause', admin);
        await unscheduleTask(fx.backend, fx.task, admin);
        expected.push(['schedule', 'scheduled'], ['schedule', 'schedule-paused'], ['schedule', 'unscheduled']);
      }
      const trail = (await fx.backend.audit(fx.task)).filter((r) => r.stage === 'task' || r.stage === 'schedule');
      expect(trail.slice(-expected.length).map((r) => [r.stage, r.status])).toEqual(expected);
      const mine = trail.slice(-expected.length);
      expect(new Set(mine.map((r) => r.user_hash)).size).toBe(1);
      expect(mine[0]?.user_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(trail)).not.toContain(admin.userId);
      expect(mine.every((r) => /^\d{4}-\d\d-\d\dT/.test(r.time))).toBe(true);
    });

    it('schedules round trip, or says it cannot', async () => {
      const request = { task: fx.task, cron: '0 9 * * 1', input: fx.input, ...IDS };
      if (!hasCapability(fx.backend, 'schedules')) {
        const err = await failure(Promise.resolve().then(() => requireCapability(fx.backend, 'schedules')));
        expect(err.code).toBe('UNSUPPORTED');
        expect(err.message).toContain(fx.backend.name);
        return;
      }
      const backend = requireCapability(fx.backend, 'schedules');
      const invalid = await failure(backend.schedule({ ...request, cron: '0 61 * * *' }));
      expect(invalid.code).toBe('VALIDATION');
      expect((await backend.schedules()).map((s) => s.name)).not.toContain(fx.task);

      const info = await backend.schedule(request);
      expect(info).toMatchObject({ name: fx.task, cron: '0 9 * * 1' });
      expect(info.nextRuns.length).toBeGreaterThan(0);
      expect(new Date(info.nextRuns[0] as string).getUTCDay()).toBe(1);
      const listed = (await backend.schedules()).find((s) => s.name === fx.task);
      expect(listed).toMatchObject({ cron: '0 9 * * 1' });
      expect(JSON.stringify(listed)).not.toContain(IDS.userId);

      await backend.unschedule(fx.task);
      expect((await backend.schedules()).map((s) => s.name)).not.toContain(fx.task);
      expect((await failure(backend.unschedule(fx.task))).code).toBe('UNKNOWN_SCHEDULE');
    });
  });
}
