/**
 * DAGs, in two parts, each against a baseline measured in the same run:
 *
 *  1. Validation and ordering: `validateDag` on a random acyclic DAG of 10,000 nodes and 50,000
 *     edges (seeded), against a minimal hand-written Kahn topological sort over the same edge
 *     list with plain arrays (and, for information, the same sort over the definition's string
 *     ids with Maps). Median of several runs after a warm-up. Target: validateDag under 200 ms.
 *  2. A 1,000-node layered DAG of no-op nodes (20 layers of 50, each node depending on 2 nodes
 *     of the previous layer) through `TemporalBackend.runDag` on a dev server started here,
 *     with a worker in this process: once with child-workflow nodes, once with child-workflow
 *     nodes whose task runs its stage as a local activity (`stageMode: 'local'`), once with
 *     `lightweight` (inline activity) nodes. The wall time is compared with the critical-path bound =
 *     layers x the median wall time of a single-node DAG run (same node kind, same server);
 *     the DAG workflow's history length is fetched and checked against Temporal's 51,200-event
 *     limit.
 *
 * Run: `npm run bench -- dag`, or `node -r ts-node/register/transpile-only bench/dag.ts`.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { installRuntime } from '../src/cli/worker-process';
import { DEV_DYNAMIC_CONFIG, DevServer } from '../src/dev/dev-server';
import { getWorkflowBundle } from '../src/worker/bundle';
import { auditSinks } from '../src/worker/create-worker';
import { createStageActivities } from '../src/activities/stages';
import { CircuitBreakers } from '../src/activities/circuit-breaker';
import { TemporalBackend } from '../src/backends/temporal';
import { validateDag } from '../src/core/dag/validate';
import { dagWorkflowId } from '../src/core/ids';
import type { DagDefinition, DagNode } from '../src/core/dag/types';
import type { DagStatus } from '../src/core/dag/run';
import { dagStatusQuery } from '../src/workflows/messages';
import { TaskRegistry } from '../src/plugins/registry';
import type { Task } from '../src/core';
import {
  cpuOf,
  machineLine,
  mulberry32,
  now,
  ratio,
  round,
  runMain,
  summarize,
  table,
  transcript,
  verdict,
  writeResults,
} from './lib/harness';

// ---------------------------------------------------------------------------------------------
// Settings

const VALIDATE_NODES = Number(process.env.BENCH_DAG_VALIDATE_NODES ?? 10_000);
const VALIDATE_EDGES = Number(process.env.BENCH_DAG_VALIDATE_EDGES ?? 50_000);
const VALIDATE_WARMUP = 3;
const VALIDATE_RUNS = Number(process.env.BENCH_DAG_VALIDATE_RUNS ?? 11);
/** validateDag on 10,000 nodes / 50,000 edges under 200 ms. */
const VALIDATE_TARGET_MS = 200;
const SEED = 0x5eed_da6;

const LAYERS = Number(process.env.BENCH_DAG_LAYERS ?? 20);
const WIDTH = Number(process.env.BENCH_DAG_WIDTH ?? 50);
/** Each node of a layer after the first depends on this many nodes of the previous layer. */
const FAN_IN = 2;
const SINGLE_WARMUP = 2;
const SINGLE_RUNS = Number(process.env.BENCH_DAG_SINGLE_RUNS ?? 5);
/** A big DAG run that has not finished by then is stopped (status queried, workflow terminated). */
const DEADLINE_S = Number(process.env.BENCH_DAG_DEADLINE_S ?? 300);
/** When the full child-workflow DAG misses the deadline, this many layers are run instead. */
const FALLBACK_LAYERS = 5;
/** Temporal's default per-workflow history limit (`limit.historyCount.error`). */
const HISTORY_LIMIT = 51_200;

const DYNAMIC_CONFIG = DEV_DYNAMIC_CONFIG;

/**
 * Worker settings for 2 cores shared with the dev server. The workflows run in one V8 context
 * (reuseV8Context, the SDK default) on one thread: a second thread would compete with the dev
 * server for the same two cores. `createWorker` takes only the activity limit, so the worker is
 * composed here from the same parts (the shared bundle, `createStageActivities`, `auditSinks`).
 */
