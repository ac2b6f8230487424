/**
 * Cascadence on Temporal against a hand-written minimal workflow, on one dev server started
 * here, in the same run:
 *
 *  - regular stages: the no-op five-stage task through `pipelineWorkflow`, started and awaited
 *    by `TemporalBackend.run` on a client that shares the worker's connection (eager workflow
 *    start, as in `task dev` and an app embedding client and worker): search attributes, the
 *    workflow, five stage activities.
 *  - local stages: the same task with `stageMode: 'local'` (five local activities, one or two
 *    workflow tasks), started the same way.
 *  - regular stages without eager start (information): the same as the first on a client with
 *    its own connection, as a CLI on another machine starts runs.
 *  - baseline: `bench/baseline/workflows.ts`, five no-op activities in sequence via
 *    `proxyActivities`, its own bundle, worker and task queue, started with
 *    `client.workflow.start` on a plain client.
 *
 * Both workers share one connection and the same settings. After a warm-up: sequential runs
 * for latency (start -> result, p50/p95), rotating the sides run by run; then concurrent
 * batches for throughput, in ABBA order generalised to every side (forward, reversed, ...).
 * Prints the ratios to the baseline side by side with issue 14's targets as information:
 * regular stages within 5% (p50, p95, throughput), local stages at least 2x the throughput.
 *
 * Run: `npm run bench -- pipeline-temporal`, or
 * `node -r ts-node/register/transpile-only bench/pipeline-temporal.ts`.
 */
