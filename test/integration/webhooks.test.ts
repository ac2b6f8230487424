/**
 * `task webhook` as a real process against the suite's Temporal dev server and a worker with the
 * default registry: a signed GitHub `issues` event becomes a durable run whose result records its
 * action, a bad signature is 401 and starts nothing, a redelivery starts no second run, a signed
 * Cal.com booking is recorded, and without secrets unsigned deliveries are taken.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { pipelineWorkflowId, webhookRunId } from '../../src/core/ids';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { eventually } from '../conformance/pipeline-suite';
import { BIN } from '../helpers/cli';
import { connect, serverAddress, startTestWorker, type TestConnections } from '../helpers/temporal';

const GITHUB_SECRET = `gh-${randomUUID()}`;
const CALCOM_SECRET = `cal-${randomUUID()}`;
const hmac = (secret: string, raw: string): string => createHmac('sha256', secret).update(raw).digest('hex');

interface WebhookProcess {
  child: ChildProcess;
  base: string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** Starts `task webhook --port 0` and reads its port from the stderr banner. */
async function startWebhook(taskQueue: string, env: NodeJS.ProcessEnv): Promise<WebhookProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-webhook-'));
  const child = spawn(
    process.execPath,
    [BIN, 'webhook', '--port', '0', '--address', serverAddress(), '--task-queue', taskQueue],
    {
      env: {
        ...process.env,
        GITHUB_WEBHOOK_SECRET: '',
        CALCOM_WEBHOOK_SECRET: '',
        CASCADENCE_STATE_PATH: join(dir, 'state.json'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout?.resume();
  let base = '';
  await eventually(() => {
    const m = /webhook: (http:\/\/127\.0\.0\.1:\d+)\/webhook\/github, http:\/\/127\.0\.0\.1:\d+\/webhook\/calcom/.exec(
      err,
    );
    if (m?.[1]) base = m[1];
    return base !== '' || child.exitCode !== null;
  }, 'the webhook server to listen');
  if (!base) throw new Error(`task webhook exited: ${err}`);
  process.stdout.write(`webhook server: ${base}\n`);
  return {
    child,
    base,
    stderr: () => err,
    stop: () => {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

let conns: TestConnections;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let signed: WebhookProcess;

beforeAll(async () => {
  conns = await connect();
  worker = await startTestWorker(conns, createDefaultRegistry(), { prefix: 'webhooks' });
  signed = await startWebhook(worker.taskQueue, {
    GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
    CALCOM_WEBHOOK_SECRET: CALCOM_SECRET,
  });
});

afterAll(async () => {
  if (signed) expect(await signed.stop()).toBe(0);
  expect(signed.stderr()).toContain('webhook: stopped');
  await worker?.close();
  await conns?.close();
});

const postGitHub = (base: string, raw: string, delivery: string, signature?: string): Promise<Response> =>
  fetch(`${base}/webhook/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-github-delivery': delivery,
      ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }),
    },
    body: raw,
  });

/** Whether Temporal holds any execution of the workflow, closed or running. */
async function executions(workflowId: string): Promise<number> {
  let n = 0;
  for await (const _wf of conns.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await conns.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

it('serves /healthz', async () => {
  const res = await fetch(`${signed.base}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});

it('turns a signed GitHub issues event into a durable run whose result records the action', async () => {
  const delivery = randomUUID();
  const raw = JSON.stringify({ action: 'opened', issue: { number: 7, title: 'Crash on start' } });
  const res = await postGitHub(signed.base, raw, delivery, `sha256=${hmac(GITHUB_SECRET, raw)}`);
  expect(res.status).toBe(202);
  const runId = webhookRunId('github', delivery, 'github-webhook');
  expect(await res.json()).toEqual({ runs: [{ task: 'github-webhook', run_id: runId }] });
  expect(await worker.backend.result(runId)).toEqual({ source: 'github', event: 'issues', action: 'opened' });
  const trail = await worker.backend.audit('github-webhook', runId);
  expect(trail.find((r) => r.stage === 'run' && r.status === 'success')?.output).toContain('opened');
});

it('refuses a bad or missing signature with 401 and starts nothing', async () => {
  const raw = JSON.stringify({ action: 'deleted' });
  const forged = randomUUID();
  const bad = await postGitHub(signed.base, raw, forged, `sha256=${hmac('not-the-secret', raw)}`);
  expect(bad.status).toBe(401);
  expect(await bad.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  const unsigned = randomUUID();
  const missing = await postGitHub(signed.base, raw, unsigned);
  expect(missing.status).toBe(401);
  expect(await missing.json()).toMatchObject({
    error: { code: 'UNAUTHORIZED', message: 'missing webhook signature (x-hub-signature-256)' },
  });
  for (const delivery of [forged, unsigned]) {
    expect(await exists(pipelineWorkflowId('github-webhook', webhookRunId('github', delivery, 'github-webhook')))).toBe(
      false,
    );
  }
  const runs = await worker.backend.listRuns({ task: 'github-webhook', limit: 100 });
  expect(runs.some((r) => r.run_id.includes(forged) || r.run_id.includes(unsigned))).toBe(false);
});

it('starts no second run for a redelivered delivery id, after the first run has finished', async () => {
  const delivery = randomUUID();
  const raw = JSON.stringify({ action: 'closed' });
  const signature = `sha256=${hmac(GITHUB_SECRET, raw)}`;
  const first = await postGitHub(signed.base, raw, delivery, signature);
  expect(first.status).toBe(202);
  const runId = webhookRunId('github', delivery, 'github-webhook');
  expect(await worker.backend.result(runId)).toMatchObject({ action: 'closed' });
  const again = await postGitHub(signed.base, raw, delivery, signature);
  expect(again.status).toBe(200);
  expect(await again.json()).toEqual({
    runs: [{ task: 'github-webhook', run_id: runId, duplicate: true }],
    duplicate: true,
  });
  const workflowId = pipelineWorkflowId('github-webhook', runId);
  await eventually(async () => (await executions(workflowId)) === 1, 'visibility to list the run');
  expect(await executions(workflowId)).toBe(1);
});

it('records the event name of a signed Cal.com booking, and refuses a wrong Cal.com signature', async () => {
  const raw = JSON.stringify({ triggerEvent: 'BOOKING_CREATED', payload: { title: 'Intro call' } });
  const res = await fetch(`${signed.base}/webhook/calcom`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-cal-signature-256': hmac(CALCOM_SECRET, raw) },
    body: raw,
  });
  expect(res.status).toBe(202);
  const body = (await res.json()) as { runs: Array<{ task: string; run_id: string }> };
  expect(body.runs.map((r) => r.task)).toEqual(['calcom-webhook']);
  expect(await worker.backend.result(body.runs[0]?.run_id ?? '')).toEqual({
    source: 'calcom',
    event: 'BOOKING_CREATED',
  });

  const wrong = await fetch(`${signed.base}/webhook/calcom`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-cal-signature-256': hmac(GITHUB_SECRET, raw) },
    body: raw,
  });
  expect(wrong.status).toBe(401);
});

it('takes unsigned deliveries when no secret is configured', async () => {
  const open = await startWebhook(worker.taskQueue, {});
  try {
    expect(open.stderr()).toContain('GITHUB_WEBHOOK_SECRET is not set: GitHub deliveries are accepted unsigned');
    const delivery = randomUUID();
    const res = await postGitHub(open.base, JSON.stringify({ action: 'labeled' }), delivery);
    expect(res.status).toBe(202);
    const runId = webhookRunId('github', delivery, 'github-webhook');
    expect(await worker.backend.result(runId)).toEqual({ source: 'github', event: 'issues', action: 'labeled' });

    const booking = await fetch(`${open.base}/webhook/calcom`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cal-event-type': 'booking' },
      body: JSON.stringify({ event: 'rescheduled' }),
    });
    expect(booking.status).toBe(202);
    const { runs } = (await booking.json()) as { runs: Array<{ run_id: string }> };
    expect(await worker.backend.result(runs[0]?.run_id ?? '')).toEqual({ source: 'calcom', event: 'rescheduled' });
  } finally {
    expect(await open.stop()).toBe(0);
  }
});