const WORKER_SETTINGS = {
  shutdownGraceTime: '2s',
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentLocalActivityExecutions: 100,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentWorkflowTaskPolls: 10,
  maxConcurrentActivityTaskPolls: 10,
  workflowThreadPoolSize: 1,
} as const;

const TASK = 'bench-dag-noop';
/** The node task: only `run`, returning a small constant. */
const noopNode: Task = { description: 'benchmark: one no-op run stage', run: () => 1 };
/** The same task with its stage a local activity (the `child-local` node kind). */
const LOCAL_TASK = 'bench-dag-noop-local';
const noopLocalNode: Task = { ...noopNode, options: { stageMode: 'local' } };

/** How the DAG's nodes run: child pipelines (regular or local-activity stages), or lightweight. */
type NodeKind = 'child' | 'child-local' | 'lightweight';
const KINDS: readonly NodeKind[] = ['child', 'child-local', 'lightweight'];
const KIND_LABEL: Record<NodeKind, string> = {
  child: 'child workflow',
  'child-local': 'child workflow, local stage',
  lightweight: 'lightweight',
};

// ---------------------------------------------------------------------------------------------
// Part 1: validation and ordering

/** `edges` distinct edges between `nodes` nodes, each from a lower to a higher index (so acyclic). */
function randomEdges(nodes: number, edges: number, seed: number): { from: number[]; to: number[] } {
  const rand = mulberry32(seed);
  const seen = new Set<number>();
  const from: number[] = [];
  const to: number[] = [];
  while (from.length < edges) {
    const j = 1 + Math.floor(rand() * (nodes - 1));
    const i = Math.floor(rand() * j);
    const key = i * nodes + j;
    if (seen.has(key)) continue;
    seen.add(key);
    from.push(i);
    to.push(j);
  }
  return { from, to };
}

/** The same edges as a DAG definition: node `n<j>` depends on `n<i>` for each edge i -> j. */
function definitionOf(nodes: number, edges: { from: number[]; to: number[] }): DagDefinition {
  const deps: string[][] = Array.from({ length: nodes }, () => []);
  for (let e = 0; e < edges.from.length; e++) deps[edges.to[e] as number]?.push(`n${edges.from[e]}`);
  return {
    name: 'bench-validate',
    nodes: deps.map((d, i) => ({ id: `n${i}`, task: TASK, ...(d.length > 0 ? { dependsOn: d } : {}) })),
  };
}

