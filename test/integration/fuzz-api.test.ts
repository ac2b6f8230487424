/**
 * Fuzzing every HTTP route of a real `task api` (on the dev server, with a worker) with
 * fast-check: path params, query strings, identity headers and JSON or raw bodies. Whatever
 * arrives, the answer comes in time, is never a 5xx, and every refusal is one error body with a
 * one-line message and no stack trace. Then the privacy scan: the raw user and group ids the
 * requests carried appear nowhere (the API's logs, its metrics, the stores, the histories of the
 * runs it started).
 *
 * `npm test` runs 100 cases per route (CASCADENCE_FUZZ_RUNS); `npm run test:reliability` runs 10,000.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { startApi, type ApiProcess } from '../helpers/api';
import { historyText } from '../helpers/history-text';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';
import { createDefaultRegistry } from '../../src/plugins/builtin';

const RUNS = Number(process.env.CASCADENCE_FUZZ_RUNS ?? 100);
const HELPERS = resolve(__dirname, '..', 'helpers');
const RAW_USER = `fuzz-user-${randomUUID()}`;
const RAW_GROUP = `fuzz-group-${randomUUID()}`;
const tmp = mkdtempSync(join(tmpdir(), 'cascadence-fuzz-'));
const queue = uniqueQueue('fuzz');

let api: ApiProcess;
let conns: TestConnections;
let stopWorker: () => void;
let workerDone: Promise<unknown>;
let routes: Array<{ method: string; url: string }>;

beforeAll(async () => {
  const listed = spawnSync(process.execPath, [join(HELPERS, 'api-routes.js')], { encoding: 'utf8' });
  expect(listed.status).toBe(0);
  // CASCADENCE_FUZZ_ROUTES: only the routes whose `METHOD url` matches this regular expression (to go after one finding).
  const only = process.env.CASCADENCE_FUZZ_ROUTES ? new RegExp(process.env.CASCADENCE_FUZZ_ROUTES) : undefined;
  routes = (JSON.parse(listed.stdout) as { routes: Array<{ method: string; url: string }> }).routes.filter(
    // The docs' static files and the dashboard's assets take no input worth fuzzing.
    (r) => !r.url.startsWith('/docs') && !r.url.startsWith('/assets') && (!only || only.test(`${r.method} ${r.url}`)),
  );
  conns = await connect();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const stop = new Promise<void>((r) => (stopWorker = r));
  workerDone = withWorker(conns, createDefaultRegistry(), queue, async () => {
    ready();
    await stop;
  });
  await isReady;
  api = await startApi(['--rate-limit', '0'], {
    TEMPORAL_ADDRESS: serverAddress(),
    CASCADENCE_TASK_QUEUE: queue,
    CASCADENCE_SCHEDULER: 'temporal',
    CASCADENCE_HASH_SECRET: 'fuzz-secret',
    CASCADENCE_STATE_PATH: join(tmp, 'state.json'),
    CASCADENCE_AUDIT_PATH: join(tmp, 'audit.jsonl'),
    CASCADENCE_POINTERS_PATH: join(tmp, 'pointers.yml'),
    CASCADENCE_IDEAS_PATH: join(tmp, 'ideas.yml'),
    CASCADENCE_TASKS_PATH: join(tmp, 'tasks.yml'),
    CASCADENCE_PLUGIN_PATHS: join(tmp, 'plugins'),
    // Signed webhooks: a fuzzed delivery is refused (401) instead of starting runs.
    GITHUB_WEBHOOK_SECRET: 'fuzz-github',
    CALCOM_WEBHOOK_SECRET: 'fuzz-calcom',
  });
});

afterAll(async () => {
  await api?.stop();
  for await (const wf of conns.client.workflow.list({
    query: `TaskQueue = "${queue}" AND ExecutionStatus = "Running"`,
  })) {
    await conns.client.workflow.getHandle(wf.workflowId).terminate('fuzz cleanup');
  }
  stopWorker?.();
  await workerDone;
  await conns.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Text that tends to break things: traversal, encodings, markup, controls, long runs. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('..', '../..', '%2e%2e%2f', '%00', '<script>', 'example', 'github-webhook', '{}', '[]', ' ', '\\'),
  fc.string({ unit: fc.constantFrom('a', '/', '.', '%', '\u0000', '\n', '"'), maxLength: 300 }),
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({ kind: nasty, value: fc.jsonValue({ maxDepth: 2 }) }).map((v) => JSON.stringify(v)),
  fc
    .record({ name: nasty, nodes: fc.array(fc.record({ id: nasty, task: nasty }), { maxLength: 4 }) })
    .map((v) => JSON.stringify(v)),
  fc.record({ cron: nasty, timezone: nasty }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
);

const identity = fc.oneof(
  fc.constant({ 'x-user-id': RAW_USER, 'x-group-id': RAW_GROUP }),
  fc.constant({ 'x-user-id': RAW_USER }),
  fc.constant({}),
  fc.record({ 'x-user-id': fc.stringMatching(/^[ -~]{1,30}$/), 'x-group-id': fc.stringMatching(/^[ -~]{1,30}$/) }),
);

const query = fc
  .array(
    fc.tuple(
      fc.constantFrom('wait', 'path', 'schedule', 'task', 'status', 'limit', 'run_id', 'user_hash', 'group_id', 'x'),
      nasty,
    ),
    {
      maxLength: 3,
    },
  )
  .map((pairs) => (pairs.length ? `?${new URLSearchParams(pairs).toString()}` : ''));

/** Fills `:param`s with fuzzed text (percent-encoded, as a client would send it). */
const fill = (url: string, values: string[]): string => {
  let i = 0;
  return url.replace(/:[a-z_]+/g, () => encodeURIComponent(values[i++] ?? 'x'));
};

