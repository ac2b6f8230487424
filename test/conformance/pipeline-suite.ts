/**
 * The pipeline conformance suite: every scenario runs against each runtime (base in
 * `test/unit/conformance`, Temporal in `test/integration/conformance`) and must behave the same.
 */
import { randomUUID } from 'node:crypto';
import { failure } from '../helpers/failure';
import { hashId } from '../../src/events/hash';
import type { AuditRecord } from '../../src/core';
import { FIVE_STAGE_AUDIT, entries, gates, overlap } from '../helpers/tasks';
import { HASH_SECRET, type RunHandle, type Runtime } from './runtimes';

/** Waits (without asserting on time) until `check` returns a truthy value. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  what: string,
  limitMs = 30_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const key = (): string => randomUUID();

export function pipelineConformance(makeRuntime: () => Promise<Runtime>): void {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await makeRuntime();
  });
  afterAll(async () => {
    await rt?.close();
  });

  describe('stages', () => {
    it('runs intake → research → plan → run → verify, passing each result on', async () => {
      const k = key();
      const run = await rt.start('full', { key: k });
      const result = await run.result();
      expect(
        entries(k)
          .filter((e) => e.event === 'start')
          .map((e) => e.stage),
      ).toEqual(['intake', 'research', 'plan', 'run', 'verify']);
      expect(result).toEqual({
        verified: { run: 'X', plan: { plan: 'P', research: { research: 'R', context: [] }, context: [] }, context: [] },
        context: [],
      });
      const audit = await run.audit();
      expect(audit.map((r) => `${r.stage}:${r.status}`)).toEqual(FIVE_STAGE_AUDIT);
      expect(audit.find((r) => r.stage === 'intake' && r.status === 'success')?.output).toBe('"I"');
      const status = await run.status();
      expect(status.state).toBe('completed');
      expect(Object.values(status.steps).every((s) => s.status === 'success')).toBe(true);
    });

    it('skips the stages a task lacks (audited), and returns run’s result without verify', async () => {
      const run = await rt.start('child', { key: key(), n: 4 });
      expect(await run.result()).toBe(40);
      const audit = await run.audit();
      expect(audit.filter((r) => r.status === 'skipped').map((r) => r.stage)).toEqual([
        'intake',
        'research',
        'plan',
        'verify',
      ]);
    });

    it('hashes user and group ids: audit records and status carry only hashes', async () => {
      const userId = `raw-user-${randomUUID()}`;
      const groupId = `raw-group-${randomUUID()}`;
      const run = await rt.start('child', { key: key(), n: 1 }, { userId, groupId });
      await run.result();
      const audit = await run.audit();
      const text = JSON.stringify(audit) + JSON.stringify(await run.status());
      expect(text).not.toContain(userId);
      expect(text).not.toContain(groupId);
      expect(audit[0]?.user_hash).toBe(hashId(userId, HASH_SECRET));
      expect(audit[0]?.group_hash).toBe(hashId(groupId, HASH_SECRET));
    });
  });

  describe('precheck', () => {
    it.each([
      ['precheck-false', 'precheck returned false'],
      ['precheck-reason', 'not today'],
      ['precheck-throws', 'cannot check'],
    ])('%s stops the run before run, recorded as skipped: %s', async (task, reason) => {
      const k = key();
      const run = await rt.start(task, { key: k });
      const err = await failure(run.result());
      expect(err.code).toBe('PRECHECK_FAILED');
      expect(err.message).toBe(
        task === 'precheck-false' ? `${task}: precheck failed` : `${task}: precheck failed: ${reason}`,
      );
      expect(entries(k).some((e) => e.stage === 'run')).toBe(false);
      const audit = await run.audit();
      expect(audit.find((r) => r.stage === 'precheck' && r.status === 'skipped')?.reason).toBe(reason);
      expect((await run.status()).state).toBe('precheck_failed');
    });

    it('precheck true lets run go', async () => {
      const run = await rt.start('precheck-true', { key: key() });
      expect(await run.result()).toBe('ran');
    });
  });

  describe('audit trail', () => {
    /** A run's records as [stage, status, reason or output]. */
    const trail = (audit: AuditRecord[]): Array<[string, string, string]> =>
      audit.map((r) => [r.stage, r.status, r.reason ?? r.output ?? '']);

    it('records every stage of a run-only task, in pipeline order; the status has the same five', async () => {
      const run = await rt.start('child', { key: key(), n: 2 });
      await run.result();
      expect(trail(await run.audit())).toEqual([
        ['intake', 'skipped', 'no intake method'],
        ['research', 'skipped', 'no research method'],
        ['plan', 'skipped', 'no plan method'],
        ['run', 'started', ''],
        ['run', 'success', '20'],
        ['verify', 'skipped', 'no verify method'],
      ]);
      const { steps } = await run.status();
      expect(Object.entries(steps).map(([stage, s]) => [stage, s.status])).toEqual([
        ['intake', 'skipped'],
        ['research', 'skipped'],
        ['plan', 'skipped'],
        ['run', 'success'],
        ['verify', 'skipped'],
      ]);
    });

    it('gives a parent with a list plan and no run method a run record whose output is the subtasks’ results', async () => {
      const run = await rt.start('parallel-object', { key: key() });
      expect(await run.result()).toEqual([50, 0]);
      const records = trail(await run.audit()).filter(([stage]) => stage === 'run');
      expect(records).toEqual([
        ['run', 'started', ''],
        ['run', 'success', '[50,0]'],
      ]);
      expect((await run.status()).steps.run?.status).toBe('success');
    });

    it('records a failing precheck as started then skipped (never a success), and the stages after it as skipped', async () => {
      const run = await rt.start('precheck-reason', { key: key() });
      await failure(run.result());
      expect(trail(await run.audit())).toEqual([
        ['intake', 'skipped', 'no intake method'],
        ['research', 'skipped', 'no research method'],
        ['plan', 'skipped', 'no plan method'],
        ['precheck', 'started', ''],
        ['precheck', 'skipped', 'not today'],
        ['run', 'skipped', 'precheck failed: not today'],
        ['verify', 'skipped', 'precheck failed: not today'],
      ]);
    });

    it('keeps what a failed stage had done: its error record and the run’s failure carry the partial output', async () => {
      const run = await rt.start('partial-fail', { key: key() });
      let failed: unknown;
      try {
        await run.result();
      } catch (err) {
        failed = err;
      }
      expect(failed).toMatchObject({ code: 'STAGE_FAILED', data: { stage: 'run', partial: { rows: 2 } } });
      const audit = await run.audit();
      expect(audit.find((r) => r.stage === 'run' && r.status === 'error')).toMatchObject({
        reason: 'upstream timed out',
        output: '{"rows":2}',
      });
      expect(trail(audit).at(-1)).toEqual(['verify', 'skipped', 'not run: run failed']);
      const status = await run.status();
      expect(status.steps.run).toMatchObject({ status: 'error', partial: { rows: 2 } });
      expect(status.state).toBe('failed');
    });
  });

  describe('failures and resilience', () => {
    it('retries a failing stage by the task’s policy, then fails with the stage’s error', async () => {
      const k = key();
      const run = await rt.start('always-fails', { key: k });
      const err = await failure(run.result());
      expect(err.code).toBe('STAGE_FAILED');
      expect(err.message).toContain('boom');
      expect(
        entries(k)
          .filter((e) => e.event === 'start')
          .map((e) => e.attempt),
      ).toEqual([1, 2]);
      const audit = await run.audit();
      expect(audit.find((r) => r.stage === 'run' && r.status === 'error')?.reason).toContain('boom');
      expect((await run.status()).state).toBe('failed');
    });

    it('succeeds when a retry succeeds', async () => {
      const k = key();
      const run = await rt.start('flaky', { key: k, failTimes: 2 });
      expect(await run.result()).toEqual({ attempts: 3 });
    });

    it('uses the fallback value when a stage finally fails', async () => {
      const run = await rt.start('with-fallback', { key: key() });
      expect(await run.result()).toEqual({ got: 'fallback-value' });
      const audit = await run.audit();
      expect(audit.find((r) => r.stage === 'run' && r.status === 'error')).toMatchObject({
        reason: 'primary failed',
        output: '"fallback-value"',
      });
    });

    it('opens the circuit after consecutive failures, failing fast', async () => {
      const first = await failure((await rt.start('breaker', { key: key() })).result());
      const second = await failure((await rt.start('breaker', { key: key() })).result());
      const third = await failure((await rt.start('breaker', { key: key() })).result());
      expect(first.message).toContain('dependency down');
      expect(second.message).toContain('dependency down');
      expect(third.code).toBe('CIRCUIT_OPEN');
      expect(third.message).toMatch(/circuit open for breaker\.run/);
    });
  });

  describe('plans', () => {
    it('runs a list plan as subtasks in sequence and passes their results to run and verify', async () => {
      const k = key();
      const run = await rt.start('sequential', { key: k });
      expect(await run.result()).toEqual({ verified: { results: [10, 20, 30], sum: 60 } });
      const children = entries(k).filter((e) => e.task === 'child');
      expect(children.map((e) => e.event)).toEqual(['start', 'end', 'start', 'end', 'start', 'end']);
      expect((await run.status()).subtasks).toEqual({ total: 3, completed: 3, failed: 0 });
    });

    it('runs a parallel plan concurrently, results in plan order', async () => {
      overlap.max = 0;
      const run = await rt.start('parallel', { key: key() });
      expect(await run.result()).toEqual([1, 2, 3]);
      expect(overlap.max).toBeGreaterThanOrEqual(2);
    });

    it('accepts { execution: "parallel", tasks } with names as shorthand', async () => {
      const run = await rt.start('parallel-object', { key: key() });
      expect(await run.result()).toEqual([50, 0]);
    });

    it('nests plans', async () => {
      const run = await rt.start('nested', { key: key() });
      expect(await run.result()).toEqual([{ verified: { results: [10, 20, 30], sum: 60 } }, 70]);
    });

    it('stops runaway recursion at the depth limit', async () => {
      const err = await failure((await rt.start('recursive', { key: key() })).result());
      expect(err.code).toBe('PLAN_DEPTH_EXCEEDED');
      expect(err.message).toContain('limit of 10');
    });

    it.each([
      ['bad-plan', /plan item 0 is not a subtask reference/],
      ['unknown-plan', /no-such-task/],
    ])('rejects an invalid plan (%s) before any subtask runs', async (task, message) => {
      const err = await failure((await rt.start(task, { key: key() })).result());
      expect(err.code).toBe('INVALID_PLAN');
      expect(err.message).toMatch(message);
    });
  });

  describe('pause, resume and context', () => {
    async function startGated(stage: string): Promise<{ k: string; run: RunHandle }> {
      const k = key();
      const run = await rt.start('full', { key: k, gateAt: [stage] });
      await gates.reached(`${k}.${stage}`);
      return { k, run };
    }

    it('pause takes effect at the next stage boundary; the running stage finishes; resume continues', async () => {
      const { k, run } = await startGated('intake');
      await run.pause();
      await eventually(async () => (await run.status()).paused, 'pause to be recorded');
      gates.open(`${k}.intake`);
      const paused = await eventually(async () => {
        const s = await run.status();
        return s.state === 'paused' ? s : undefined;
      }, 'the run to stop at the boundary');
      expect(paused.steps.intake?.status).toBe('success');
      expect(paused.steps.research?.status).toBe('pending');
      expect(entries(k).some((e) => e.stage === 'research')).toBe(false);
      await run.resume();
      await run.result();
      expect(
        entries(k)
          .filter((e) => e.event === 'start')
          .map((e) => e.stage),
      ).toContain('verify');
      const statuses = (await run.audit()).map((r) => r.status);
      expect(statuses).toContain('paused');
      expect(statuses).toContain('resumed');
    });

    it('context attached mid-stage is queued: the next stage sees it, the current does not', async () => {
      const { k, run } = await startGated('research');
      expect(await run.attach({ note: 'use staging' })).toBe('queued');
      gates.open(`${k}.research`);
      const result = (await run.result()) as {
        verified: { plan: { research: { context: unknown[] }; context: unknown[] } };
      };
      expect(result.verified.plan.research.context).toEqual([]);
      expect(result.verified.plan.context).toEqual([{ note: 'use staging' }]);
      const ctx = (await run.audit()).find((r) => r.status === 'context');
      expect(ctx).toMatchObject({ stage: 'plan', output: '{"note":"use staging"}' });
    });

    it('context attached while paused at a boundary is delivered at once', async () => {
      const { k, run } = await startGated('intake');
      await run.pause();
      await eventually(async () => (await run.status()).paused, 'pause to be recorded');
      gates.open(`${k}.intake`);
      await eventually(async () => (await run.status()).state === 'paused', 'the run to stop at the boundary');
      expect(await run.attach({ url: 'https://example.com/spec' })).toBe('delivered');
      await run.resume();
      const result = (await run.result()) as { context: unknown[] };
      expect(result.context).toEqual([{ url: 'https://example.com/spec' }]);
    });

    it.each([
      [{}, /note or url is required/],
      [{ note: 'x', extra: 1 }, /unexpected key/],
      [{ note: 'x'.repeat(2049) }, /limit is 2048/],
      ['just a string', /must be an object/],
    ])('rejects a malformed context payload %#', async (payload, message) => {
      const { k, run } = await startGated('intake');
      const err = await failure(run.attach(payload));
      expect(err.code).toBe('CONTEXT_REJECTED');
      expect(err.message).toMatch(message);
      gates.open(`${k}.intake`);
      expect(await run.result()).toMatchObject({ context: [] });
    });
  });

  describe('cancellation', () => {
    it('cancels a run and its running stage, which sees the abort', async () => {
      const k = key();
      const run = await rt.start('long-running', { key: k });
      await eventually(() => entries(k).some((e) => e.stage === 'run'), 'the stage to start');
      await run.cancel();
      const err = await failure(run.result());
      expect(err.code).toBe('CANCELLED');
      await eventually(() => entries(k).some((e) => e.stage === 'aborted'), 'the stage to see the abort');
    });

    it('cancelling a run cancels its subtasks and their running stages', async () => {
      const k = key();
      const run = await rt.start('parent-of-long', { key: k });
      await eventually(
        () => entries(k).some((e) => e.task === 'long-running' && e.stage === 'run'),
        'the subtask to start',
      );
      await run.cancel();
      const err = await failure(run.result());
      expect(err.code).toBe('CANCELLED');
      await eventually(() => entries(k).some((e) => e.stage === 'aborted'), 'the subtask’s stage to see the abort');
    });
  });
}
