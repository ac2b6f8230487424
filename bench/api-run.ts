/**
 * The HTTP API's cost of starting a run: `POST /tasks/{name}/run?wait=false` on Cascadence's
 * server (`buildServer`: identity headers hashed, the task's flags checked in the watched
 * catalogue, memo and search attributes, error table) against a bare fastify route calling
 * `client.workflow.start` for the same workflow directly, and `cascadenceRoute` (one task as a
 * route of your own app) beside them; same process, same dev server, same client connection.
 * autocannon drives each at 1, 10 and 50 concurrent clients, in short rounds alternating the sides
 * (ABC CBA ...), so the server's drift as started workflows pile up falls on every side. No worker
 * runs: what is measured is the start path, not the runs.
 *
 * Targets (information): the API at least 0.8x the bare route's throughput, p99 within 1.5x.
 * Run: `npm run bench -- api-run`.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { installRuntime } from '../src/cli/worker-process';
import { loadConfig } from '../src/config/config';
import { DEV_DYNAMIC_CONFIG, DevServer } from '../src/dev/dev-server';
import { TemporalBackend } from '../src/backends/temporal';
import { pipelineWorkflowId } from '../src/core/ids';
import { hashId } from '../src/events/hash';
import { buildServer } from '../src/api/server';
import { cascadenceRoute } from '../src/api/route';
import { NOOP_TASK, noopRegistry } from './lib/noop-task';
import { machineLine, ratio, round, runMain, table, transcript, verdict, writeResults } from './lib/harness';

/** Seconds of each side's round; ROUNDS rounds per side and concurrency. */
const DURATION_S = Number(process.env.BENCH_API_DURATION ?? 2);
const ROUNDS = Number(process.env.BENCH_API_ROUNDS ?? 4);
const CONCURRENCY = [1, 10, 50];
const THROUGHPUT_TARGET = 0.8;
const P99_TARGET = 1.5;

