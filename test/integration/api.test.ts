/**
 * The HTTP API of a real `task api` process (the built CLI) on the suite's Temporal dev server,
 * with a worker in this process on a unique task queue: every route, its status codes and its
 * scope rules, and the attacks (missing identity headers, a missing or wrong bearer token,
 * another user's or group's audit, plugin paths outside the allowlist, `..`, an oversized body,
 * HTML and `<script>` in a description, an input and a result, returned as JSON strings).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashId } from '../../src/events/hash';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { IdeaStore } from '../../src/stores/idea-store';
import { startApi, type ApiProcess } from '../helpers/api';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const FIXTURES = join(__dirname, '..', 'fixtures');
const MODULES = [join(FIXTURES, 'cli-tasks', 'tasks.js'), join(FIXTURES, 'api-tasks', 'tasks.js')];
const PLUGINS = join(FIXTURES, 'api-plugins');
const SECRET = 'api-test-secret';
const TOKEN = `token-${randomUUID()}`;
const ALICE = { 'x-user-id': 'alice', 'x-group-id': 'eng' };
const BOB = { 'x-user-id': 'bob', 'x-group-id': 'ops' };
const hash = (id: string): string => hashId(id, SECRET);

const tmp = mkdtempSync(join(tmpdir(), 'cascadence-api-'));
const queue = uniqueQueue('api');
const ideasPath = join(tmp, 'ideas.yml');

let conns: TestConnections;
let stopWorker: () => void;
let workerDone: Promise<unknown>;
let api: ApiProcess;

interface Reply {
  status: number;
  type: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- each test reads its own shape
  text: string;
}

/** A request to the API: the bearer token and Alice's identity unless told otherwise. */
async function call(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.headers ?? ALICE) };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics)
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: parsed, text };
}