/** Baseline: Kahn's algorithm over the edge list, plain arrays of numbers. Returns the order. */
function kahnArrays(nodes: number, from: readonly number[], to: readonly number[]): number[] {
  const indegree: number[] = new Array<number>(nodes).fill(0);
  const out: number[][] = [];
  for (let i = 0; i < nodes; i++) out.push([]);
  for (let e = 0; e < from.length; e++) {
    const t = to[e] as number;
    (out[from[e] as number] as number[]).push(t);
    indegree[t] = (indegree[t] as number) + 1;
  }
  const queue: number[] = [];
  for (let i = 0; i < nodes; i++) if (indegree[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    for (const next of out[queue[head] as number] as number[]) {
      const left = (indegree[next] as number) - 1;
      indegree[next] = left;
      if (left === 0) queue.push(next);
    }
  }
  if (queue.length !== nodes) throw new Error('baseline: cycle');
  return queue;
}

/** Second baseline (information): the same sort over the definition itself, string ids and Maps. */
function kahnStrings(def: DagDefinition): string[] {
  const indegree = new Map<string, number>();
  const out = new Map<string, string[]>();
  for (const n of def.nodes) {
    indegree.set(n.id, 0);
    out.set(n.id, []);
  }
  for (const n of def.nodes) {
    for (const d of n.dependsOn ?? []) out.get(d)?.push(n.id);
    indegree.set(n.id, (n.dependsOn ?? []).length);
  }
  const queue: string[] = [];
  for (const [id, k] of indegree) if (k === 0) queue.push(id);
  for (let head = 0; head < queue.length; head++) {
    for (const next of out.get(queue[head] as string) ?? []) {
      const left = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  if (queue.length !== def.nodes.length) throw new Error('baseline: cycle');
  return queue;
}

/** Checks `order` (node indexes) puts every edge's source before its target. */
function checkOrder(order: readonly number[], nodes: number, edges: { from: number[]; to: number[] }): void {
  if (order.length !== nodes) throw new Error(`order has ${order.length} nodes, expected ${nodes}`);
  const pos = new Array<number>(nodes).fill(-1);
  order.forEach((n, k) => (pos[n] = k));
  for (let e = 0; e < edges.from.length; e++) {
    if ((pos[edges.from[e] as number] as number) >= (pos[edges.to[e] as number] as number))
      throw new Error(`order breaks edge n${edges.from[e]} -> n${edges.to[e]}`);
  }
}

interface ValidationResult {
  nodes: number;
  edges: number;
  validateDagMs: ReturnType<typeof summarize>;
  baselineArraysMs: ReturnType<typeof summarize>;
  baselineStringsMs: ReturnType<typeof summarize>;
  /** Median CPU time of this process per call (all threads, so GC helpers count): less moved by other processes than wall time. */
  cpuMedianMs: { validateDag: number; baselineArrays: number; baselineStrings: number };
  ratio: number;
  ratioToStrings: number;
  targetMs: number;
  met: boolean;
}

function benchValidation(say: (s: string) => void): ValidationResult {
  const edges = randomEdges(VALIDATE_NODES, VALIDATE_EDGES, SEED);
  const def = definitionOf(VALIDATE_NODES, edges);
  const knownTasks = new Set([TASK]);
  const index = (id: string): number => Number(id.slice(1));

  // Correctness first (untimed): both orders respect every edge.
  checkOrder(validateDag(def, { knownTasks }).order.map(index), VALIDATE_NODES, edges);
  checkOrder(kahnArrays(VALIDATE_NODES, edges.from, edges.to), VALIDATE_NODES, edges);
  checkOrder(kahnStrings(def).map(index), VALIDATE_NODES, edges);

  const sides: Array<[string, () => unknown]> = [
    ['validateDag', () => validateDag(def, { knownTasks })],
    ['arrays', () => kahnArrays(VALIDATE_NODES, edges.from, edges.to)],
    ['strings', () => kahnStrings(def)],
  ];
  const samples = new Map<string, number[]>(sides.map(([n]) => [n, []]));
  const cpuSamples = new Map<string, number[]>(sides.map(([n]) => [n, []]));
  for (let i = 0; i < VALIDATE_WARMUP; i++) for (const [, fn] of sides) fn();
  for (let i = 0; i < VALIDATE_RUNS; i++) {
    // Rotate who goes first, so a GC owed by one side does not always land on the next.
    for (let k = 0; k < sides.length; k++) {
      const [name, fn] = sides[(i + k) % sides.length] as [string, () => unknown];
      const c0 = process.cpuUsage();
      const t0 = now();
      fn();
      samples.get(name)?.push(now() - t0);
      const c = process.cpuUsage(c0);
      cpuSamples.get(name)?.push((c.user + c.system) / 1000);
    }
  }
  const v = summarize(samples.get('validateDag') ?? []);
  const a = summarize(samples.get('arrays') ?? []);
  const s = summarize(samples.get('strings') ?? []);
  const cpu = (name: string): number => summarize(cpuSamples.get(name) ?? []).p50;
  const result: ValidationResult = {
    nodes: VALIDATE_NODES,
    edges: VALIDATE_EDGES,
    validateDagMs: v,
    baselineArraysMs: a,
    baselineStringsMs: s,
    cpuMedianMs: { validateDag: cpu('validateDag'), baselineArrays: cpu('arrays'), baselineStrings: cpu('strings') },
    ratio: ratio(v.p50, a.p50),
    ratioToStrings: ratio(v.p50, s.p50),
    targetMs: VALIDATE_TARGET_MS,
    met: v.p50 < VALIDATE_TARGET_MS,
  };
  say(
    table(
      `validation and ordering: random acyclic DAG, ${VALIDATE_NODES} nodes, ${VALIDATE_EDGES} edges (seed ${SEED}); ${VALIDATE_RUNS} runs each after ${VALIDATE_WARMUP} warm-up, interleaved; ms`,
      ['what', 'median', 'min', 'p95', 'max', 'ratio to baseline', 'median CPU'],
      [
        [
          'validateDag (ids, dependencies, knownTasks, order)',
          v.p50,
          v.min,
          v.p95,
          v.max,
          result.ratio,
          result.cpuMedianMs.validateDag,
        ],
        ['baseline: Kahn, plain number arrays', a.p50, a.min, a.p95, a.max, 1, result.cpuMedianMs.baselineArrays],
        [
          'info: Kahn over the definition, string ids + Maps',
          s.p50,
          s.min,
          s.p95,
          s.max,
          ratio(s.p50, a.p50),
          result.cpuMedianMs.baselineStrings,
        ],
      ],
    ),
  );
  say(
    `target: validateDag under ${VALIDATE_TARGET_MS} ms (median): ${verdict(result.met)} (${v.p50} ms; ${result.ratio}x the array baseline, ${result.ratioToStrings}x the string-id baseline)`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// Part 2: a 1,000-node DAG on the dev server

/** `layers` layers of `width` nodes; each node after the first layer depends on FAN_IN distinct nodes of the previous one (seeded). */
function layeredDag(name: string, layers: number, width: number, kind: NodeKind): DagDefinition {
  const rand = mulberry32(SEED + layers * 1000 + width);
  const id = (l: number, i: number): string => `l${l}-n${i}`;
  const nodes: DagNode[] = [];
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < width; i++) {
      const deps = new Set<string>();
      if (l > 0) while (deps.size < Math.min(FAN_IN, width)) deps.add(id(l - 1, Math.floor(rand() * width)));
      nodes.push({
        id: id(l, i),
        task: kind === 'child-local' ? LOCAL_TASK : TASK,
        ...(deps.size > 0 ? { dependsOn: [...deps] } : {}),
        ...(kind === 'lightweight' ? { lightweight: true } : {}),
      });
    }
  }
  return { name, nodes };
}

/** The DAG workflow's history: events, workflow tasks, and the size the server reports. */
interface HistoryShape {
  events: number;
  workflowTasks: number;
  childWorkflowsStarted: number;
  activitiesScheduled: number;
  sizeBytes?: number;
  underLimit: boolean;
}

async function historyShape(client: Client, workflowId: string): Promise<HistoryShape> {
  const handle = client.workflow.getHandle(workflowId);
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const description = await handle.describe();
  return {
    events: events.length,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    childWorkflowsStarted: events.filter((e) => e.childWorkflowExecutionStartedEventAttributes).length,
    activitiesScheduled: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
    ...(description.historySize === undefined ? {} : { sizeBytes: description.historySize }),
    underLimit: events.length < HISTORY_LIMIT,
  };
}

/** One big DAG run: finished (with figures), or stopped at the deadline (with how far it got). */
interface BigRun {
  kind: NodeKind;
  layers: number;
  width: number;
  nodes: number;
  finished: boolean;
  wallMs: number;
  /** Nodes in state success at the end (or at the deadline). */
  succeeded: number;
  nodesPerSec: number;
  processCpuMs: number;
  serverCpuMs: number;
  history?: HistoryShape;
}

async function main(): Promise<void> {
  const { say, text } = transcript();
  say(machineLine());
  const tStart = now();

  const validation = benchValidation(say);

  installRuntime();
  const server = await DevServer.start({ headless: true, dynamicConfig: DYNAMIC_CONFIG });
  let connection: NativeConnection | undefined;
  let backend: TemporalBackend | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  try {
    connection = await NativeConnection.connect({ address: server.address });
    const taskQueue = `bench-dag-${randomUUID()}`;
    const registry = new TaskRegistry().register(TASK, noopNode).register(LOCAL_TASK, noopLocalNode);
    const tWorker = now();
    worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue,
      workflowBundle: await getWorkflowBundle(),
      activities: createStageActivities({ registry, breakers: new CircuitBreakers() }),
      sinks: auditSinks(undefined),
      ...WORKER_SETTINGS,
    });
    const workerMs = now() - tWorker;
    running = worker.run().catch((err: unknown) => console.error(`worker failed: ${String(err)}`));
    backend = await TemporalBackend.connect({
      address: server.address,
      namespace: 'default',
      taskQueue,
      hashSecret: '',
      registry,
    });
    const b = backend;
    const client = b.client;
    say(
      `\ndev server ${server.address}, dynamic config ${Object.entries(DYNAMIC_CONFIG)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}; bundle + worker ready in ${round(workerMs / 1000, 1)} s`,
    );
    say(
      `worker: ${Object.entries(WORKER_SETTINGS)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );

    /** One DAG run through `runDag`; returns its wall time (start -> result) after checking every node succeeded. */
    const runOnce = async (def: DagDefinition): Promise<number> => {
      const t0 = now();
      const result = await b.runDag({ definition: def, userId: 'bench-user', groupId: 'bench-group' });
      const ms = now() - t0;
      const bad = Object.entries(result.nodes).filter(([, s]) => s.state !== 'success');
      if (result.state !== 'completed' || bad.length > 0)
        throw new Error(`dag ${def.name}: ${result.state}, ${bad.length} nodes not successful`);
      return ms;
    };

    // Single-node DAG runs (the per-layer unit of the critical-path bound), alternating the kinds.
    const single = Object.fromEntries(KINDS.map((k) => [k, layeredDag(`bench-single-${k}`, 1, 1, k)])) as Record<
      NodeKind,
      DagDefinition
    >;
    const singleSamples = async (): Promise<Record<NodeKind, number[]>> => {
      const s: Record<NodeKind, number[]> = { child: [], 'child-local': [], lightweight: [] };
      for (let i = 0; i < SINGLE_RUNS; i++) {
        for (const kind of i % 2 === 0 ? KINDS : [...KINDS].reverse()) s[kind].push(await runOnce(single[kind]));
      }
      return s;
    };
    for (let i = 0; i < SINGLE_WARMUP; i++) for (const kind of KINDS) await runOnce(single[kind]);
    const singleBefore = await singleSamples();

    /** Runs a big layered DAG with a deadline; on the deadline, records its progress and terminates it. */
    const big = async (kind: NodeKind, layers: number): Promise<BigRun> => {
      const def = layeredDag(`bench-${kind}-${layers}x${WIDTH}`, layers, WIDTH, kind);
      const runId = randomUUID();
      const workflowId = dagWorkflowId(def.name, runId);
      const cpu0 = process.cpuUsage();
      const server0 = cpuOf(server.pid);
      const t0 = now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((r) => (timer = setTimeout(() => r('deadline'), DEADLINE_S * 1000)));
      const run = b.runDag({ definition: def, userId: 'bench-user', groupId: 'bench-group', runId });
      const outcome = await Promise.race([run, deadline]).finally(() => clearTimeout(timer));
      const wallMs = now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const serverCpuMs = round(cpuOf(server.pid) - server0, 0);
      const processCpuMs = round((cpu.user + cpu.system) / 1000, 0);
      const nodes = layers * WIDTH;
      if (outcome === 'deadline') {
        run.catch(() => undefined);
        const handle = client.workflow.getHandle(workflowId);
        const status = (await handle.query(dagStatusQuery).catch(() => undefined)) as DagStatus | undefined;
        const history = await historyShape(client, workflowId);
        await handle.terminate('bench deadline').catch(() => undefined);
        const succeeded = status?.counts.success ?? NaN;
        return {
          kind,
          layers,
          width: WIDTH,
          nodes,
          finished: false,
          wallMs: round(wallMs, 0),
          succeeded,
          nodesPerSec: round(succeeded / (wallMs / 1000), 1),
          processCpuMs,
          serverCpuMs,
          history,
        };
      }
      const bad = Object.values(outcome.nodes).filter((s) => s.state !== 'success').length;
      if (outcome.state !== 'completed' || bad > 0)
        throw new Error(`dag ${def.name}: ${outcome.state}, ${bad} nodes not successful`);
      if (Object.keys(outcome.outputs).length !== nodes || Object.values(outcome.outputs).some((o) => o !== 1))
        throw new Error(`dag ${def.name}: expected ${nodes} outputs of 1`);
      return {
        kind,
        layers,
        width: WIDTH,
        nodes,
        finished: true,
        wallMs: round(wallMs, 0),
        succeeded: nodes,
        nodesPerSec: round(nodes / (wallMs / 1000), 1),
        processCpuMs,
        serverCpuMs,
        history: await historyShape(client, workflowId),
      };
    };

    say(`\nrunning ${LAYERS} x ${WIDTH} = ${LAYERS * WIDTH} lightweight nodes ...`);
    const light = await big('lightweight', LAYERS);
    say(
      `  ${light.finished ? 'finished' : `STOPPED at the ${DEADLINE_S} s deadline`} in ${round(light.wallMs / 1000, 1)} s`,
    );
    say(`running ${LAYERS} x ${WIDTH} = ${LAYERS * WIDTH} child-workflow nodes ...`);
    const child = await big('child', LAYERS);
    say(
      `  ${child.finished ? 'finished' : `STOPPED at the ${DEADLINE_S} s deadline after ${child.succeeded} of ${child.nodes} nodes`} in ${round(child.wallMs / 1000, 1)} s`,
    );
    say(`running ${LAYERS} x ${WIDTH} = ${LAYERS * WIDTH} child-workflow nodes with a local-activity stage ...`);
    const childLocal = await big('child-local', LAYERS);
    say(
      `  ${childLocal.finished ? 'finished' : `STOPPED at the ${DEADLINE_S} s deadline after ${childLocal.succeeded} of ${childLocal.nodes} nodes`} in ${round(childLocal.wallMs / 1000, 1)} s`,
    );
    let childFallback: BigRun | undefined;
    if (!child.finished) {
      say(
        `running a smaller child-workflow DAG instead: ${FALLBACK_LAYERS} x ${WIDTH} = ${FALLBACK_LAYERS * WIDTH} nodes ...`,
      );
      childFallback = await big('child', FALLBACK_LAYERS);
      say(
        `  ${childFallback.finished ? 'finished' : 'STOPPED at the deadline too'} in ${round(childFallback.wallMs / 1000, 1)} s`,
      );
    }

    const singleAfter = await singleSamples();
    const byKind = <T>(f: (k: NodeKind) => T): Record<NodeKind, T> =>
      Object.fromEntries(KINDS.map((k) => [k, f(k)])) as Record<NodeKind, T>;
    const unit = byKind((k) => summarize([...singleBefore[k], ...singleAfter[k]]));
    const unitBefore = byKind((k) => summarize(singleBefore[k]));
    const unitAfter = byKind((k) => summarize(singleAfter[k]));

    const cpuPerNode = (r: BigRun): number => round((r.processCpuMs + r.serverCpuMs) / r.succeeded, 1);
    const rows = [light, child, childLocal, ...(childFallback ? [childFallback] : [])].map((r) => {
      const boundMs = round(r.layers * unit[r.kind].p50, 0);
      return {
        run: r,
        boundMs,
        wallOverBound: ratio(r.wallMs, boundMs),
        cpuPerNodeMs: cpuPerNode(r),
        // Against the default node kind (child pipelines with regular stages) of the same run.
        cpuPerNodeVsChild: ratio(cpuPerNode(r), cpuPerNode(child)),
      };
    });
    say(
      table(
        `single-node DAG through runDag (the critical-path unit): ${SINGLE_RUNS} runs each before and ${SINGLE_RUNS} after the big runs, alternating; ms`,
        ['node kind', 'median (all)', 'median before', 'median after', 'min', 'max'],
        KINDS.map((k) => [KIND_LABEL[k], unit[k].p50, unitBefore[k].p50, unitAfter[k].p50, unit[k].min, unit[k].max]),
      ),
    );
    say(
      table(
        `layered DAG through runDag (each node depends on ${FAN_IN} of the previous layer); bound = layers x single-node median`,
        [
          'node kind',
          'nodes',
          'finished',
          'wall (s)',
          'bound (s)',
          'wall / bound',
          'nodes/s',
          'CPU bench process (s)',
          'CPU dev server (s)',
          'CPU / node (ms)',
          'CPU / node vs child',
          `CPU floor on ${cpus().length} cores (s)`,
        ],
        rows.map(({ run: r, boundMs, wallOverBound, cpuPerNodeMs, cpuPerNodeVsChild }) => [
          `${KIND_LABEL[r.kind]} (${r.layers}x${r.width})`,
          r.nodes,
          r.finished ? 'yes' : `NO: ${r.succeeded} done at deadline`,
          round(r.wallMs / 1000, 2),
          round(boundMs / 1000, 2),
          r.finished ? wallOverBound : NaN,
          r.nodesPerSec,
          round(r.processCpuMs / 1000, 1),
          round(r.serverCpuMs / 1000, 1),
          cpuPerNodeMs,
          cpuPerNodeVsChild,
          round((r.processCpuMs + r.serverCpuMs) / 1000 / cpus().length, 1),
        ]),
      ),
    );
    say(
      table(
        `the DAG workflow's own history (fetched after the run); Temporal's limit: ${HISTORY_LIMIT} events`,
        [
          'node kind',
          'nodes',
          'events',
          'events / node',
          'workflow tasks',
          'children started',
          'activities',
          'size (KiB)',
          'under limit',
          'limit at ~nodes',
        ],
        rows.map(({ run: r }) => {
          const h = r.history as HistoryShape;
          return [
            `${KIND_LABEL[r.kind]} (${r.layers}x${r.width})${r.finished ? '' : ' (stopped)'}`,
            r.nodes,
            h.events,
            r.finished ? round(h.events / r.nodes, 2) : 'n/a',
            h.workflowTasks,
            h.childWorkflowsStarted,
            h.activitiesScheduled,
            h.sizeBytes === undefined ? 'n/a' : round(h.sizeBytes / 1024, 0),
            h.underLimit ? 'yes' : 'NO',
            r.finished ? Math.floor(HISTORY_LIMIT / (h.events / r.nodes)) : 'n/a',
          ];
        }),
      ),
    );
    if (!child.finished)
      say(
        `NOTE: the ${child.nodes}-node child-workflow DAG did not finish within ${DEADLINE_S} s on this machine (${child.succeeded} nodes done); its figures above are partial, and the ${childFallback?.nodes}-node run is reported instead.`,
      );
    say(
      'wall / bound is information, not an assertion: the bound assumes each layer costs one single-node DAG run, however wide. CPU floor = (bench process + dev server CPU) / cores: the wall time no scheduling could beat on this machine, even alone on it. limit at ~nodes = 51,200 / (events / node).',
    );

    const path = await writeResults('dag', {
      settings: {
        validation: {
          nodes: VALIDATE_NODES,
          edges: VALIDATE_EDGES,
          seed: SEED,
          warmup: VALIDATE_WARMUP,
          runs: VALIDATE_RUNS,
        },
        layered: {
          layers: LAYERS,
          width: WIDTH,
          fanIn: FAN_IN,
          deadlineSeconds: DEADLINE_S,
          fallbackLayers: FALLBACK_LAYERS,
        },
        singleRuns: SINGLE_RUNS,
        singleWarmup: SINGLE_WARMUP,
        devServerDynamicConfig: DYNAMIC_CONFIG,
        worker: WORKER_SETTINGS,
      },
      validation,
      singleNodeMs: { all: unit, before: unitBefore, after: unitAfter },
      layered: rows.map(({ run: r, ...figures }) => ({ ...r, ...figures })),
      historyLimit: HISTORY_LIMIT,
      totalSeconds: round((now() - tStart) / 1000, 1),
      output: text(),
    });
    console.log(`\nresults: ${path}`);
  } finally {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await backend?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server.stop();
  }
}

runMain(main);
