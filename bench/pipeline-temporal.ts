/**
 * Cascadence on Temporal against a hand-written minimal workflow, on one dev server started
 * here, in the same run:
 *
 *  - Cascadence: the no-op five-stage task through `pipelineWorkflow`, started and awaited by
 *    `TemporalBackend.run` (the path `task run` takes: memo, search attributes, then the
 *    workflow's `describeTask` local activity and five stage activities).
 *  - baseline: `bench/baseline/workflows.ts`, five no-op activities in sequence via
 *    `proxyActivities`, its own bundle, worker and task queue, started with
 *    `client.workflow.start` on the same client.
 *
 * Both workers share one connection and the same settings. After a warm-up: sequential runs
 * for latency (start -> result, p50/p95), alternating the two run by run; then concurrent
 * batches for throughput, alternating ABBA. Prints Cascadence/baseline ratios and the
 * "within 10%" target as information.
 *
 * Run: `npm run bench -- pipeline-temporal`, or
 * `node -r ts-node/register/transpile-only bench/pipeline-temporal.ts`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { installRuntime } from '../src/cli/worker-process';
import { DEV_DYNAMIC_CONFIG, DevServer } from '../src/dev/dev-server';
import { createWorker } from '../src/worker/create-worker';
import { quietLogger } from '../src/worker/bundle';
import { TemporalBackend } from '../src/backends/temporal';
import { pipelineWorkflowId } from '../src/core/ids';
import { baselineWorkflow } from './baseline/workflows';
import { createBaselineActivities } from './baseline/activities';
import { NOOP_TASK, noopRegistry } from './lib/noop-task';
import {
  machineLine,
  now,
  pool,
  ratio,
  round,
  runMain,
  summarize,
  table,
  verdict,
  writeResults,
  type Summary,
} from './lib/harness';

const LATENCY_RUNS = Number(process.env.BENCH_TEMPORAL_LATENCY_RUNS ?? 100);
const BATCH = Number(process.env.BENCH_TEMPORAL_BATCH ?? 100);
const BATCH_CONCURRENCY = 20;
/** Throughput batches per side, in ABBA order (A B B A A B B A): short batches, so a drift over the run falls on both sides. */
const BATCH_ROUNDS = 4;
const WARMUP_SEQUENTIAL = 10;
const WARMUP_BATCH = 60;
/** Cascadence within 10% of the baseline. */
const TARGET_RATIO = 1.1;

const DYNAMIC_CONFIG = DEV_DYNAMIC_CONFIG;
const DEFAULT_CONFIG = process.env.BENCH_TEMPORAL_DEFAULT_CONFIG === '1';

/** Worker settings used for both workers. */
const WORKER_SETTINGS = { shutdownGraceTime: '2s', maxConcurrentActivityTaskExecutions: 100 } as const;

/** One side of the comparison: how to run one workflow to completion and find its id. */
interface Side {
  name: string;
  /** Runs one workflow, start -> result; returns its workflow id. */
  once(): Promise<string>;
}

/** One throughput batch: wall time, and CPU time of this process (client + workers) and of the dev server. */
interface Batch {
  runs: number;
  ms: number;
  processCpuMs: number;
  serverCpuMs: number;
}

/** CPU time (user + system) of process `pid` in ms, from /proc (NaN where there is no /proc). */
function cpuOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted after the command name: indexes 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
/** Linux's USER_HZ: 100 on every mainstream architecture. */
const CLOCK_TICKS = 100;

async function timedBatch(side: Side, runs: number, serverPid?: number): Promise<Batch> {
  const cpu0 = process.cpuUsage();
  const server0 = cpuOf(serverPid);
  const t0 = now();
  await pool(runs, BATCH_CONCURRENCY, () => side.once());
  const ms = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    runs,
    ms: round(ms, 1),
    processCpuMs: round((cpu.user + cpu.system) / 1000, 0),
    serverCpuMs: round(cpuOf(serverPid) - server0, 0),
  };
}

/** Events and workflow tasks in one run's history. */
async function historyShape(client: Client, workflowId: string): Promise<{ events: number; workflowTasks: number }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const workflowTasks = events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
  return { events: events.length, workflowTasks };
}

