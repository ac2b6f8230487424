/**
 * The event-driven workflows end to end on the dev server: `dispatch` (and `task dispatch`)
 * starts CalendarEventCreation and FinancialDecisionSupport on a real worker whose activities call
 * local HTTP servers standing in for UME, the finance engine and the research provider. Success
 * paths, and the failure paths (permission denied, persistence failing, engine down, invalid
 * budget), each with its audit trail and the state it reached.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { isCascadenceError, type CascadenceError } from '../../src/core/errors';
import type { AuditRecord } from '../../src/core/pipeline';
import { eventScheduleId, eventWorkflowId } from '../../src/core/ids';
import { MemoryTransport, umeEventsOf } from '../../src/events/bus';
import { hashId } from '../../src/events/hash';
import type { WorkflowEventEvent } from '../../src/events/ume';
import { dispatch, type DispatchOptions } from '../../src/services/dispatch';
import { createWorker } from '../../src/worker/create-worker';
import { auditQuery, statusQuery } from '../../src/workflows/messages';
import { validateUme } from '../conformance/events-check';
import { eventually } from '../conformance/pipeline-suite';
import { runCli } from '../helpers/cli';
import { startEventServices, type EventServices } from '../helpers/event-services';
import { connect, serverAddress, uniqueQueue, type TestConnections } from '../helpers/temporal';

const SECRET = 'event-driven-secret';
const h = (id: string): string => hashId(id, SECRET);

let conns: TestConnections;
let services: EventServices;
let events: MemoryTransport;
let taskQueue: string;
/** A worker whose finance engine is down (nothing listens at its URL). */
let downQueue: string;
const workers: Worker[] = [];
const running: Promise<void>[] = [];

beforeAll(async () => {
  conns = await connect();
  services = await startEventServices();
  events = new MemoryTransport();
  taskQueue = uniqueQueue('events');
  downQueue = uniqueQueue('events-down');
  for (const [queue, engine] of [
    [taskQueue, services.engineUrl],
    [downQueue, services.downUrl],
  ] as const) {
    const worker = await createWorker({
      connection: conns.native,
      taskQueue: queue,
      events,
      shutdownGraceTime: '1s',
      eventDriven: {
        client: conns.client,
        umeBaseUrl: services.umeUrl,
        financeEngineUrl: engine,
        researchUrl: services.researchUrl,
      },
    });
    workers.push(worker);
    running.push(worker.run());
  }
});

afterAll(async () => {
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await services?.close();
  await conns?.close();
});

beforeEach(() => services.reset());

/** Dispatches for alice in engineering on the test worker, with a run id known in advance. */
function go(event: string, payload: unknown, options: Partial<DispatchOptions> = {}) {
  const runId = options.runId ?? randomUUID();
  const outcome = dispatch(event, payload, {
    userId: 'alice',
    groupId: 'engineering',
    client: conns.client,
    taskQueue,
    hashSecret: SECRET,
    runId,
    ...options,
  });
  return { runId, outcome };
}

/** The CascadenceError `p` rejects with. */
async function rejection(p: Promise<unknown>): Promise<CascadenceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isCascadenceError(err)) throw new Error(`expected a CascadenceError, got ${String(err)}`);
  return err;
}

/** The run's audit trail, as `stage status` lines. */
async function trail(task: string, runId: string): Promise<string[]> {
  const records = await conns.client.workflow.getHandle(eventWorkflowId(task, runId)).query(auditQuery);
  return records.map((r) => `${r.stage} ${r.status}`);
}

async function records(task: string, runId: string): Promise<AuditRecord[]> {
  return conns.client.workflow.getHandle(eventWorkflowId(task, runId)).query(auditQuery);
}

/** The follow-up events run `runId` published. */
function published(runId: string): WorkflowEventEvent[] {
  return events.events
    .flatMap(umeEventsOf)
    .filter((e): e is WorkflowEventEvent => e.event_type === 'workflow_event' && e.run_id === runId);
}

