/**
 * Local-activity stages (`stageMode: 'local'`) and eager workflow start on the real server: the
 * history holds a local-activity marker per stage and no scheduled activity for those stages,
 * the whole pipeline takes one or two workflow tasks, and the audit trail, status and result
 * are those of the same task with regular stages. A client sharing the worker's connection
 * starts runs eagerly; one with its own connection does not.
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { TemporalBackend } from '../../src/backends/temporal';
import type { AuditRecord } from '../../src/core';
import { auditQuery, statusQuery } from '../../src/workflows/messages';
import { pipelineWorkflowId } from '../../src/core/ids';
import { FIVE_STAGE_AUDIT, createTestRegistry, entries } from '../helpers/tasks';
import { connect, serverAddress, uniqueQueue, type TestConnections } from '../helpers/temporal';
import type { Worker } from '@temporalio/worker';
import { createWorker } from '../../src/worker/create-worker';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let conns: TestConnections;
let worker: Worker;
let running: Promise<void>;
/** Shares the worker's connection: starts runs eagerly. */
let eager: TemporalBackend;
/** Its own connection, as a CLI on another machine: starts runs the usual way. */
let remote: TemporalBackend;
const registry = createTestRegistry();

beforeAll(async () => {
  conns = await connect();
  const taskQueue = uniqueQueue('local-stages');
  worker = await createWorker({ connection: conns.native, taskQueue, registry, shutdownGraceTime: '1s' });
  running = worker.run();
  const options = { address: serverAddress(), namespace: 'default', taskQueue, hashSecret: 'local-secret', registry };
  eager = await TemporalBackend.connect({ ...options, workerConnection: conns.native });
  remote = await TemporalBackend.connect(options);
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await eager?.close();
  await remote?.close();
  await conns?.close();
});

/** A run's history events, workflow id from its task and run id. */
async function historyOf(task: string, runId: string): Promise<HistoryEvent[]> {
  return (await conns.client.workflow.getHandle(pipelineWorkflowId(task, runId)).fetchHistory()).events ?? [];
}

const scheduledActivities = (events: HistoryEvent[]): string[] =>
  events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '').filter(Boolean);

/** The activity type of every local-activity marker, in history order. */
const localActivityMarkers = (events: HistoryEvent[]): string[] =>
  events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0];
      return (defaultPayloadConverter.fromPayload(data as never) as { activity_type: string }).activity_type;
    });

const workflowTasks = (events: HistoryEvent[]): number =>
  events.filter((e) => e.workflowTaskCompletedEventAttributes).length;

/** Audit records without what differs between any two runs (ids, times, durations). */
const comparable = (audit: AuditRecord[]) =>
  audit.map((r) => ({ stage: r.stage, status: r.status, reason: r.reason, output: r.output }));

async function runBoth(local: string, regular: string, input: Record<string, unknown>) {
  const ids = { userId: 'local-user', groupId: 'local-group' };
  const [l, r] = [await eager.run({ task: local, ...ids, input }), await eager.run({ task: regular, ...ids, input })];
  const query = async (task: string, runId: string) => {
    const handle = conns.client.workflow.getHandle(pipelineWorkflowId(task, runId));
    return { audit: await handle.query(auditQuery), status: await handle.query(statusQuery) };
  };
  return { local: { ...l, ...(await query(local, l.runId)) }, regular: { ...r, ...(await query(regular, r.runId)) } };
}

it('runs every stage as a local activity: markers instead of scheduled activities, one or two workflow tasks, the same audit, status and result', async () => {
  const input = { key: `local-${randomUUID()}` };
  const { local, regular } = await runBoth('local-full', 'full', input);

  expect(local.result).toEqual(regular.result);
  expect(local.audit.map((r) => `${r.stage}:${r.status}`)).toEqual(FIVE_STAGE_AUDIT);
  expect(comparable(local.audit)).toEqual(comparable(regular.audit));
  expect(local.status.state).toBe('completed');
  expect(Object.entries(local.status.steps).map(([s, st]) => [s, st.status])).toEqual(
    Object.entries(regular.status.steps).map(([s, st]) => [s, st.status]),
  );
  // Every stage ran once, in order.
  expect(
    entries(input.key)
      .filter((e) => e.event === 'start' && e.task === 'full')
      .map((e) => e.stage),
  ).toEqual(['intake', 'research', 'plan', 'run', 'verify', 'intake', 'research', 'plan', 'run', 'verify']);

  const localEvents = await historyOf('local-full', local.runId);
  expect(scheduledActivities(localEvents)).toEqual([]);
  expect(localActivityMarkers(localEvents)).toEqual(['intake', 'research', 'plan', 'run', 'verify']);
  expect(workflowTasks(localEvents)).toBeLessThanOrEqual(2);

  const regularEvents = await historyOf('full', regular.runId);
  expect(scheduledActivities(regularEvents)).toEqual(['intake', 'research', 'plan', 'run', 'verify']);
  expect(localActivityMarkers(regularEvents)).toEqual([]);
  expect(workflowTasks(regularEvents)).toBe(6);
});

it('keeps a stage the task names in stageModes an activity, and retries a local stage from the worker', async () => {
  const mixed = await eager.run({ task: 'local-mixed', userId: 'u', groupId: 'g', input: { key: randomUUID() } });
  const mixedEvents = await historyOf('local-mixed', mixed.runId);
  expect(scheduledActivities(mixedEvents)).toEqual(['run']);
  expect(localActivityMarkers(mixedEvents)).toEqual(['intake', 'research', 'plan', 'verify']);
  const run = mixedEvents.find((e) => e.activityTaskScheduledEventAttributes);
  expect(Number(run?.activityTaskScheduledEventAttributes?.heartbeatTimeout?.seconds)).toBe(10);

  const key = `local-flaky-${randomUUID()}`;
  const flaky = await eager.run({ task: 'local-flaky', userId: 'u', groupId: 'g', input: { key, failTimes: 2 } });
  expect(flaky.result).toEqual({ attempts: 3 });
  expect(
    entries(key)
      .filter((e) => e.event === 'start')
      .map((e) => e.attempt),
  ).toEqual([1, 2, 3]);
  const flakyEvents = await historyOf('local-flaky', flaky.runId);
  // The retries happened in the worker: one marker (the final attempt), no activity, no backoff timer.
  expect(localActivityMarkers(flakyEvents)).toEqual(['run']);
  expect(scheduledActivities(flakyEvents)).toEqual([]);
  expect(flakyEvents.filter((e) => e.timerStartedEventAttributes)).toEqual([]);
});

it('starts runs eagerly when the client shares the worker’s connection, and the usual way otherwise', async () => {
  const accepted = async (backend: TemporalBackend, task: string): Promise<boolean | null | undefined> => {
    const { runId } = await backend.run({ task, userId: 'u', groupId: 'g', input: { key: randomUUID() } });
    return (await historyOf(task, runId))[0]?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted;
  };
  expect(await accepted(eager, 'local-full')).toBe(true);
  expect(await accepted(eager, 'full')).toBe(true);
  expect(await accepted(remote, 'local-full')).toBeFalsy();
});