import { randomUUID } from 'node:crypto';
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
import { NOOP_LOCAL_TASK, NOOP_TASK, noopRegistry } from './lib/noop-task';
import {
  cpuOf,
  machineLine,
  now,
  pool,
  ratio,
  round,
  runMain,
  summarize,
  table,
  transcript,
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
/** Regular stages within 5% of the baseline: latency ratio at most this. */
const TARGET_RATIO = 1.05;
/** Throughput of regular stages: at least 95% of the baseline's. */
const TARGET_THROUGHPUT = 0.95;
/** Throughput of local-activity stages: at least twice the baseline's. */
const TARGET_LOCAL_THROUGHPUT = 2;

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

/** Side names, in the order the table shows them. */
const REGULAR = 'regular stages';
const LOCAL = 'local stages';
const NO_EAGER = 'regular, no eager start';
const BASELINE = 'baseline';

/** `sides` in the order of round `r`: rotated by `r` (latency: each side goes first in turn). */
const rotated = <T>(sides: readonly T[], r: number): T[] => sides.map((_s, i) => sides[(i + r) % sides.length] as T);

async function main(): Promise<void> {
  const { say, text } = transcript();
  say(machineLine());
  installRuntime();
  const tStart = now();
  const server = await DevServer.start({
    headless: true,
    dynamicConfig: DEFAULT_CONFIG ? {} : DYNAMIC_CONFIG,
  });
  let connection: NativeConnection | undefined;
  const backends: TemporalBackend[] = [];
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

    const backendOptions = {
      address: server.address,
      namespace: 'default',
      taskQueue: cQueue,
      hashSecret: '',
      registry,
      // A long-lived client, as the API is: flag checks before each run come from the watched catalogue.
      watchCatalogue: true,
    };
    // Shares the worker's connection: runs start eagerly on this process's worker.
    const eager = await TemporalBackend.connect({ ...backendOptions, workerConnection: connection });
    backends.push(eager);
    // Its own connection, as a client on another machine: the usual start.
    const plain = await TemporalBackend.connect(backendOptions);
    backends.push(plain);
    const client = plain.client;
    const cascadence = (name: string, backend: TemporalBackend, task: string): Side => ({
      name,
      async once() {
        const { runId, result } = await backend.run({
          task,
          userId: 'bench-user',
          groupId: 'bench-group',
          input: { n: 1 },
        });
        if (result !== 'ok') throw new Error(`${name}: unexpected result ${JSON.stringify(result)}`);
        return pipelineWorkflowId(task, runId);
      },
    });
    const baseline: Side = {
      name: BASELINE,
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
    const sides = [
      cascadence(REGULAR, eager, NOOP_TASK),
      cascadence(LOCAL, eager, NOOP_LOCAL_TASK),
      cascadence(NO_EAGER, plain, NOOP_TASK),
      baseline,
    ];
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

    // Latency: one run per side in turn, rotating who goes first.
    const latency = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    const lastId = new Map<string, string>();
    for (let i = 0; i < LATENCY_RUNS; i++) {
      for (const s of rotated(sides, i)) {
        const t0 = now();
        lastId.set(s.name, await s.once());
        latency.get(s.name)?.push(now() - t0);
      }
    }
    const lat = new Map<string, Summary>(sides.map((s) => [s.name, summarize(latency.get(s.name) ?? [])]));

    // Throughput: ABBA generalised (forward, reversed, reversed, forward, ...).
    const batches = new Map<string, Batch[]>(sides.map((s) => [s.name, []]));
    for (let r = 0; r < BATCH_ROUNDS; r++) {
      const order = r % 4 === 0 || r % 4 === 3 ? sides : [...sides].reverse();
      for (const s of order) batches.get(s.name)?.push(await timedBatch(s, BATCH, server.pid));
    }
    const sum = (name: string, key: keyof Batch): number => (batches.get(name) ?? []).reduce((t, x) => t + x[key], 0);
    const rate = (name: string): number => round(sum(name, 'runs') / (sum(name, 'ms') / 1000), 1);
    const cpuPerRun = (name: string, key: 'processCpuMs' | 'serverCpuMs'): number =>
      round(sum(name, key) / sum(name, 'runs'), 2);

    const shape = new Map<string, { events: number; workflowTasks: number }>();
    for (const s of sides) shape.set(s.name, await historyShape(client, lastId.get(s.name) as string));

    const b = lat.get(BASELINE) as Summary;
    const bRate = rate(BASELINE);
    const checks = {
      latencyP50: {
        ratio: ratio((lat.get(REGULAR) as Summary).p50, b.p50),
        met: (lat.get(REGULAR) as Summary).p50 / b.p50 <= TARGET_RATIO,
      },
      latencyP95: {
        ratio: ratio((lat.get(REGULAR) as Summary).p95, b.p95),
        met: (lat.get(REGULAR) as Summary).p95 / b.p95 <= TARGET_RATIO,
      },
      throughput: { ratio: ratio(rate(REGULAR), bRate), met: rate(REGULAR) / bRate >= TARGET_THROUGHPUT },
      localThroughput: { ratio: ratio(rate(LOCAL), bRate), met: rate(LOCAL) / bRate >= TARGET_LOCAL_THROUGHPUT },
    };
    const shown = [REGULAR, LOCAL, NO_EAGER, BASELINE];
    /** A row: the figure per side, then the regular and local ratios to the baseline. */
    const row = (
      metric: string,
      of: (name: string) => number,
      targets: [string, string, string, string] = ['', '', '', ''],
    ) => [
      metric,
      ...shown.map(of),
      ratio(of(REGULAR), of(BASELINE)),
      targets[0],
      targets[1],
      ratio(of(LOCAL), of(BASELINE)),
      targets[2],
      targets[3],
    ];
    const p = (name: string) => lat.get(name) as Summary;
    say(
      table(
        `Temporal dev server, one worker process: ${LATENCY_RUNS} sequential runs each (latency, start -> result), ${BATCH_ROUNDS} x ${BATCH} runs at concurrency ${BATCH_CONCURRENCY} each (throughput); ratios are to the baseline`,
        ['metric', REGULAR, LOCAL, NO_EAGER, BASELINE, 'regular/B', 'target', 'met', 'local/B', 'target', 'met'],
        [
          row('latency p50 (ms)', (n) => p(n).p50, ['<= 1.05', verdict(checks.latencyP50.met), '', '']),
          row('latency p95 (ms)', (n) => p(n).p95, ['<= 1.05', verdict(checks.latencyP95.met), '', '']),
          row('latency mean (ms)', (n) => p(n).mean),
          row('throughput (runs/s)', rate, [
            `>= ${TARGET_THROUGHPUT}`,
            verdict(checks.throughput.met),
            `>= ${TARGET_LOCAL_THROUGHPUT}`,
            verdict(checks.localThroughput.met),
          ]),
          row('CPU / run, bench process (ms)', (n) => cpuPerRun(n, 'processCpuMs')),
          row('CPU / run, dev server (ms)', (n) => cpuPerRun(n, 'serverCpuMs')),
          row('history events / run', (n) => (shape.get(n) as { events: number }).events),
          row('workflow tasks / run', (n) => (shape.get(n) as { workflowTasks: number }).workflowTasks),
        ],
      ),
    );
    say(
      `targets (information, not assertions): regular stages within 5% of the baseline (p50, p95, throughput); local stages at least ${TARGET_LOCAL_THROUGHPUT}x its throughput. ` +
        'Cascadence per run also: 3 search attributes at start (no memo), ~10 audit sink calls, status/audit query handlers; ' +
        `"${NO_EAGER}" is the first side started from a client with its own connection.`,
    );

    const sideResult = (name: string) => ({
      latencyMs: lat.get(name),
      runsPerSec: rate(name),
      cpuPerRunMs: { process: cpuPerRun(name, 'processCpuMs'), server: cpuPerRun(name, 'serverCpuMs') },
      batches: batches.get(name),
      history: shape.get(name),
    });
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
        eagerStart: 'regular and local stages start eagerly (client on the worker connection); the baseline does not',
      },
      // Regular stages (eager start); `local` the same task with local-activity stages.
      cascadence: sideResult(REGULAR),
      local: sideResult(LOCAL),
      noEagerStart: sideResult(NO_EAGER),
      baseline: sideResult(BASELINE),
      targetRatio: TARGET_RATIO,
      targetThroughput: TARGET_THROUGHPUT,
      targetLocalThroughput: TARGET_LOCAL_THROUGHPUT,
      checks,
      totalSeconds: round((now() - tStart) / 1000, 1),
      output: text(),
    });
    console.log(`\nresults: ${path}`);
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
    for (const backend of backends) await backend.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server.stop();
  }
}

runMain(main);