interface Side {
  name: string;
  url: string;
}
interface Result {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

async function load(side: Side, connections: number): Promise<Result> {
  const r = await autocannon({
    url: side.url,
    method: 'POST',
    connections,
    duration: DURATION_S,
    headers: { 'content-type': 'application/json', 'x-user-id': 'bench-user', 'x-group-id': 'bench-group' },
    body: JSON.stringify({ n: 1 }),
  });
  return {
    rps: round(r.requests.average, 1),
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** Rounds of one side as one result: requests over time, the median of the rounds' percentiles. */
function combine(rounds: Result[]): Result {
  const median = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? NaN;
  };
  return {
    rps: round(rounds.reduce((t, r) => t + r.rps, 0) / rounds.length, 1),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    non2xx: rounds.reduce((t, r) => t + r.non2xx, 0),
    errors: rounds.reduce((t, r) => t + r.errors, 0),
  };
}

async function main(): Promise<void> {
  const { say, text } = transcript();
  say(machineLine());
  installRuntime();
  const server = await DevServer.start({ headless: true, dynamicConfig: DEV_DYNAMIC_CONFIG });
  const apps: FastifyInstance[] = [];
  const registry = noopRegistry();
  const taskQueue = `bench-api-${randomUUID()}`;
  const backend = await TemporalBackend.connect({
    address: server.address,
    namespace: 'default',
    taskQueue,
    hashSecret: '',
    registry,
    watchCatalogue: true,
  });
  try {
    const config = { ...loadConfig({}, {}), address: server.address, taskQueue, hashSecret: '' };
    const api = await buildServer({ config, registry, backend }, { rateLimit: false });
    apps.push(api);
    const apiUrl = `${await listen(api)}/tasks/${NOOP_TASK}/run?wait=false`;

    // The bare route: the same workflow, the request a client would build by hand.
    const { pipelineWorkflow } = await import('../src/workflows/pipeline');
    const bare = Fastify();
    apps.push(bare);
    const description = registry.describe(NOOP_TASK);
    bare.post('/run', async (request, reply) => {
      const runId = randomUUID();
      await backend.client.workflow.start(pipelineWorkflow, {
        taskQueue,
        workflowId: pipelineWorkflowId(NOOP_TASK, runId),
        args: [
          {
            task: NOOP_TASK,
            runId,
            userHash: hashId(String(request.headers['x-user-id']), ''),
            groupHash: hashId(String(request.headers['x-group-id']), ''),
            input: request.body,
            description,
          },
        ],
      });
      return reply.code(202).send({ run_id: runId });
    });
    const bareUrl = `${await listen(bare)}/run`;

    const own = Fastify();
    apps.push(own);
    cascadenceRoute(own, '/checkout', NOOP_TASK, (req) => req.body, { backend, hashSecret: '', wait: false });
    const ownUrl = `${await listen(own)}/checkout`;

    const sides: Side[] = [
      { name: 'API', url: apiUrl },
      { name: 'bare', url: bareUrl },
      { name: 'cascadenceRoute', url: ownUrl },
    ];
    say(
      `api-run: dev server ${server.address}, ${ROUNDS} rounds of ${DURATION_S} s per side and concurrency, alternating, no worker`,
    );
    // Warm-up: every side, briefly.
    for (const s of sides)
      await autocannon({
        url: s.url,
        method: 'POST',
        connections: 5,
        amount: 200,
        headers: { 'content-type': 'application/json', 'x-user-id': 'u', 'x-group-id': 'g' },
        body: '{}',
      });

    // Short rounds in ABC CBA ... order per concurrency: the server slows as started workflows pile
    // up (no worker takes them), so a side that always went last would look slower.
    const results: Record<string, Record<number, Result>> = { API: {}, bare: {}, cascadenceRoute: {} };
    for (const c of CONCURRENCY) {
      const rounds = new Map<string, Result[]>(sides.map((s) => [s.name, []]));
      for (let r = 0; r < ROUNDS; r++) {
        for (const s of r % 2 === 0 ? sides : [...sides].reverse()) rounds.get(s.name)?.push(await load(s, c));
      }
      for (const s of sides) (results[s.name] as Record<number, Result>)[c] = combine(rounds.get(s.name) ?? []);
    }
    const rows: Array<Array<string | number>> = [];
    const checks: Record<string, { throughput: number; p99: number; met: boolean }> = {};
    for (const c of CONCURRENCY) {
      const a = results.API?.[c] as Result;
      const b = results.bare?.[c] as Result;
      const o = results.cascadenceRoute?.[c] as Result;
      const met = a.rps / b.rps >= THROUGHPUT_TARGET && a.p99 / Math.max(b.p99, 1) <= P99_TARGET;
      checks[`c${c}`] = { throughput: ratio(a.rps, b.rps), p99: ratio(a.p99, Math.max(b.p99, 1)), met };
      rows.push([
        `${c}`,
        a.rps,
        b.rps,
        ratio(a.rps, b.rps),
        a.p50,
        b.p50,
        a.p99,
        b.p99,
        ratio(a.p99, Math.max(b.p99, 1)),
        o.rps,
        a.non2xx + a.errors,
        verdict(met),
      ]);
    }
    say(
      table(
        'POST /tasks/{name}/run?wait=false (API) vs a bare fastify route calling client.workflow.start (bare); cascadenceRoute in your own app beside them',
        [
          'clients',
          'API req/s',
          'bare req/s',
          'ratio',
          'API p50 ms',
          'bare p50',
          'API p99 ms',
          'bare p99',
          'p99 ratio',
          'cascadenceRoute req/s',
          'API errors',
          'target met',
        ],
        rows,
      ),
    );
    say('targets: API throughput >= 0.8x bare, p99 <= 1.5x bare (information, not assertions).');
    const path = await writeResults('api-run', {
      durationSeconds: DURATION_S,
      results,
      checks,
      output: text(),
    });
    console.log(`\nresults: ${path}`);
  } finally {
    for (const app of apps) await app.close().catch(() => undefined);
    await backend.close().catch(() => undefined);
    await server.stop();
  }
}

runMain(main);