/** Every versioned event of the run is valid against its schema and carries no raw id. */
async function checkEvents(runId: string): Promise<void> {
  const mine = await eventually(() => {
    const list = events.events.flatMap(umeEventsOf).filter((e) => e.run_id === runId);
    return list.some(
      (e) => e.event_type === 'audit_record' && e.record.stage === 'pipeline' && e.record.status !== 'started',
    )
      ? list
      : undefined;
  }, `the events of run ${runId}`);
  for (const e of mine) validateUme(e as unknown as Record<string, unknown>);
  const text = JSON.stringify(mine);
  for (const raw of ['alice', 'engineering', 'bob', 'carol']) expect(text).not.toContain(`"${raw}"`);
}

const MEETING = {
  title: 'Team Sync',
  start_time: '2024-04-01T09:00:00Z',
  location: 'Office',
  invitees: ['bob', 'carol'],
  layers: ['work'],
  group_id: 'engineering',
};

describe('CalendarEventCreation (calendar.event.create_request)', () => {
  it('checks permissions, stores the event, its edges and a "Leave by" event, and publishes calendar.event.created', async () => {
    const { runId, outcome } = go('calendar.event.create_request', MEETING);
    const { result, task, workflowId } = await outcome;
    expect(task).toBe('calendar.event.create');
    expect(workflowId).toBe(`calendar.event.create-${runId}`);
    expect(result).toEqual({ event_id: 'evt-1', related_event_id: 'evt-2', note: 'Travel time to Office: 20m' });

    // Permissions: the requester's, then each invitee's, by hash only.
    const checks = services.seen('GET /v1/permissions/calendar:create').map((r) => r.query);
    expect(checks[0]).toEqual({ user_id: h('alice'), group_id: h('engineering') });
    expect(
      checks
        .slice(1)
        .map((q) => q.invitee)
        .sort(),
    ).toEqual([h('bob'), h('carol')].sort());

    const [main, leave] = services.seen('POST /v1/calendar/events');
    expect(main?.body).toMatchObject({
      title: 'Team Sync',
      start_time: '2024-04-01T09:00:00Z',
      invitees: [h('bob'), h('carol')],
      user_id: h('alice'),
      group_id: h('engineering'),
    });
    expect(main?.idempotencyKey).toBe(`${workflowId}:event`);
    expect(leave?.body).toEqual({
      title: 'Leave by Team Sync',
      start_time: '2024-04-01T08:40:00.000Z',
      user_id: h('alice'),
      group_id: h('engineering'),
    });
    expect(services.seen('POST /v1/calendar/edges').map((r) => r.body)).toEqual([
      { src: 'evt-1', dst: h('bob'), type: 'INVITED', user_id: h('alice'), group_id: h('engineering') },
      { src: 'evt-1', dst: h('carol'), type: 'INVITED', user_id: h('alice'), group_id: h('engineering') },
      { src: 'evt-1', dst: 'work', type: 'LAYER', user_id: h('alice'), group_id: h('engineering') },
      { src: 'evt-2', dst: 'evt-1', type: 'RELATES_TO', user_id: h('alice'), group_id: h('engineering') },
    ]);
    expect(services.seen('research')[0]?.body).toMatchObject({
      query: 'travel time to Office',
      task: 'calendar.event.create',
      run_id: runId,
      user_hash: h('alice'),
    });

    expect(await trail('calendar.event.create', runId)).toEqual([
      'pipeline started',
      'validate success',
      'permission success',
      'persistence success',
      'research success',
      'persistence success',
      'publish success',
      'pipeline success',
    ]);
    const [event] = await eventually(
      () => (published(runId).length > 0 ? published(runId) : undefined),
      'calendar.event.created',
    );
    expect(event).toMatchObject({
      name: 'calendar.event.created',
      task: 'calendar.event.create',
      payload: { event_id: 'evt-1', related_event_id: 'evt-2', note: 'Travel time to Office: 20m' },
      event_id: `${workflowId}#6:workflow_event`,
    });
    await checkEvents(runId);

    const status = await conns.client.workflow.getHandle(workflowId).query(statusQuery);
    expect(status).toMatchObject({ task: 'calendar.event.create', runId, state: 'completed' });
  });

  it('fails at the permission step when an invitee may not be invited: nothing is stored', async () => {
    services.behaviour.deny.add(h('carol'));
    const { runId, outcome } = go('calendar.event.create_request', MEETING);
    const err = await rejection(outcome);
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toBe(
      `calendar.event.create failed at permission: user lacks permission to invite ${h('carol')}`,
    );
    expect(err.data).toEqual({ step: 'permission', reached: {} });
    expect(err.hint).toBe(`see \`task audit calendar.event.create --run-id ${runId}\``);
    expect(services.seen('POST /v1/calendar/events')).toEqual([]);
    expect(await trail('calendar.event.create', runId)).toEqual([
      'pipeline started',
      'validate success',
      'permission error',
      'pipeline error',
    ]);
    const last = (await records('calendar.event.create', runId)).at(-1);
    expect(last).toMatchObject({ reason: `permission: user lacks permission to invite ${h('carol')}`, output: '{}' });
    await checkEvents(runId);
  });

  it('fails when the requester lacks calendar:create', async () => {
    services.behaviour.deny.add(h('alice'));
    const err = await rejection(
      go('calendar.event.create_request', { title: 'x', start_time: '2024-04-01T09:00:00Z' }).outcome,
    );
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toBe('calendar.event.create failed at permission: user lacks calendar:create permission');
  });

  it('tolerates a failing research: recorded, retried, and the event is stored without a "Leave by"', async () => {
    services.behaviour.research = { status: 500 };
    const { runId, outcome } = go('calendar.event.create_request', { ...MEETING, invitees: [], layers: [] });
    expect((await outcome).result).toEqual({ event_id: 'evt-1', note: 'No travel details' });
    expect(services.seen('research')).toHaveLength(3);
    const research = (await records('calendar.event.create', runId)).find((r) => r.stage === 'research');
    expect(research).toMatchObject({
      status: 'error',
      reason: 'travel research answered HTTP 500: research is unavailable (tolerated: the run goes on)',
    });
    expect(await trail('calendar.event.create', runId)).toEqual([
      'pipeline started',
      'validate success',
      'permission success',
      'persistence success',
      'research error',
      'publish success',
      'pipeline success',
    ]);
  });

  it('fails with the state reached when an edge cannot be stored', async () => {
    services.behaviour.failing.add('POST /v1/calendar/edges');
    const { runId, outcome } = go('calendar.event.create_request', { ...MEETING, location: undefined });
    const err = await rejection(outcome);
    expect(err.code).toBe('CONNECTION');
    expect(err.message).toBe(
      'calendar.event.create failed at persistence: UME calendar edge INVITED answered HTTP 503: unavailable',
    );
    expect(err.data).toEqual({ step: 'persistence', reached: { permission: 'granted', event_id: 'evt-1', edges: 0 } });
    expect(services.seen('POST /v1/calendar/edges')).toHaveLength(3); // retried, then given up
    expect(await trail('calendar.event.create', runId)).toEqual([
      'pipeline started',
      'validate success',
      'permission success',
      'persistence error',
      'pipeline error',
    ]);
    expect(published(runId)).toEqual([]);
  });

  it('creates each occurrence of a recurrence at its tick, from the schedule it made', async () => {
    const { runId, outcome } = go('calendar.event.create_request', {
      title: 'Standup',
      start_time: '2024-04-01T09:00:00Z',
      recurrence: { cron: '0 9 * * 1' },
    });
    const id = eventScheduleId('calendar.event.create', runId);
    expect((await outcome).result).toEqual({ event_id: 'evt-1', note: 'No travel details', schedule_id: id });
    const schedule = conns.client.schedule.getHandle(id);
    try {
      expect((await schedule.describe()).spec).toMatchObject({ timezone: 'UTC' });
      const before = Date.now();
      await schedule.trigger();
      const started = await eventually(async () => {
        const last = (await schedule.describe()).info.recentActions.at(-1);
        return last && 'workflow' in last.action ? last.action.workflow.workflowId : undefined;
      }, 'the scheduled occurrence');
      expect(await conns.client.workflow.getHandle(started).result()).toEqual({
        event_id: 'evt-2',
        note: 'No travel details',
      });
      const occurrence = services.seen('POST /v1/calendar/events')[1]?.body as { start_time: string; title: string };
      expect(occurrence.title).toBe('Standup');
      expect(Date.parse(occurrence.start_time)).toBeGreaterThanOrEqual(before - 1000);
    } finally {
      await schedule.delete();
    }
  });

  it('refuses a request without a title before any network call', async () => {
    const { runId, outcome } = go('calendar.event.create_request', { start_time: '2024-04-01T09:00:00Z' });
    const err = await rejection(outcome);
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toBe('calendar.event.create failed at validate: missing required field: title');
    expect(services.requests).toEqual([]);
    expect(await trail('calendar.event.create', runId)).toEqual([
      'pipeline started',
      'validate error',
      'pipeline error',
    ]);
  });

  it('refuses a payload of another group', async () => {
    const err = await rejection(go('calendar.event.create_request', { ...MEETING, group_id: 'sales' }).outcome);
    expect(err.message).toBe('calendar.event.create failed at validate: group_id mismatch');
    expect(services.requests).toEqual([]);
  });
});

