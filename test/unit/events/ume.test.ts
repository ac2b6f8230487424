/** The versioned events of a real in-process run (the base backend): schemas, ids, subjects, privacy. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseBackend } from '../../../src/backends/base';
import { MemoryTransport } from '../../../src/events/bus';
import { eventIdOf } from '../../../src/events/ume';
import { createDefaultRegistry } from '../../../src/plugins/builtin';
import { TaskStateStore } from '../../../src/runtime/task-state';
import { checkRunEvents } from '../../conformance/events-check';

it('a run publishes its stages as versioned events, valid against their schemas, hashed ids only', async () => {
  const events = new MemoryTransport();
  const backend = new BaseBackend({
    registry: createDefaultRegistry(),
    state: new TaskStateStore(join(mkdtempSync(join(tmpdir(), 'cascadence-ume-')), 'state.json')),
    hashSecret: 'ume',
    events,
  });
  const user = `raw-user-${randomUUID()}`;
  const group = `raw-group-${randomUUID()}`;
  const { runId } = await backend.run({ task: 'example', userId: user, groupId: group, input: { name: 'Ada' } });
  const ume = checkRunEvents(events.events, runId, [user, group]);
  expect(
    ume.filter((e) => e.event_type !== 'audit_record').map((e) => `${e.event_type}:${'stage' in e ? e.stage : ''}`),
  ).toEqual([
    ...['intake', 'research', 'plan', 'run', 'verify'].flatMap((s) => [`task_spec:${s}`, `stage_update:${s}`]),
    'task_run:',
  ]);
  expect(ume.at(-1)).toMatchObject({
    event_type: 'task_run',
    state: 'completed',
    event_id: `example-${runId}#10:task_run`,
  });
  expect(ume[0]?.event_id).toBe(`example-${runId}#0:audit_record`);
  await backend.close();
});

it('a failed run ends with a task_run event saying it failed and why; a precheck that says no, precheck_failed', async () => {
  const events = new MemoryTransport();
  const registry = createDefaultRegistry()
    .register('breaks', {
      options: { retry: { maximumAttempts: 1 } },
      run: () => Promise.reject(new Error('disk full')),
    })
    .register('not-today', { precheck: () => 'closed on Sundays', run: () => 'never' });
  const backend = new BaseBackend({
    registry,
    state: new TaskStateStore(join(mkdtempSync(join(tmpdir(), 'cascadence-ume-')), 'state.json')),
    hashSecret: 'ume',
    events,
  });
  const runId = randomUUID();
  await expect(backend.run({ task: 'breaks', userId: 'u', groupId: 'g', runId })).rejects.toThrow(/disk full/);
  const failed = checkRunEvents(events.events, runId, []).at(-1);
  expect(failed).toMatchObject({ event_type: 'task_run', state: 'failed', event_id: `breaks-${runId}#6:task_run` });
  expect((failed as { reason?: string }).reason).toMatch(/disk full/);
  const second = randomUUID();
  await expect(backend.run({ task: 'not-today', userId: 'u', groupId: 'g', runId: second })).rejects.toThrow();
  expect(checkRunEvents(events.events, second, []).at(-1)).toMatchObject({
    event_type: 'task_run',
    state: 'precheck_failed',
    reason: 'precheck failed: closed on Sundays',
  });
});

it('an admin action in process is published as an audit_record of its own', async () => {
  const { umeEventsOf } = await import('../../../src/events/bus');
  const { validateUme } = await import('../../conformance/events-check');
  const events = new MemoryTransport();
  const backend = new BaseBackend({
    registry: createDefaultRegistry(),
    state: new TaskStateStore(join(mkdtempSync(join(tmpdir(), 'cascadence-ume-')), 'state.json')),
    hashSecret: 'ume',
    events,
  });
  await backend.recordAction({ task: 'example', stage: 'task', action: 'disabled', actor: { userId: 'raw-admin' } });
  const ume = events.events.flatMap(umeEventsOf);
  expect(ume).toHaveLength(1);
  validateUme(ume[0] as unknown as Record<string, unknown>);
  expect(ume[0]).toMatchObject({
    event_type: 'audit_record',
    task: 'example',
    record: { stage: 'task', status: 'disabled' },
  });
  expect(JSON.stringify(ume)).not.toContain('raw-admin');
});

test("event ids: the execution and the digest keep a new attempt's records apart from the old ones", () => {
  const base = { workflowId: 'checked-r1', seq: 8 };
  expect(eventIdOf(base, 'task_spec')).toBe('checked-r1#8:task_spec');
  expect(eventIdOf({ ...base, execution: '0a1b2c3d' }, 'task_spec')).toBe('checked-r1@0a1b2c3d#8:task_spec');
  const retried = eventIdOf({ ...base, execution: '0a1b2c3d', digest: '9f8e7d6c' }, 'task_spec');
  expect(retried).toBe('checked-r1@0a1b2c3d#8.9f8e7d6c:task_spec');
  expect(
    new Set([eventIdOf(base, 'task_spec'), eventIdOf({ ...base, execution: 'ffffffff' }, 'task_spec'), retried]).size,
  ).toBe(3);
});
