/**
 * `task export-n8n` of the example set (the built-in tasks and examples/tasks) against a real
 * `task api` on the suite's Temporal dev server, with a worker in this process: the written file
 * passes n8n's workflow model, holds no token and no raw id, and each of its HTTP Request nodes,
 * sent the way n8n sends it (its URL, its header expressions evaluated by n8n's engine, the
 * Header Auth credential's header), starts a run that the worker completes; with --wait each
 * request answers with the run's result.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Workflow } from 'n8n-workflow';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { N8N_NODE_TYPES, type N8nNode, type N8nWorkflow } from '../../src/services/n8n-export';
import { startApi, type ApiProcess } from '../helpers/api';
import { runCli } from '../helpers/cli';
import { checkWithN8nModel, evaluateN8n } from '../helpers/n8n-model';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const EXAMPLES = resolve(__dirname, '..', '..', 'examples', 'tasks', 'tasks.js');
const TOKEN = `token-${randomUUID()}`;
const USER = `alice-${randomUUID()}`;
const GROUP = 'eng';
/** The n8n Variables the user sets, and the Header Auth credential they create. */
const VARS = { CASCADENCE_USER_ID: USER, CASCADENCE_GROUP_ID: GROUP };
const CREDENTIAL = { name: 'Authorization', value: `Bearer ${TOKEN}` };

const tmp = mkdtempSync(join(tmpdir(), 'cascadence-n8n-'));
const queue = uniqueQueue('n8n');
const env = {
  HOME: tmp,
  TEMPORAL_ADDRESS: serverAddress(),
  CASCADENCE_TASK_QUEUE: queue,
  CASCADENCE_SCHEDULER: 'temporal',
  CASCADENCE_TASK_MODULES: EXAMPLES,
  CASCADENCE_HASH_SECRET: 'n8n-test-secret',
  CASCADENCE_API_TOKEN: TOKEN,
  CASCADENCE_TASKS_PATH: join(tmp, 'tasks.yml'),
};

let conns: TestConnections;
let stopWorker: () => void;
let workerDone: Promise<unknown>;
let api: ApiProcess;

/** A request to the API as a test client (not through the export). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each caller reads its own shape
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      'x-user-id': USER,
      'x-group-id': GROUP,
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

/** The request n8n's HTTP Request node 4.2 sends for `node`, its parameter expressions evaluated by n8n. */
function requestOf(model: Workflow, node: N8nNode): { url: string; init: RequestInit } {
  const p = node.parameters as {
    method: string;
    url: string;
    authentication: string;
    genericAuthType: string;
    sendHeaders?: boolean;
    headerParameters?: { parameters: { name: string; value: string }[] };
    sendBody?: boolean;
    jsonBody?: string;
  };
  const value = (v: string) => String(evaluateN8n(model, node.name, v, VARS));
  const headers: Record<string, string> = {};
  for (const h of p.sendHeaders ? (p.headerParameters?.parameters ?? []) : []) headers[value(h.name)] = value(h.value);
  // Generic credential type "Header Auth": n8n adds the credential's one header to the request.
  expect([p.authentication, p.genericAuthType]).toEqual(['genericCredentialType', 'httpHeaderAuth']);
  expect(node.credentials?.httpHeaderAuth).toBeDefined();
  headers[CREDENTIAL.name] = CREDENTIAL.value;
  let body: string | undefined;
  if (p.sendBody) {
    headers['content-type'] = 'application/json';
    body = value(p.jsonBody ?? '');
  }
  return { url: value(p.url), init: { method: p.method, headers, ...(body === undefined ? {} : { body }) } };
}

async function exportTo(file: string, ...flags: string[]) {
  const res = await runCli(['export-n8n', file, '--api-url', api.url, '--json', ...flags], env);
  expect(res).toMatchObject({ code: 0, stderr: '' });
  const text = readFileSync(file, 'utf8');
  return { summary: JSON.parse(res.stdout), text, workflow: JSON.parse(text) as N8nWorkflow };
}

/** Polls the run's status until it is no longer pending or running. */
async function finalState(runId: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status, body } = await call('GET', `/runs/${runId}`);
    if (status === 200 && !['pending', 'running'].includes(body.state)) return body.state as string;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${body.state}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  conns = await connect();
  const registry = loadTaskModules(createDefaultRegistry(), [EXAMPLES]);
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const stop = new Promise<void>((r) => (stopWorker = r));
  workerDone = withWorker(conns, registry, queue, async () => {
    ready();
    await stop;
  });
  await Promise.race([isReady, workerDone]);
  api = await startApi(['--rate-limit', '0'], env);
});