const ACCOUNTS = [
  { id: 'acc-1', type: 'FinancialAccount', balance: 1200 },
  { id: 'acc-2', type: 'FinancialAccount', balance: 300 },
  { id: 'goal-1', type: 'FinancialGoal', target: 5000 },
  { id: 'past-1', type: 'DecisionAnalysis' },
];
const ENGINE = {
  id: 'analysis-42',
  cost_of_deviation: 87.5,
  actions: [{ id: 'pay-card', cost_of_deviation: 12, title: 'Pay the card first' }],
};

describe('FinancialDecisionSupport (finance.decision.request)', () => {
  it('fetches the nodes, runs the engine, stores the analysis and publishes the result and the explain request', async () => {
    services.behaviour.nodes = ACCOUNTS;
    services.behaviour.engine = ENGINE;
    const { runId, outcome } = go('finance.decision.request', {
      budget: 500,
      max_options: 3,
      explain: true,
      time_horizon: '1y',
    });
    const { result, workflowId } = await outcome;
    const owner = { user_id: h('alice'), group_id: h('engineering') };
    const action = {
      id: 'pay-card',
      type: 'ProposedAction',
      title: 'Pay the card first',
      cost_of_deviation: 12,
      metrics: { cost_of_deviation: 12 },
      ...owner,
    };
    expect(result).toEqual({ analysis: 'analysis-42', summary: { cost_of_deviation: 87.5 }, actions: [action] });

    expect(services.seen('GET /v1/nodes')[0]?.query).toEqual({
      types: 'FinancialAccount,FinancialGoal,DecisionAnalysis',
      time_horizon: '1y',
      ...owner,
    });
    expect(services.seen('engine')[0]?.body).toEqual({
      balance: 1500,
      goals: [ACCOUNTS[2]],
      analyses: [ACCOUNTS[3]],
      budget: 500,
      max_options: 3,
      ...owner,
    });
    const saved = services.seen('POST /v1/nodes')[0];
    expect(saved?.idempotencyKey).toBe(`${workflowId}:analysis`);
    expect(saved?.body).toEqual({
      nodes: [
        {
          id: 'analysis-42',
          type: 'DecisionAnalysis',
          metrics: { cost_of_deviation: 87.5 },
          metadata: { time_horizon: '1y' },
          ...owner,
        },
        action,
      ],
      edges: [
        { src: 'analysis-42', dst: 'pay-card', type: 'CONSIDERS', ...owner },
        { src: 'pay-card', dst: 'acc-1', type: 'OWNED_BY', ...owner },
        { src: 'pay-card', dst: 'acc-2', type: 'OWNED_BY', ...owner },
      ],
    });

    expect(await trail('finance.decision', runId)).toEqual([
      'pipeline started',
      'validate success',
      'research success',
      'engine success',
      'persistence success',
      'publish success',
      'publish success',
      'pipeline success',
    ]);
    const follow = await eventually(
      () => (published(runId).length === 2 ? published(runId) : undefined),
      'both follow-ups',
    );
    expect(follow.map((e) => [e.name, e.payload])).toEqual([
      ['finance.decision.result', { analysis: 'analysis-42', summary: { cost_of_deviation: 87.5 } }],
      ['finance.explain.request', { analysis: 'analysis-42', summary: { cost_of_deviation: 87.5 }, actions: [action] }],
    ]);
    await checkEvents(runId);
  });

  it('refuses an invalid budget before any network call', async () => {
    const { runId, outcome } = go('finance.decision.request', { budget: -5, max_options: '3' });
    const err = await rejection(outcome);
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toBe(
      'finance.decision failed at validate: Invalid budget, max_options: must be non-negative numbers',
    );
    expect(err.data).toEqual({ step: 'validate', reached: {} });
    expect(services.requests).toEqual([]);
    expect(await trail('finance.decision', runId)).toEqual(['pipeline started', 'validate error', 'pipeline error']);
    const [, invalid] = await records('finance.decision', runId);
    expect(invalid).toMatchObject({
      stage: 'validate',
      status: 'error',
      reason: 'Invalid budget, max_options: must be non-negative numbers',
    });
    await checkEvents(runId);
  });

  it('fails at the engine step when the engine is down, with what it had fetched; nothing is stored', async () => {
    services.behaviour.nodes = ACCOUNTS;
    const { runId, outcome } = go(
      'finance.decision.request',
      { budget: 100, max_options: 2 },
      { taskQueue: downQueue },
    );
    const err = await rejection(outcome);
    expect(err.code).toBe('CONNECTION');
    expect(err.message).toMatch(
      /^finance\.decision failed at engine: finance engine: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/,
    );
    expect(err.data).toEqual({
      step: 'engine',
      reached: {
        research: { accounts: 2, goals: 1, analyses: 1 },
        engine_request: { balance: 1500, budget: 100, max_options: 2 },
      },
    });
    expect(services.seen('GET /v1/nodes')).toHaveLength(1);
    expect(services.seen('POST /v1/nodes')).toEqual([]);
    expect(await trail('finance.decision', runId)).toEqual([
      'pipeline started',
      'validate success',
      'research success',
      'engine error',
      'pipeline error',
    ]);
    const engine = (await records('finance.decision', runId)).find((r) => r.stage === 'engine');
    expect(engine?.output).toBe(JSON.stringify(err.data && (err.data as { reached: unknown }).reached));
    expect(published(runId)).toEqual([]);
  });

  it('schedules periodic analyses for a recurrence; each scheduled run analyses again and schedules nothing more', async () => {
    services.behaviour.engine = ENGINE;
    const { runId, outcome } = go('finance.decision.request', {
      budget: 10,
      max_options: 1,
      recurrence: { cron: '0 8 * * *', timezone: 'Europe/Paris' },
    });
    const { result } = await outcome;
    const id = eventScheduleId('finance.decision', runId);
    expect(result).toMatchObject({ analysis: 'analysis-42', schedule_id: id });
    const schedule = conns.client.schedule.getHandle(id);
    try {
      const described = await schedule.describe();
      expect(described.spec).toMatchObject({ timezone: 'Europe/Paris' });
      expect(await trail('finance.decision', runId)).toContain('schedule success');

      await schedule.trigger();
      const started = await eventually(async () => {
        const last = (await schedule.describe()).info.recentActions.at(-1);
        return last && 'workflow' in last.action ? last.action.workflow.workflowId : undefined;
      }, 'the scheduled run');
      expect(started.startsWith(`finance.decision-${runId}-scheduled`)).toBe(true);
      expect(await conns.client.workflow.getHandle(started).result()).toMatchObject({ analysis: 'analysis-42' });
      const scheduledRun = started.slice('finance.decision-'.length);
      expect(await trail('finance.decision', scheduledRun)).toEqual([
        'pipeline started',
        'validate success',
        'research success',
        'engine success',
        'persistence success',
        'publish success',
        'pipeline success',
      ]);
      expect((await records('finance.decision', scheduledRun))[0]?.reason).toBe(
        `finance.decision.request, scheduled by run ${runId}`,
      );
    } finally {
      await schedule.delete();
    }
  });

  it('refuses a recurrence whose cron is invalid before any network call', async () => {
    const err = await rejection(
      go('finance.decision.request', { budget: 1, max_options: 1, recurrence: { cron: 'every day' } }).outcome,
    );
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toContain('finance.decision failed at validate: invalid cron "every day"');
    expect(services.requests).toEqual([]);
  });
});

