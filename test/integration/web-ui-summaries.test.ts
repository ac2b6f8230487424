/**
 * The Temporal Web UI tells the story: each run carries a static summary (task and description)
 * and details (hashed user and group, run id, input preview); its current details follow the
 * stage and the paused state; subtask children have their own summaries. Read back through the
 * client, as the Web UI reads them.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { hashId } from '../../src/events/hash';
import { pauseSignal, resumeSignal } from '../../src/workflows/messages';
import { createTestRegistry, gates } from '../helpers/tasks';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';
import { eventually } from '../conformance/pipeline-suite';

let conns: TestConnections;
let env: Awaited<ReturnType<typeof startTestWorker>>;

beforeAll(async () => {
  conns = await connect();
  env = await startTestWorker(conns, createTestRegistry(), { prefix: 'web-ui' });
});
afterAll(async () => {
  await env?.close();
  await conns?.close();
});

/** The run's current details, from the SDK's built-in metadata query (what the Web UI shows). */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return meta.currentDetails ?? '';
}

test('a run shows its task, hashed ids and input, then its stage, paused state and end', async () => {
  const key = randomUUID();
  const rawUser = `user-${randomUUID()}`;
  const handle = await env.backend.startHandle({
    task: 'full',
    input: { key, gateAt: ['plan'] },
    userId: rawUser,
    groupId: 'team-a',
  });
  const described = await handle.describe();
  expect(await described.staticSummary()).toBe('full');
  const details = (await described.staticDetails()) ?? '';
  expect(details).toContain(hashId(rawUser, 'test-secret').slice(0, 12));
  expect(details).toContain(hashId('team-a', 'test-secret').slice(0, 12));
  expect(details).toContain(key);
  expect(details).not.toContain(rawUser);
  expect(details).not.toContain('team-a');

  await gates.reached(`${key}.plan`);
  await eventually(async () => (await currentDetails(handle)) === '**stage** plan', 'the plan stage to show');
  await handle.signal(pauseSignal);
  await eventually(async () => (await currentDetails(handle)).includes('**paused**'), 'the paused state to show');
  await handle.signal(resumeSignal);
  gates.open(`${key}.plan`);
  await handle.result();
  expect(await currentDetails(handle)).toBe('**state** completed');
});

test('a run described by its task shows the description; subtasks have their own summaries', async () => {
  const handle = await env.backend.startHandle({ task: 'example', userId: 'u', groupId: 'g' });
  expect(await (await handle.describe()).staticSummary()).toMatch(/^example: \S/);
  await handle.result();

  const parent = await env.backend.startHandle({
    task: 'sequential',
    input: { key: randomUUID() },
    userId: 'u',
    groupId: 'g',
  });
  await parent.result();
  const { workflowId } = await parent.describe();
  const children: string[] = [];
  for await (const wf of conns.client.workflow.list({ query: `WorkflowId STARTS_WITH "${workflowId}/"` })) {
    children.push((await (await conns.client.workflow.getHandle(wf.workflowId).describe()).staticSummary()) ?? '');
  }
  expect(children.length).toBeGreaterThan(0);
  for (const summary of children) expect(summary).toMatch(/^subtask \d+ of sequential · \S+/);
  expect(await currentDetails(parent)).toContain('**subtasks**');
});
