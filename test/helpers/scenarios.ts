/**
 * Scenarios whose real runs are saved as replay fixtures by scripts/record-fixtures.ts. They
 * use the test tasks (test/helpers/tasks.ts) with an in-process worker, so gates can hold a
 * stage while the scenario pauses the run or attaches context.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { dagWorkflowId, eventWorkflowId, pipelineWorkflowId } from '../../src/core/ids';
import type { DagDefinition, DagNode, PipelineRequest } from '../../src/core';
import { hashId } from '../../src/events/hash';
import { attachContextUpdate, pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import { pipelineWorkflow } from '../../src/workflows/pipeline';
import { dagWorkflow } from '../../src/workflows/dag';
import { TemporalCatalogue } from '../../src/backends/temporal/catalogue';
import { eventWorkflow, hashPayload } from '../../src/services/dispatch';
import type { EventServices } from './event-services';
import { gates } from './tasks';

export { createTestRegistry } from './tasks';

/** A pipeline request with hashed ids. */
export function request(task: string, input?: unknown): PipelineRequest {
  return {
    task,
    runId: randomUUID(),
    userHash: hashId('fixture-user', 'fixture-secret'),
    groupHash: hashId('fixture-group', 'fixture-secret'),
    ...(input === undefined ? {} : { input }),
  };
}

export interface Scenario {
  name: string;
  /** Runs the scenario to its end and returns the workflow id whose history is the fixture. */
  run(client: Client, taskQueue: string): Promise<string>;
}

async function start(client: Client, taskQueue: string, req: PipelineRequest): Promise<WorkflowHandle> {
  const workflowId = pipelineWorkflowId(req.task, req.runId);
  return client.workflow.start(pipelineWorkflow, { taskQueue, workflowId, args: [req] });
}

async function finish(handle: WorkflowHandle): Promise<string> {
  await handle.result().catch(() => undefined);
  return handle.workflowId;
}

const simple =
  (task: string, input?: unknown) =>
  async (client: Client, q: string): Promise<string> =>
    finish(await start(client, q, request(task, input)));

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

/** Runs a DAG to its end (success or failure) and returns its workflow id. */
function dagScenario(definition: DagDefinition) {
  return async (client: Client, taskQueue: string): Promise<string> => {
    const req = request('dag');
    const workflowId = dagWorkflowId(definition.name, req.runId);
    const handle = await client.workflow.start(dagWorkflow, {
      taskQueue,
      workflowId,
      args: [{ definition, runId: req.runId, userHash: req.userHash, groupHash: req.groupHash }],
    });
    return finish(handle);
  };
}

const node = (id: string, extra: Partial<DagNode> & { input?: Record<string, unknown> } = {}): DagNode => {
  const { input, ...rest } = extra;
  return { id, task: 'node', input: { key: `fixture-dag-${id}`, node: id, ...input }, ...rest };
};

/** Runs `example` while the catalogue of the queue has it disabled: the run is skipped at its start. */
async function disabledRun(client: Client, taskQueue: string): Promise<string> {
  const catalogue = new TemporalCatalogue(client, taskQueue);
  await catalogue.setFlags({ task: 'example', disabled: true });
  try {
    return await finish(await start(client, taskQueue, request('example', { name: 'Ada' })));
  } finally {
    await catalogue.setFlags({ task: 'example', disabled: false });
  }
}

