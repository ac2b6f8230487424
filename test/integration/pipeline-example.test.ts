/**
 * The example pipeline on the real server: a deterministic workflow calling one activity per
 * stage, findable by search attributes, with hashed ids only.
 */
import { auditEventsOf } from '../../src/events/bus';
import { randomUUID } from 'node:crypto';
import { TemporalBackend } from '../../src/backends/temporal';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { hashId } from '../../src/events/hash';
import { checkRunEvents } from '../conformance/events-check';
import { historyText } from '../helpers/history-text';
import { FIVE_STAGE_AUDIT } from '../helpers/tasks';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

let conns: TestConnections;
beforeAll(async () => {
  conns = await connect();
});
afterAll(async () => {
  await conns.close();
});

it('runs intake → research → plan → run → verify as activities and never records the raw ids', async () => {
  const registry = createDefaultRegistry();
  const taskQueue = uniqueQueue('example');
  const backend = await TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue,
    hashSecret: 'test-secret',
    registry,
  });
  const rawUser = `user-${randomUUID()}`;
  const rawGroup = `group-${randomUUID()}`;
  try {
    const outcome = await withWorker(conns, registry, taskQueue, () =>
      backend.run({ task: 'example', userId: rawUser, groupId: rawGroup, input: { name: 'Ada' } }),
    );
    expect(outcome.result).toEqual({ greeting: 'Hello, Ada!', verified: true });

    const handle = conns.client.workflow.getHandle(`example-${outcome.runId}`);
    const history = await handle.fetchHistory();
    const activities = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter((n): n is string => Boolean(n));
    expect(activities).toEqual(['intake', 'research', 'plan', 'run', 'verify']);

    const text = historyText(history);
    expect(text).not.toContain(rawUser);
    expect(text).not.toContain(rawGroup);

    const desc = await handle.describe();
    expect(desc.searchAttributes.CascadenceTask).toEqual(['example']);
    expect(desc.searchAttributes.CascadenceGroup).toEqual([hashId(rawGroup, 'test-secret')]);
  } finally {
    await backend.close();
  }
});

it("publishes every audit record on the worker's event bus (workflow sinks), hashed ids only", async () => {
  const { MemoryTransport } = await import('../../src/events/bus');
  const { createWorker } = await import('../../src/worker/create-worker');
  const events = new MemoryTransport();
  const registry = createDefaultRegistry();
  const taskQueue = uniqueQueue('events');
  const worker = await createWorker({ connection: conns.native, taskQueue, registry, events });
  const backend = await TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue,
    hashSecret: '',
    registry,
  });
  const rawUser = `user-${randomUUID()}`;
  try {
    const { runId } = await worker.runUntil(() => backend.run({ task: 'example', userId: rawUser, groupId: 'g' }));
    const records = auditEventsOf(events.events)
      .map((e) => e.record)
      .filter((r) => r.run_id === runId);
    expect(records.map((r) => `${r.stage}:${r.status}`)).toEqual(FIVE_STAGE_AUDIT);
    expect(JSON.stringify(records)).not.toContain(rawUser);
    expect(records[0]?.user_hash).toBe(hashId(rawUser, ''));
    // The same versioned events as in process, ids derived from the workflow id and the record's place.
    const ume = checkRunEvents(events.events, runId, [rawUser]);
    expect(ume[0]?.event_id).toMatch(new RegExp(`^example-${runId}@[0-9a-f]{8}#0\\.[0-9a-f]{8}:audit_record$`));
    expect(ume.filter((e) => e.event_type === 'task_spec')).toHaveLength(5);
  } finally {
    await backend.close();
  }
});