afterAll(async () => {
  const code = await api?.stop();
  for await (const wf of conns.client.workflow.list({
    query: `TaskQueue = "${queue}" AND ExecutionStatus = "Running"`,
  })) {
    await conns.client.workflow.getHandle(wf.workflowId).terminate('n8n export test cleanup');
  }
  stopWorker?.();
  await workerDone;
  await conns.close();
  expect(code).toBe(0);
});

it('exports the example set as a workflow n8n’s model accepts, with no start node, no token and no raw id', async () => {
  // Schedules are namespace-wide (`task schedules` lists them all): this one lives only as long as this test needs it.
  const scheduled = await call('POST', '/tasks/report/schedule', { cron: '0 3 1 1 *', timezone: 'Europe/Berlin' });
  expect(scheduled.status).toBe(200);
  let first: Awaited<ReturnType<typeof exportTo>>;
  let again: Awaited<ReturnType<typeof exportTo>>;
  try {
    first = await exportTo(join(tmp, 'out', 'workflow.json'));
    again = await exportTo(join(tmp, 'again.json'));
  } finally {
    expect((await call('DELETE', '/tasks/report/schedule')).status).toBe(200);
  }
  const { summary, text, workflow } = first;
  expect(summary).toMatchObject({
    file: join(tmp, 'out', 'workflow.json'),
    id: workflow.id,
    nodes: workflow.nodes.length,
    tasks: ['example', 'fetch-source', 'report'],
    warnings: [],
  });
  expect(summary.schedules).toContain('report');
  expect(checkWithN8nModel(workflow).problems).toEqual([]);
  expect(workflow.nodes.some((n) => n.type === 'n8n-nodes-base.start')).toBe(false);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(USER);
  expect(workflow.nodes.find((n) => n.name === 'Schedule report')?.parameters).toEqual({
    rule: { interval: [{ field: 'cronExpression', expression: '0 3 1 1 *' }] },
  });
  // Exported again: the same file, so a re-import updates the same workflow.
  expect(again.text).toBe(text);
});

it('has HTTP nodes whose route and headers are the API’s own, and each starts a run the worker finishes', async () => {
  const { workflow } = await exportTo(join(tmp, 'start.json'));
  // The route and the required headers, as the API's OpenAPI document states them.
  const openapi = await call('GET', '/openapi.json');
  const route = openapi.body.paths['/tasks/{name}/run'].post;
  const required = (route.parameters as { in: string; name: string; required?: boolean }[])
    .filter((p) => p.in === 'header' && p.required)
    .map((p) => p.name);
  expect(required.sort()).toEqual(['x-group-id', 'x-user-id']);

  const model = checkWithN8nModel(workflow).workflow;
  const http = workflow.nodes.filter((n) => n.type === N8N_NODE_TYPES.httpRequest.type);
  expect(http.map((n) => n.name)).toEqual(['Run example', 'Run fetch-source', 'Run report']);
  const started: Record<string, string> = {};
  for (const node of http) {
    const { url, init } = requestOf(model, node);
    expect(new URL(url).pathname).toBe(`/tasks/${node.name.slice('Run '.length)}/run`);
    const res = await fetch(url, init);
    const body = (await res.json()) as { run_id: string };
    expect({ node: node.name, status: res.status }).toEqual({ node: node.name, status: 202 });
    started[node.name] = body.run_id;
  }
  expect(await finalState(started['Run example'] as string)).toBe('completed');
  expect(await finalState(started['Run report'] as string)).toBe('completed');
  // fetch-source is report's subtask: run alone it has no source, and fails in its task, not at the API.
  expect(await finalState(started['Run fetch-source'] as string)).toBe('failed');
});

it('with --wait, each request answers 200 with the run’s result', async () => {
  const { workflow } = await exportTo(join(tmp, 'wait.json'), '--wait');
  const model = checkWithN8nModel(workflow).workflow;
  const results: Record<string, unknown> = {};
  for (const name of ['Run example', 'Run report']) {
    const { url, init } = requestOf(model, workflow.nodes.find((n) => n.name === name) as N8nNode);
    expect(new URL(url).search).toBe('');
    const res = await fetch(url, init);
    const body = (await res.json()) as { run_id: string; result: unknown };
    expect({ name, status: res.status, runId: typeof body.run_id }).toEqual({ name, status: 200, runId: 'string' });
    results[name] = body.result;
  }
  expect(results['Run report']).toMatchObject({ total: expect.any(Number), ok: true });
});

it('refuses a bad API URL with a usage error (exit 2) and writes nothing', async () => {
  const file = join(tmp, 'bad.json');
  const res = await runCli(['export-n8n', file, '--api-url', 'ftp://example'], env);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/^error: the API URL must be http or https/);
  expect(() => readFileSync(file)).toThrow();
});