async function main(): Promise<void> {
  const out: string[] = [];
  const say = (s: string): void => {
    out.push(s);
    console.log(s);
  };
  say(machineLine());
  installRuntime();
  const tStart = now();
  const server = await DevServer.start({
    headless: true,
    dynamicConfig: DEFAULT_CONFIG ? {} : DYNAMIC_CONFIG,
  });
  let connection: NativeConnection | undefined;
  let backend: TemporalBackend | undefined;
  const workers: Worker[] = [];
  const running: Array<Promise<void>> = [];
  try {
    connection = await NativeConnection.connect({ address: server.address });
    const cQueue = `bench-cascadence-${randomUUID()}`;
    const bQueue = `bench-baseline-${randomUUID()}`;
    const registry = noopRegistry();
    const tBundle = now();
    const [cWorker, bWorker] = await Promise.all([
      createWorker({ connection, taskQueue: cQueue, registry, ...WORKER_SETTINGS }),
      bundleWorkflowCode({ workflowsPath: require.resolve('./baseline/workflows'), logger: quietLogger }).then(
        (workflowBundle) =>
          Worker.create({
            connection: connection as NativeConnection,
            namespace: 'default',
            taskQueue: bQueue,
            workflowBundle,
            activities: createBaselineActivities(),
            ...WORKER_SETTINGS,
          }),
      ),
    ]);
    const bundleMs = now() - tBundle;
    workers.push(cWorker, bWorker);
    for (const w of workers)
      running.push(w.run().catch((err: unknown) => console.error(`worker failed: ${String(err)}`)));

    backend = await TemporalBackend.connect({
      address: server.address,
      namespace: 'default',
      taskQueue: cQueue,
      hashSecret: '',
      registry,
      // A long-lived client, as the API is: flag checks before each run come from the watched catalogue.
      watchCatalogue: true,
    });
    const client = backend.client;
    const cascadence: Side = {
      name: 'Cascadence',
      async once() {
        const { runId, result } = await (backend as TemporalBackend).run({
          task: NOOP_TASK,
          userId: 'bench-user',
          groupId: 'bench-group',
          input: { n: 1 },
        });
        if (result !== 'ok') throw new Error(`Cascadence: unexpected result ${JSON.stringify(result)}`);
        return pipelineWorkflowId(NOOP_TASK, runId);
      },
    };
    const baseline: Side = {
      name: 'baseline',
      async once() {
        const handle = await client.workflow.start(baselineWorkflow, {
          taskQueue: bQueue,
          workflowId: `bench-baseline-${randomUUID()}`,
          args: [{ n: 1 }],
        });
        const result = await handle.result();
        if (result !== 'ok') throw new Error(`baseline: unexpected result ${JSON.stringify(result)}`);
        return handle.workflowId;
      },
    };
    const sides = [cascadence, baseline];
    say(
      `pipeline-temporal: dev server ${server.address} (started in ${round((tBundle - tStart) / 1000, 1)} s), bundles + workers ready in ${round(bundleMs / 1000, 1)} s`,
    );
    say(
      `dev server dynamic config: ${
        DEFAULT_CONFIG
          ? 'defaults (BENCH_TEMPORAL_DEFAULT_CONFIG=1)'
          : Object.entries(DYNAMIC_CONFIG)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')
      }`,
    );

    // Warm-up: sequential runs, then one concurrent batch, each side.
    for (let i = 0; i < WARMUP_SEQUENTIAL; i++) for (const s of sides) await s.once();
    for (const s of sides) await timedBatch(s, WARMUP_BATCH);

    // Latency: alternate run by run, swapping who goes first each time.
    const latency = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    const lastId = new Map<string, string>();
    for (let i = 0; i < LATENCY_RUNS; i++) {
      for (const s of i % 2 === 0 ? sides : [...sides].reverse()) {
        const t0 = now();
        lastId.set(s.name, await s.once());
        latency.get(s.name)?.push(now() - t0);
      }
    }
    const lat = new Map<string, Summary>(sides.map((s) => [s.name, summarize(latency.get(s.name) ?? [])]));

    // Throughput: ABBA batches.
    const batches = new Map<string, Batch[]>(sides.map((s) => [s.name, []]));
    for (let r = 0; r < BATCH_ROUNDS; r++) {
      for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
        batches.get(s.name)?.push(await timedBatch(s, BATCH, server.pid));
      }
    }
    const sum = (name: string, key: keyof Batch): number => (batches.get(name) ?? []).reduce((t, x) => t + x[key], 0);
    const rate = (name: string): number => round(sum(name, 'runs') / (sum(name, 'ms') / 1000), 1);
    const cpuPerRun = (name: string, key: 'processCpuMs' | 'serverCpuMs'): number =>
      round(sum(name, key) / sum(name, 'runs'), 2);

    const shape = new Map<string, { events: number; workflowTasks: number }>();
    for (const s of sides) shape.set(s.name, await historyShape(client, lastId.get(s.name) as string));

    const c = lat.get('Cascadence') as Summary;
    const b = lat.get('baseline') as Summary;
    const cRate = rate('Cascadence');
    const bRate = rate('baseline');
    const cs = shape.get('Cascadence') as { events: number; workflowTasks: number };
    const bs = shape.get('baseline') as { events: number; workflowTasks: number };
    // Latency: lower is better, ratio C/B <= 1.1. Throughput: higher is better, ratio C/B >= 1/1.1.
    const checks = {
      latencyP50: { ratio: ratio(c.p50, b.p50), met: c.p50 / b.p50 <= TARGET_RATIO },
      latencyP95: { ratio: ratio(c.p95, b.p95), met: c.p95 / b.p95 <= TARGET_RATIO },
      throughput: { ratio: ratio(cRate, bRate), met: cRate / bRate >= 1 / TARGET_RATIO },
    };
    say(
      table(
        `Temporal dev server, one worker process: ${LATENCY_RUNS} sequential runs each (latency, start -> result), ${BATCH_ROUNDS} x ${BATCH} runs at concurrency ${BATCH_CONCURRENCY} each (throughput)`,
        ['metric', 'Cascadence', 'baseline', 'ratio C/B', 'target', 'met'],
        [
          ['latency p50 (ms)', c.p50, b.p50, checks.latencyP50.ratio, '<= 1.1', verdict(checks.latencyP50.met)],
          ['latency p95 (ms)', c.p95, b.p95, checks.latencyP95.ratio, '<= 1.1', verdict(checks.latencyP95.met)],
          ['latency mean (ms)', c.mean, b.mean, ratio(c.mean, b.mean), '', ''],
          ['throughput (runs/s)', cRate, bRate, checks.throughput.ratio, '>= 0.909', verdict(checks.throughput.met)],
          [
            'CPU / run, bench process (ms)',
            cpuPerRun('Cascadence', 'processCpuMs'),
            cpuPerRun('baseline', 'processCpuMs'),
            ratio(cpuPerRun('Cascadence', 'processCpuMs'), cpuPerRun('baseline', 'processCpuMs')),
            '',
            '',
          ],
          [
            'CPU / run, dev server (ms)',
            cpuPerRun('Cascadence', 'serverCpuMs'),
            cpuPerRun('baseline', 'serverCpuMs'),
            ratio(cpuPerRun('Cascadence', 'serverCpuMs'), cpuPerRun('baseline', 'serverCpuMs')),
            '',
            '',
          ],
          ['history events / run', cs.events, bs.events, ratio(cs.events, bs.events), '', ''],
          [
            'workflow tasks / run',
            cs.workflowTasks,
            bs.workflowTasks,
            ratio(cs.workflowTasks, bs.workflowTasks),
            '',
            '',
          ],
        ],
      ),
    );
    say(
      'target: Cascadence within 10% of the baseline (information, not an assertion). Cascadence per run also: memo + 3 search attributes at start, one describeTask local activity, ~10 audit sink calls, status/audit query handlers.',
    );

    const path = await writeResults(DEFAULT_CONFIG ? 'pipeline-temporal-default-config' : 'pipeline-temporal', {
      settings: {
        devServerDynamicConfig: DEFAULT_CONFIG ? 'defaults' : DYNAMIC_CONFIG,
        latencyRuns: LATENCY_RUNS,
        batch: BATCH,
        batchConcurrency: BATCH_CONCURRENCY,
        batchRounds: BATCH_ROUNDS,
        warmupSequential: WARMUP_SEQUENTIAL,
        warmupBatch: WARMUP_BATCH,
        worker: WORKER_SETTINGS,
      },
      cascadence: {
        latencyMs: c,
        runsPerSec: cRate,
        cpuPerRunMs: {
          process: cpuPerRun('Cascadence', 'processCpuMs'),
          server: cpuPerRun('Cascadence', 'serverCpuMs'),
        },
        batches: batches.get('Cascadence'),
        history: cs,
      },
      baseline: {
        latencyMs: b,
        runsPerSec: bRate,
        cpuPerRunMs: { process: cpuPerRun('baseline', 'processCpuMs'), server: cpuPerRun('baseline', 'serverCpuMs') },
        batches: batches.get('baseline'),
        history: bs,
      },
      targetRatio: TARGET_RATIO,
      checks,
      totalSeconds: round((now() - tStart) / 1000, 1),
      output: out.join('\n'),
    });
    console.log(`\nresults: ${path}`);
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
    await backend?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server.stop();
  }
}

runMain(main);