let requests = 0;
const began = Date.now();
/**
 * Requests in flight at once (CASCADENCE_FUZZ_CONCURRENCY): an unknown run id is looked for for a
 * few seconds (a run started a moment ago may not be listed yet), so most requests wait, not work.
 */
const CONCURRENCY = Number(process.env.CASCADENCE_FUZZ_CONCURRENCY ?? 32);

it(
  `answers ${RUNS} fuzzed requests per route in time, never with a 5xx, each refusal one clear line`,
  async () => {
    const problems: string[] = [];
    const one = async (route: { method: string; url: string }, [params, q, headers, raw]: Case): Promise<void> => {
      // A fuzzed name never names a registered task (so nothing real is started or changed).
      const safe = params.map((p) => (p === 'example' || p === 'github-webhook' ? `fz-${p}` : p));
      const url = `${api.url}${fill(route.url, safe)}${q}`;
      const withBody = raw !== undefined && route.method !== 'GET' && route.method !== 'DELETE';
      requests++;
      let res: Response;
      try {
        res = await fetch(url, {
          method: route.method,
          headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
          ...(withBody ? { body: raw } : {}),
          signal: AbortSignal.timeout(20_000),
        });
      } catch (err) {
        problems.push(`${route.method} ${url} ${JSON.stringify(headers)}: ${(err as Error).message}`);
        return;
      }
      const text = await res.text();
      const where = `${route.method} ${url} ${JSON.stringify(headers)} body ${JSON.stringify(raw)?.slice(0, 100)}`;
      if (res.status >= 500) problems.push(`${where} answered ${res.status}: ${text.slice(0, 300)}`);
      else if (res.status >= 400 && (res.headers.get('content-type') ?? '').includes('json')) {
        const { error } = JSON.parse(text) as { error?: { code?: string; message?: string } };
        if (!error?.code || !error.message) problems.push(`${where}: no error body: ${text.slice(0, 200)}`);
        else if (error.message.includes('\n') || /\n\s+at /.test(text))
          problems.push(`${where}: ${text.slice(0, 300)}`);
      }
    };
    for (const route of routes) {
      const cases = fc.sample(fc.tuple(fc.array(nasty, { minLength: 3, maxLength: 3 }), query, identity, body), RUNS);
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < cases.length) await one(route, cases[next++] as Case);
        }),
      );
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(requests).toBe(RUNS * routes.length);
  },
  60 * 60_000,
);

type Case = [string[], string, Record<string, string>, string | undefined];

it('leaves the raw ids nowhere: logs, metrics, stores, or the histories of the runs it started', async () => {
  const found: string[] = [];
  const check = (where: string, text: string) => {
    if (text.includes(RAW_USER) || text.includes(RAW_GROUP)) found.push(where);
  };
  check('the API log', api.stderr());
  check('/metrics', await (await fetch(`${api.url}/metrics`)).text());
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else check(path, readFileSync(path, 'utf8'));
    }
  };
  walk(tmp);
  let histories = 0;
  for await (const wf of conns.client.workflow.list({ query: `TaskQueue = "${queue}"` })) {
    const history = await conns.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    check(`history of ${wf.workflowId}`, historyText(history));
    histories++;
  }
  process.stdout.write(
    `fuzz: ${requests} requests over ${routes.length} routes (${RUNS} per route, ${CONCURRENCY} in flight, ${Math.round((Date.now() - began) / 1000)} s); scanned ${histories} histories\n`,
  );
  expect(found).toEqual([]);
});