describe('task dispatch', () => {
  const env = (): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: serverAddress(),
    CASCADENCE_TASK_QUEUE: taskQueue,
    CASCADENCE_HASH_SECRET: SECRET,
    CASCADENCE_SCHEDULER: 'temporal',
  });
  const payloadFile = (payload: unknown): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'dispatch-')), 'payload.json');
    writeFileSync(file, JSON.stringify(payload));
    return file;
  };

  it('an unknown event is a usage error (exit 2) listing the known events', async () => {
    const res = await runCli(['dispatch', 'calendar.event.created', '--user-id', 'a', '--group-id', 'g'], env());
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe(
      'error: no workflow is registered for event "calendar.event.created"; known events: calendar.event.create_request, finance.decision.request',
    );
  });

  it('dispatches from a payload file and prints the run id and result; its audit trail is `task audit`', async () => {
    services.behaviour.engine = ENGINE;
    const file = payloadFile({ budget: 250, max_options: 2 });
    const res = await runCli(
      ['dispatch', 'finance.decision.request', '--payload', file, '--user-id', 'alice', '--group-id', 'engineering'],
      env(),
    );
    expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
    const [runLine, resultLine] = res.stdout.trim().split('\n');
    const runId = runLine?.split('\t')[1] ?? '';
    expect(runLine).toMatch(/^run-id\t[0-9a-f-]{36}$/);
    expect(JSON.parse(resultLine?.replace(/^result\t/, '') ?? '')).toMatchObject({ analysis: 'analysis-42' });
    expect(services.seen('engine')[0]?.body).toMatchObject({ budget: 250, user_id: h('alice') });

    const audit = await runCli(['audit', 'finance.decision', '--run-id', runId], env());
    expect(audit.code).toBe(0);
    expect(audit.stdout.split('\n').map((l) => l.split('\t').slice(2, 4).join(' '))).toEqual(
      expect.arrayContaining(['validate success', 'engine success', 'persistence success', 'pipeline success']),
    );
  });

  it('a refused payload exits 2 and says where the run stopped', async () => {
    const file = payloadFile({ budget: -1, max_options: 2 });
    const res = await runCli(
      ['dispatch', 'finance.decision.request', '--payload', file, '--user-id', 'alice', '--group-id', 'engineering'],
      env(),
    );
    expect(res.code).toBe(2);
    const runId = res.stdout.split('\n')[0]?.split('\t')[1] ?? '';
    expect(res.stdout).toContain('failed-at\tvalidate\nreached\t{}');
    expect(res.stderr.trim()).toBe(
      `error: finance.decision failed at validate: Invalid budget: must be non-negative numbers (see \`task audit finance.decision --run-id ${runId}\`)`,
    );
    expect(services.requests).toEqual([]);
  });
});