export const SCENARIOS: Scenario[] = [
  { name: 'flags-checked', run: simple('example', { name: 'Ada' }) },
  { name: 'disabled-skipped', run: disabledRun },
  { name: 'example-basic', run: simple('example', { name: 'Ada' }) },
  { name: 'full-stages', run: simple('full', { key: 'fixture-full' }) },
  { name: 'precheck-failure', run: simple('precheck-reason', { key: 'fixture-precheck' }) },
  { name: 'stage-error-with-retries', run: simple('always-fails', { key: 'fixture-fails' }) },
  { name: 'retry-then-success', run: simple('flaky', { key: `fixture-flaky-${randomUUID()}`, failTimes: 1 }) },
  { name: 'fallback', run: simple('with-fallback', { key: 'fixture-fallback' }) },
  { name: 'nested-sequence', run: simple('nested', { key: 'fixture-nested' }) },
  { name: 'parallel', run: simple('parallel', { key: 'fixture-parallel' }) },
  {
    name: 'dag-success',
    run: dagScenario({
      name: 'diamond',
      nodes: [
        node('a'),
        node('b', { dependsOn: ['a'] }),
        node('c', { dependsOn: ['a'], lightweight: true }),
        node('d', { dependsOn: ['b', 'c'] }),
      ],
    }),
  },
  {
    name: 'dag-fail-fast',
    run: dagScenario({
      name: 'fail-fast',
      failurePolicy: 'fail-fast',
      nodes: [
        node('boom', { input: { fail: true, ms: 100 } }),
        node('long', { input: { ms: 5_000 } }),
        node('later', { dependsOn: ['boom'] }),
      ],
    }),
  },
  {
    name: 'dag-continue',
    run: dagScenario({
      name: 'continue',
      failurePolicy: 'continue',
      nodes: [node('boom', { input: { fail: true } }), node('after', { dependsOn: ['boom'] }), node('other')],
    }),
  },
  {
    name: 'dag-skipped-branch',
    run: dagScenario({
      name: 'branching',
      nodes: [
        node('check', { input: { n: 3 } }),
        node('big', { dependsOn: ['check'], condition: 'check.rows > 10' }),
        node('small', { dependsOn: ['check'], condition: 'check.rows <= 10' }),
        node('report', { dependsOn: ['big', 'small'] }),
      ],
    }),
  },
  {
    name: 'paused-and-resumed',
    async run(client, q) {
      const key = `fixture-pause-${randomUUID()}`;
      const handle = await start(client, q, request('full', { key, gateAt: ['intake'] }));
      await gates.reached(`${key}.intake`);
      await handle.signal(pauseSignal);
      gates.open(`${key}.intake`);
      await until(async () => (await handle.query(statusQuery)).state === 'paused');
      await handle.signal(resumeSignal);
      return finish(handle);
    },
  },
  {
    name: 'context-attached',
    async run(client, q) {
      const key = `fixture-context-${randomUUID()}`;
      const handle = await start(client, q, request('full', { key, gateAt: ['research'] }));
      await gates.reached(`${key}.research`);
      await handle.executeUpdate(attachContextUpdate, { args: [{ note: 'use staging', url: 'https://example.com' }] });
      gates.open(`${key}.research`);
      return finish(handle);
    },
  },
  // Local-activity stages (stageMode 'local'): markers instead of activities; the mode comes from describeTask's marker.
  { name: 'local-stages', run: simple('local-full', { key: 'fixture-local' }) },
  {
    name: 'local-stage-retries',
    run: simple('local-flaky', { key: `fixture-local-flaky-${randomUUID()}`, failTimes: 1 }),
  },
  { name: 'local-and-activity-stages', run: simple('local-mixed', { key: 'fixture-local-mixed' }) },
  { name: 'local-stage-failure', run: simple('local-always-fails', { key: 'fixture-local-fails' }) },
  {
    // A local stage holds its workflow task open: the pause reaches the run at the worker's
    // workflow-task heartbeat (~8 s), while intake still runs; the run stops at the next boundary.
    name: 'local-stages-paused',
    async run(client, q) {
      const key = `fixture-local-pause-${randomUUID()}`;
      const handle = await start(client, q, request('local-full', { key, gateAt: ['intake'] }));
      await gates.reached(`${key}.intake`);
      await handle.signal(pauseSignal);
      await until(async () => (await handle.query(statusQuery)).paused);
      gates.open(`${key}.intake`);
      await until(async () => (await handle.query(statusQuery)).state === 'paused');
      await handle.signal(resumeSignal);
      return finish(handle);
    },
  },
  {
    // The pause arrives while intake runs and the stages end the run in the same workflow task:
    // the server rejects that task (a signal is waiting), and the retried task sees the pause first.
    name: 'local-stages-signal-in-last-task',
    async run(client, q) {
      const key = `fixture-local-late-${randomUUID()}`;
      const handle = await start(client, q, request('local-full', { key, gateAt: ['intake'] }));
      await gates.reached(`${key}.intake`);
      await handle.signal(pauseSignal);
      gates.open(`${key}.intake`);
      await until(async () => (await handle.query(statusQuery)).state === 'paused');
      await handle.signal(resumeSignal);
      return finish(handle);
    },
  },
];

/** Starts an event-driven workflow with hashed ids (as `dispatch` does) and waits for it to end. */
function eventScenario(event: string, payload: unknown, prepare?: (services: EventServices) => void) {
  return (services: EventServices) =>
    async (client: Client, taskQueue: string): Promise<string> => {
      services.reset();
      prepare?.(services);
      const entry = eventWorkflow(event);
      const runId = randomUUID();
      const workflowId = eventWorkflowId(entry.task, runId);
      const handle = await client.workflow.start(entry.workflow, {
        taskQueue,
        workflowId,
        args: [
          {
            event,
            runId,
            userHash: hashId('fixture-user', 'fixture-secret'),
            groupHash: hashId('fixture-group', 'fixture-secret'),
            payload: hashPayload(payload, 'fixture-secret'),
          },
        ],
      });
      return finish(handle);
    };
}

/**
 * Scenarios of the event-driven workflows, run against the stand-ins for UME, the finance engine
 * and the research provider (test/helpers/event-services.ts) that the worker is configured with.
 */
export const EVENT_SCENARIOS: Array<{ name: string; run: (services: EventServices) => Scenario['run'] }> = [
  {
    name: 'calendar-event-created',
    run: eventScenario('calendar.event.create_request', {
      title: 'Team Sync',
      start_time: '2024-04-01T09:00:00Z',
      location: 'Office',
      invitees: ['bob'],
      layers: ['work'],
    }),
  },
  {
    name: 'calendar-permission-denied',
    run: eventScenario(
      'calendar.event.create_request',
      { title: 'Team Sync', start_time: '2024-04-01T09:00:00Z', invitees: ['carol'] },
      (s) => s.behaviour.deny.add(hashId('carol', 'fixture-secret')),
    ),
  },
  {
    name: 'finance-decision-explained',
    run: eventScenario('finance.decision.request', { budget: 500, max_options: 2, explain: true }, (s) => {
      s.behaviour.nodes = [{ id: 'acc-1', type: 'FinancialAccount', balance: 900 }];
      s.behaviour.engine = { id: 'analysis-1', cost_of_deviation: 4, actions: [{ id: 'pay-card' }] };
    }),
  },
  {
    name: 'finance-engine-failing',
    run: eventScenario('finance.decision.request', { budget: 100, max_options: 1 }, (s) =>
      s.behaviour.failing.add('POST /v1/simulations/debt'),
    ),
  },
  { name: 'finance-invalid-budget', run: eventScenario('finance.decision.request', { budget: -1, max_options: 1 }) },
];