/** Polls `fn` until it returns a defined value (bounded). */
async function eventually<T>(fn: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

beforeAll(async () => {
  conns = await connect();
  const registry = loadTaskModules(createDefaultRegistry(), MODULES);
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const stop = new Promise<void>((r) => (stopWorker = r));
  workerDone = withWorker(conns, registry, queue, async () => {
    ready();
    await stop;
  });
  await Promise.race([isReady, workerDone]);
  await new IdeaStore(ideasPath).add({ text: 'alice idea', user_hash: hash('alice'), group_hash: hash('eng') });
  await new IdeaStore(ideasPath).add({ text: 'bob idea', user_hash: hash('bob'), group_hash: hash('ops') });
  api = await startApi(['--rate-limit', '0'], {
    HOME: tmp,
    TEMPORAL_ADDRESS: serverAddress(),
    CASCADENCE_TASK_QUEUE: queue,
    CASCADENCE_SCHEDULER: 'temporal',
    CASCADENCE_TASK_MODULES: MODULES.join(','),
    CASCADENCE_PLUGIN_PATHS: PLUGINS,
    CASCADENCE_HASH_SECRET: SECRET,
    CASCADENCE_API_TOKEN: TOKEN,
    CASCADENCE_POINTERS_PATH: join(tmp, 'pointers.yml'),
    CASCADENCE_IDEAS_PATH: ideasPath,
    CASCADENCE_TASKS_PATH: join(tmp, 'tasks.yml'),
  });
});

afterAll(async () => {
  const code = await api?.stop();
  for await (const wf of conns.client.workflow.list({
    query: `TaskQueue = "${queue}" AND ExecutionStatus = "Running"`,
  })) {
    await conns.client.workflow.getHandle(wf.workflowId).terminate('api test cleanup');
  }
  stopWorker?.();
  await workerDone;
  await conns.close();
  expect(code).toBe(0);
});

describe('access', () => {
  it('serves /healthz without a token or identity headers', async () => {
    expect(await call('GET', '/healthz', { token: null, headers: {} })).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
  });

  it('answers 401 without the bearer token or with a wrong one, on API and server routes alike', async () => {
    for (const path of ['/tasks', '/openapi.json', '/metrics', '/no-such-route']) {
      const missing = await call('GET', path, { token: null });
      expect(missing.status).toBe(401);
      expect(missing.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'a bearer token is required' });
    }
    const wrong = await call('GET', '/tasks', { token: `${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe('the bearer token is wrong');
  });

  it('answers 400 naming the missing identity header', async () => {
    const noUser = await call('GET', '/tasks', { headers: { 'x-group-id': 'eng' } });
    expect(noUser.status).toBe(400);
    expect(noUser.body.error).toMatchObject({ code: 'USAGE', message: 'missing header X-User-ID' });
    const noGroup = await call('GET', '/tasks', { headers: { 'x-user-id': 'alice' } });
    expect(noGroup.status).toBe(400);
    expect(noGroup.body.error.message).toBe('missing header X-Group-ID');
  });

  it('answers an unknown route with the error body, no stack', async () => {
    const res = await call('GET', '/no-such-route');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /no-such-route' } });
  });

  it('refuses a body over 64 KiB with 413 and starts nothing', async () => {
    const res = await call('POST', '/tasks/quick/run', { body: { blob: 'x'.repeat(70 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('sends a Content-Security-Policy that forbids inline scripts, and no CORS headers', async () => {
    const res = await fetch(`${api.url}/tasks`, {
      headers: { ...ALICE, authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' },
    });
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never prints the raw ids', () => {
    expect(api.stderr()).not.toMatch(/alice|bob/);
  });
});

describe('tasks', () => {
  it('lists the tasks, HTML in a description kept as a JSON string', async () => {
    const res = await call('GET', '/tasks');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    const html = (res.body as Array<{ name: string; description?: string }>).find((t) => t.name === 'api-html');
    expect(html).toEqual({
      name: 'api-html',
      enabled: true,
      paused: false,
      kind: 'task',
      description: '<b>bold</b><script>alert("description")</script>',
      origin: expect.stringMatching(/^module:\/.*api-tasks/),
    });
  });

  it('runs a task and answers with its result, HTML in input and result as JSON strings', async () => {
    const input = { name: '<script>alert("input")</script>' };
    const res = await call('POST', '/tasks/api-html/run', { body: input });
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body.result).toEqual({ html: '<img src=x onerror=alert(1)><script>alert("result")</script>', input });
    expect(res.text).toContain('"<script>alert(\\"input\\")</script>"');
  });

  it('runs without waiting (?wait=false → 202) and the run is found by its id', async () => {
    const res = await call('POST', '/tasks/quick/run?wait=false', { body: { n: 1 } });
    expect(res.status).toBe(202);
    const runId = res.body.run_id as string;
    const status = await eventually(async () => {
      const s = await call('GET', `/runs/${runId}`);
      return s.status === 200 && s.body.state === 'completed' ? s.body : undefined;
    }, 'the run to complete');
    expect(status).toMatchObject({ task: 'quick', runId });
  });

  it('answers 404 for an unknown task or run', async () => {
    const task = await call('POST', '/tasks/no-such-task/run');
    expect(task.status).toBe(404);
    expect(task.body.error.code).toBe('UNKNOWN_TASK');
    const run = await call('GET', `/runs/${randomUUID()}`);
    expect(run.status).toBe(404);
    expect(run.body.error.code).toBe('UNKNOWN_RUN');
  });

  it('disables and enables a task (409 while disabled), recording who did', async () => {
    expect(await call('POST', '/tasks/quick/disable')).toMatchObject({
      status: 200,
      body: { task: 'quick', enabled: false },
    });
    const refused = await call('POST', '/tasks/quick/run');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('TASK_DISABLED');
    expect((await call('POST', '/tasks/quick/enable')).body).toEqual({ task: 'quick', enabled: true });
    expect((await call('POST', '/tasks/quick/run')).status).toBe(200);
    const audit = await call('GET', '/pipeline/quick/audit');
    const actions = (audit.body as Array<{ stage: string; status: string; user_hash: string }>).filter(
      (r) => r.stage === 'task',
    );
    expect(actions.map((r) => r.status)).toEqual(expect.arrayContaining(['disabled', 'enabled']));
    expect(actions.every((r) => r.user_hash === hash('alice'))).toBe(true);
  });

  it('pauses and resumes a task with no running run (409 while paused)', async () => {
    const paused = await call('POST', '/tasks/quick/pause');
    expect(paused.body).toEqual({ task: 'quick', action: 'paused', target: 'task', changed: true });
    expect((await call('POST', '/tasks/quick/run')).body.error.code).toBe('TASK_PAUSED');
    expect((await call('POST', '/tasks/quick/resume')).body).toMatchObject({ target: 'task', changed: true });
  });

  it('schedules and unschedules a task, listed in between', async () => {
    const made = await call('POST', '/tasks/api-sched-task/schedule', {
      body: { cron: '0 9 * * MON', timezone: 'Europe/Paris', note: 'weekly <b>' },
    });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ cron: '0 9 * * MON', timezone: 'Europe/Paris', userHash: hash('alice') });
    const listed = await call('GET', '/schedules');
    expect((listed.body as Array<{ name: string }>).map((s) => s.name)).toContain('api-sched-task');
    expect((await call('DELETE', '/tasks/api-sched-task/schedule')).body).toEqual({
      task: 'api-sched-task',
      scheduled: false,
    });
    const again = await call('DELETE', '/tasks/api-sched-task/schedule');
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('UNKNOWN_SCHEDULE');
    const bad = await call('POST', '/tasks/api-sched-task/schedule', { body: { cron: 'not a cron' } });
    expect(bad.status).toBe(400);
    const extra = await call('POST', '/tasks/api-sched-task/schedule', { body: { cron: '* * * * *', evil: 1 } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('VALIDATION');
  });
});

describe('one run', () => {
  const gates = join(tmp, 'gates');
  let runId: string;

  beforeAll(async () => {
    mkdirSync(gates, { recursive: true });
    const res = await call('POST', '/tasks/slow/run?wait=false', { body: { gateDir: gates } });
    expect(res.status).toBe(202);
    runId = res.body.run_id as string;
    await eventually(async () => {
      const s = await call('GET', `/runs/${runId}`);
      return s.body.currentStage === 'intake' ? true : undefined;
    }, 'the first stage');
  });

  it('checks the signal kind first, then the payload', async () => {
    const kind = await call('POST', `/runs/${runId}/signal`, { body: { kind: 'shell', value: 'rm -rf /' } });
    expect(kind.status).toBe(400);
    expect(kind.body.error.message).toBe('unsupported signal kind "shell"');
    const value = await call('POST', `/runs/${runId}/signal`, { body: { kind: 'context', value: { evil: 1 } } });
    expect(value.status).toBe(400);
    expect(value.body.error.code).toBe('CONTEXT_REJECTED');
  });

  it('queues context while a stage runs (202)', async () => {
    const res = await call('POST', `/runs/${runId}/signal`, { body: { kind: 'context', value: { note: 'hello' } } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ run_id: runId, status: 'queued', delivered: false });
  });

  it('pauses and resumes the run', async () => {
    const paused = await call('POST', `/runs/${runId}/pause`);
    expect(paused.body).toMatchObject({ task: 'slow', action: 'paused', target: 'run', runId, changed: true });
    const resumed = await call('POST', `/runs/${runId}/resume`);
    expect(resumed.body).toMatchObject({ task: 'slow', action: 'resumed', target: 'run', changed: true });
  });

  it('is hidden from another group: its status, signals, pause and cancel are 404, and it is not listed', async () => {
    for (const [method, path, body] of [
      ['GET', `/runs/${runId}`, undefined],
      ['POST', `/runs/${runId}/signal`, { kind: 'context', value: { note: 'not yours' } }],
      ['POST', `/runs/${runId}/pause`, undefined],
      ['POST', `/runs/${runId}/cancel`, undefined],
    ] as const) {
      const res = await call(method, path, { headers: BOB, ...(body ? { body } : {}) });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'UNKNOWN_RUN', message: `no run ${runId} in your group` });
    }
    const listed = await call('GET', '/runs?task=slow&limit=50', { headers: BOB });
    expect((listed.body as Array<{ run_id: string }>).map((r) => r.run_id)).not.toContain(runId);
    // Bob's attempts changed nothing: the run still runs, unpaused, for Alice.
    expect((await call('GET', `/runs/${runId}`)).body).toMatchObject({ state: 'running', paused: false });
  });

  it('lists it among the running runs with its Web UI link', async () => {
    const res = await call('GET', '/runs?task=slow&status=running&limit=5');
    expect(res.status).toBe(200);
    const mine = (res.body as Array<{ run_id: string; url: string }>).find((r) => r.run_id === runId);
    expect(mine?.url).toMatch(/\/namespaces\/default\/workflows\/slow-/);
    expect((await call('GET', '/runs?limit=0')).status).toBe(400);
  });

  it('cancels a running run; a signal to the finished run is 404', async () => {
    const started = await call('POST', '/tasks/slow/run?wait=false', { body: { gateDir: join(tmp, 'closed') } });
    const runId = started.body.run_id as string;
    await eventually(async () => {
      const s = await call('GET', `/runs/${runId}`);
      return s.body.currentStage === 'intake' ? true : undefined;
    }, 'the first stage');
    expect((await call('POST', `/runs/${runId}/cancel`)).body).toEqual({ run_id: runId, cancelled: true });
    const handle = conns.client.workflow.getHandle(`slow-${runId}`);
    await eventually(async () => {
      const { status } = await handle.describe();
      return status.name === 'RUNNING' ? undefined : status.name;
    }, 'the cancellation');
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const late = await call('POST', `/runs/${runId}/signal`, { body: { kind: 'context', value: { note: 'late' } } });
    expect(late.status).toBe(404);
    expect(late.body.error.code).toBe('RUN_FINISHED');
  });
});

describe('scoped records', () => {
  beforeAll(async () => {
    expect((await call('POST', '/tasks/quick/run', { body: { who: 'alice' } })).status).toBe(200);
    expect((await call('POST', '/tasks/quick/run', { headers: BOB, body: { who: 'bob' } })).status).toBe(200);
  });

  it('shows each caller only their own stage records', async () => {
    const alice = await call('GET', '/pipeline/quick');
    expect(alice.status).toBe(200);
    const records = alice.body as Array<{ stage: string; user_hash: string; group_hash: string }>;
    expect(records.some((r) => r.stage === 'run')).toBe(true);
    expect(records.every((r) => r.user_hash === hash('alice') && r.group_hash === hash('eng'))).toBe(true);
    expect(records.some((r) => r.stage === 'task')).toBe(false);
    const bob = (await call('GET', '/pipeline/quick', { headers: BOB })).body as Array<{ user_hash: string }>;
    expect(bob.length).toBeGreaterThan(0);
    expect(bob.every((r) => r.user_hash === hash('bob'))).toBe(true);
    expect((await call('GET', '/pipeline/no-such-task')).status).toBe(404);
  });

  it("refuses another user's or group's audit scope (403) and accepts the caller's own", async () => {
    const user = await call('GET', `/pipeline/quick/audit?user_hash=${hash('bob')}`);
    expect(user.status).toBe(403);
    expect(user.body.error).toMatchObject({ code: 'FORBIDDEN', message: 'cannot access requested user scope' });
    const group = await call('GET', '/pipeline/quick/audit?group_id=ops');
    expect(group.status).toBe(403);
    expect(group.body.error.message).toBe('cannot access requested group scope');
    const own = await call('GET', `/pipeline/quick/audit?user_hash=${hash('alice')}&group_id=eng`);
    expect(own.status).toBe(200);
    expect((own.body as Array<{ user_hash: string }>).every((r) => r.user_hash === hash('alice'))).toBe(true);
    expect((await call('GET', '/pipeline/quick/audit?user_hash=alice')).status).toBe(200);
  });

  it("lists the caller's idea seeds only", async () => {
    expect((await call('GET', '/ideas')).body.map((s: { text: string }) => s.text)).toEqual(['alice idea']);
    expect((await call('GET', '/ideas', { headers: BOB })).body.map((s: { text: string }) => s.text)).toEqual([
      'bob idea',
    ]);
  });

  it("adds, lists and receives pointers, the caller's only", async () => {
    const added = await call('POST', '/pointers/api-pointy?run_id=run-1');
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({
      status: 'added',
      pointer: { run_id: 'run-1', user_hash: hash('alice'), group_hash: hash('eng') },
      sent: false,
    });
    expect((await call('POST', '/pointers/api-pointy?run_id=run-1')).body.status).toBe('exists');
    const other = hash('carol');
    const received = await call('POST', `/pointers/api-pointy/receive?run_id=run-2&user_hash=${other}`, {
      headers: BOB,
    });
    expect(received.body).toMatchObject({ status: 'stored', pointer: { user_hash: other, group_hash: hash('ops') } });
    expect((await call('GET', '/pointers/api-pointy')).body).toEqual([
      { run_id: 'run-1', user_hash: hash('alice'), group_hash: hash('eng') },
    ]);
    const notPointer = await call('POST', '/pointers/quick?run_id=x');
    expect(notPointer.status).toBe(400);
    expect(notPointer.body.error.message).toBe("'quick' is not a pointer task");
    expect((await call('POST', '/pointers/api-pointy/receive?run_id=r&user_hash=alice')).status).toBe(400);
  });
});

describe('DAGs', () => {
  it('runs a DAG definition and reads its node states', async () => {
    const definition = {
      name: `api-dag-${randomUUID().slice(0, 8)}`,
      nodes: [
        { id: 'first', task: 'quick' },
        { id: 'second', task: 'quick', dependsOn: ['first'] },
      ],
    };
    const res = await call('POST', '/dags/run', { body: definition });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'completed' });
    const state = await call('GET', `/dags/${res.body.runId as string}`);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      running: false,
      status: { nodes: { first: { state: 'success' }, second: { state: 'success' } } },
    });
  });

  it('starts a DAG without waiting (?wait=false → 202), then shows it running and finished', async () => {
    const gates = join(tmp, `dag-gates-${randomUUID().slice(0, 8)}`);
    mkdirSync(gates, { recursive: true });
    const definition = {
      name: `api-dag-nowait-${randomUUID().slice(0, 8)}`,
      nodes: [
        { id: 'held', task: 'slow', input: { gateDir: gates } },
        { id: 'after', task: 'quick', dependsOn: ['held'] },
      ],
    };
    const res = await call('POST', '/dags/run?wait=false', { body: definition });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body)).toEqual(['run_id']);
    const runId = res.body.run_id as string;
    const running = await eventually(async () => {
      const s = await call('GET', `/dags/${runId}`);
      return s.status === 200 && s.body.status.nodes?.held?.state === 'running' ? s.body : undefined;
    }, 'the DAG to be running');
    expect(running).toMatchObject({ running: true, status: { nodes: { after: { state: 'pending' } } } });
    for (const stage of ['intake', 'research', 'plan', 'run', 'verify']) writeFileSync(join(gates, stage), '');
    const done = await eventually(async () => {
      const s = await call('GET', `/dags/${runId}`);
      return s.status === 200 && !s.body.running ? s.body : undefined;
    }, 'the DAG to finish');
    expect(done).toMatchObject({
      running: false,
      status: { nodes: { held: { state: 'success' }, after: { state: 'success' } } },
    });
    const invalid = await call('POST', '/dags/run?wait=false', {
      body: { name: 'bad', nodes: [{ id: 'a', task: 'x' }] },
    });
    expect(invalid.status).toBe(400);
  });

  it('validates before anything starts', async () => {
    const res = await call('POST', '/dags/run', { body: { name: 'bad', nodes: [{ id: 'a', task: 'no-such' }] } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    const cycle = await call('POST', '/dags/run', {
      body: {
        name: 'cycle',
        nodes: [
          { id: 'a', task: 'quick', dependsOn: ['b'] },
          { id: 'b', task: 'quick', dependsOn: ['a'] },
        ],
      },
    });
    expect(cycle.status).toBe(400);
  });
});

describe('plugin tasks', () => {
  const refused = async (path: string): Promise<string> => {
    const res = await call('POST', `/tasks?path=${encodeURIComponent(path)}`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    return res.body.error.message as string;
  };

  it('refuses relative paths, "..", absolute paths outside the plugin directories and unlisted packages', async () => {
    expect(await refused('./extra.js')).toMatch(/relative paths are refused/);
    expect(await refused('extra.js')).toMatch(/not an allowed package/);
    expect(await refused(`${PLUGINS}/../api-outside/evil.js`)).toMatch(/"\.\."/);
    expect(await refused(resolve(FIXTURES, 'api-outside', 'evil.js'))).toMatch(/outside the plugin directories/);
    expect(await refused('/etc/passwd')).toMatch(/outside/);
    expect(await refused('fastify')).toMatch(/not an allowed package/);
    expect(await refused(PLUGINS)).toMatch(/outside/);
    const tasks = (await call('GET', '/tasks')).body as Array<{ name: string }>;
    expect(tasks.map((t) => t.name)).not.toContain('api-evil-task');
  });

  it('refuses a symbolic link inside the plugin directory that leads outside it', async () => {
    const { symlinkSync, rmSync } = await import('node:fs');
    const link = join(PLUGINS, `link-${randomUUID().slice(0, 8)}.js`);
    symlinkSync(resolve(FIXTURES, 'api-outside', 'evil.js'), link);
    try {
      expect(await refused(link)).toMatch(/leads outside/);
    } finally {
      rmSync(link);
    }
  });

  it('registers and schedules the tasks of an allowed module (?schedule=CRON), listed in GET /schedules', async () => {
    const path = join(PLUGINS, 'scheduled.js');
    const res = await call(
      'POST',
      `/tasks?path=${encodeURIComponent(path)}&schedule=${encodeURIComponent('30 6 * * *')}`,
    );
    try {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'registered',
        registered: ['api-plugin-scheduled'],
        scheduled: [{ name: 'api-plugin-scheduled', cron: '30 6 * * *', userHash: hash('alice') }],
      });
      const listed = (await call('GET', '/schedules')).body as Array<{ name: string; cron: string }>;
      expect(listed.find((s) => s.name === 'api-plugin-scheduled')).toMatchObject({ cron: '30 6 * * *' });
    } finally {
      await call('DELETE', '/tasks/api-plugin-scheduled/schedule');
    }
    const after = (await call('GET', '/schedules')).body as Array<{ name: string }>;
    expect(after.map((s) => s.name)).not.toContain('api-plugin-scheduled');
    const badCron = await call('POST', `/tasks?path=${encodeURIComponent(path)}&schedule=nonsense`);
    expect(badCron.status).toBe(400);
  });

  it('registers the tasks of an allowed module', async () => {
    const res = await call('POST', `/tasks?path=${encodeURIComponent(join(PLUGINS, 'extra.js'))}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'registered', registered: ['api-plugin-task'], existing: [] });
    const tasks = (await call('GET', '/tasks')).body as Array<{ name: string }>;
    expect(tasks.map((t) => t.name)).toContain('api-plugin-task');
    const again = await call('POST', `/tasks?path=${encodeURIComponent(join(PLUGINS, 'extra.js'))}`);
    expect(again.body).toMatchObject({ registered: [], existing: ['api-plugin-task'] });
    const missing = await call('POST', `/tasks?path=${encodeURIComponent(join(PLUGINS, 'missing.js'))}`);
    expect(missing.status).toBe(400);
  });
});

describe('server routes', () => {
  it('serves Prometheus metrics and the interactive docs', async () => {
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('# HELP task_latency_seconds');
    const docs = await fetch(`${api.url}/docs/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('stops on SIGTERM with exit code 0 (checked in afterAll)', () => {
    writeFileSync(join(tmp, 'marker'), 'ok');
    expect(api.child.exitCode).toBeNull();
  });
});
