/**
 * Memory and start-up of `task worker`, the built CLI as a child process, on a real dev server
 * started here, with the prebuilt workflow bundle of `npm run build` (dist/workflow-bundle.js)
 * against the same worker bundling the workflows with webpack at start
 * (`CASCADENCE_WORKFLOW_BUNDLE=off`, what every worker did before), in the same run:
 *
 *  - start-up, several spawns per side in ABBA order, each on a fresh task queue: time from
 *    spawn to the first workflow poller the server lists (DescribeTaskQueue), to the
 *    "worker polling" line, and the CPU the process used until then;
 *  - idle RSS: VmRSS of the child (from /proc), a few seconds after its first poll, and its
 *    peak so far (VmHWM: the bundling's high-water mark);
 *  - in flight: the last spawn of each side takes `BENCH_WORKER_PIPELINES` (1,000) pipelines of
 *    bench/lib/hold-task.js, whose intake holds while a file exists, all stages running at once
 *    (`--max-concurrent-activities` as many); VmRSS sampled while they start and are held; then
 *    they are terminated.
 *
 * Targets (issue 14, information only): idle under 150 MiB, 1,000 pipelines in flight under
 * 300 MiB. Needs `dist/` with a fresh prebuilt bundle (`npm run build`; `npm run bench` builds first).
 *
 * Run: `npm run bench -- worker-memory`, or
 * `node -r ts-node/register/transpile-only bench/worker-memory.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DEV_DYNAMIC_CONFIG, DevServer } from '../src/dev/dev-server';
import { TemporalBackend } from '../src/backends/temporal';
import { pipelineWorkflowId } from '../src/core/ids';
import { createDefaultRegistry, loadTaskModules } from '../src/plugins';
import { findPrebuiltBundle } from '../src/worker/bundle';
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

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'bin', 'run.js');
const DIST = join(ROOT, 'dist');
const TASK_MODULE = join(__dirname, 'lib', 'hold-task.js');
const TASK = 'bench-hold';
const PIPELINES = Number(process.env.BENCH_WORKER_PIPELINES ?? 1000);
/** The workers' `--max-concurrent-activities`: by default every held intake runs at once (the worst case). */
const MAX_ACTIVITIES = Number(process.env.BENCH_WORKER_MAX_ACTIVITIES ?? PIPELINES);
/** The workers' `--max-cached-workflows`, when set (default: the SDK's, from the machine's memory). */
const MAX_CACHED = process.env.BENCH_WORKER_MAX_CACHED;
/** Spawns per side for start-up and idle RSS; the last of each also takes the pipelines. */
const ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 3);
/** How long after its first poll a worker is left alone before its idle RSS is read. */
const IDLE_SETTLE_MS = 5000;
/** How long the pipelines are held once every intake runs, sampling RSS. */
const HOLD_MS = 10_000;
const START_CONCURRENCY = 50;
const TARGET_IDLE_MIB = 150;
const TARGET_INFLIGHT_MIB = 300;
/** Extra Node options of the worker processes, both sides (e.g. `--max-semi-space-size=4`), to try settings. */
const NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** The two workers compared: the same CLI and flags, only the bundle differs. */
const PREBUILT = 'prebuilt bundle';
const IN_PROCESS = 'bundled at start';
/** The SDK's floor (information): a bare `Worker.create` on the same prebuilt bundle, start-up and idle only. */
const BARE = 'bare SDK worker';
const BARE_SCRIPT = join(__dirname, 'lib', 'bare-worker.js');
const SIDES: ReadonlyArray<{ name: string; env: NodeJS.ProcessEnv; bare?: boolean }> = [
  { name: PREBUILT, env: {} },
  { name: IN_PROCESS, env: { CASCADENCE_WORKFLOW_BUNDLE: 'off' } },
  { name: BARE, env: {}, bare: true },
];

/** /proc/<pid>/status fields in MiB (VmRSS: now, VmHWM: peak); NaN where there is no /proc. */
function memoryOf(pid: number | undefined): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: round(kib('VmRSS') / 1024, 1), hwm: round(kib('VmHWM') / 1024, 1) };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => summarize(xs).p50;

/** One spawned worker. */
interface Spawned {
  child: ChildProcess;
  spawnedAt: number;
  /** When stdout said "worker polling". */
  logLineAt?: number;
  output: string[];
  exited: Promise<number | null>;
}

function spawnWorker(address: string, queue: string, env: NodeJS.ProcessEnv, bare = false): Spawned {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, CASCADENCE_TASK_MODULES: TASK_MODULE };
  for (const key of [
    'NODE_OPTIONS',
    'CASCADENCE_CONFIG',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  ])
    delete childEnv[key];
  if (!('CASCADENCE_WORKFLOW_BUNDLE' in env)) delete childEnv.CASCADENCE_WORKFLOW_BUNDLE;
  const spawnedAt = now();
  const child = spawn(
    process.execPath,
    bare
      ? [...NODE_ARGS, BARE_SCRIPT, address, queue, join(DIST, 'workflow-bundle.js')]
      : [
          ...NODE_ARGS,
          BIN,
          'worker',
          '--address',
          address,
          '--task-queue',
          queue,
          '--max-concurrent-activities',
          String(MAX_ACTIVITIES),
          ...(MAX_CACHED === undefined ? [] : ['--max-cached-workflows', MAX_CACHED]),
        ],
    { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const spawned: Spawned = {
    child,
    spawnedAt,
    output: [],
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
  };
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    spawned.output.push(text);
    if (spawned.output.length > 200) spawned.output.shift();
    if (spawned.logLineAt === undefined && text.includes('worker polling')) spawned.logLineAt = now();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return spawned;
}

/** Resolves when the server lists a workflow poller on `queue` (the worker's first poll). */
async function firstPoll(client: Client, queue: string, worker: Spawned, timeoutMs = 120_000): Promise<number> {
  const deadline = now() + timeoutMs;
  let exitCode: number | null | undefined;
  void worker.exited.then((code) => (exitCode = code));
  while (now() < deadline) {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((pollers ?? []).length > 0) return now();
    if (exitCode !== undefined) throw new Error(`worker exited ${exitCode}: ${worker.output.join('').trim()}`);
    await sleep(20);
  }
  throw new Error(`no poller on ${queue} after ${timeoutMs} ms: ${worker.output.join('').trim()}`);
}

async function stopWorker(worker: Spawned): Promise<void> {
  worker.child.kill('SIGTERM');
  const code = await Promise.race([worker.exited, sleep(20_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
}

/** What one spawn measured. */
interface StartSample {
  side: string;
  firstPollMs: number;
  logLineMs: number;
  cpuAtFirstPollMs: number;
  idleRssMiB: number;
  startPeakRssMiB: number;
}

/** What the in-flight phase of one side measured. */
interface InFlight {
  pipelines: number;
  /** Intakes running at once (the rest, if any, wait in the queue). */
  stagesRunning: number;
  /** First start to every intake running (or every activity slot taken). */
  allRunningAfterMs: number;
  peakRssMiB: number;
  /** Median of the samples while all were held. */
  heldRssMiB: number;
  hwmMiB: number;
  samples: number;
}

async function holdPipelines(
  server: DevServer,
  queue: string,
  worker: Spawned,
  dir: string,
  say: (s: string) => void,
): Promise<InFlight> {
  const journal = join(dir, 'journal');
  const registry = loadTaskModules(createDefaultRegistry(), [TASK_MODULE]);
  const backend = await TemporalBackend.connect({
    address: server.address,
    namespace: 'default',
    taskQueue: queue,
    hashSecret: '',
    registry,
  });
  const rss: number[] = [];
  const held: number[] = [];
  let holding = false;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rss: r } = memoryOf(worker.child.pid);
      rss.push(r);
      if (holding) held.push(r);
      await sleep(250);
    }
  })();
  const runIds: string[] = [];
  const t0 = now();
  try {
    await pool(PIPELINES, START_CONCURRENCY, async () => {
      runIds.push(await backend.start({ task: TASK, userId: 'bench-user', groupId: 'bench-group' }));
    });
    const started = (): number =>
      existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter(Boolean).length : 0;
    const deadline = now() + 300_000;
    // With fewer activity slots than pipelines, the rest wait in the queue (their workflows cached).
    const expected = Math.min(PIPELINES, MAX_ACTIVITIES);
    while (started() < expected && now() < deadline) await sleep(250);
    const running = started();
    const allRunningAfterMs = now() - t0;
    if (running < expected)
      say(`  only ${running} of ${PIPELINES} intakes running after ${round(allRunningAfterMs / 1000, 1)} s`);
    holding = true;
    await sleep(HOLD_MS);
    sampling = false;
    await sampler;
    const hwm = memoryOf(worker.child.pid).hwm;
    return {
      pipelines: runIds.length,
      stagesRunning: running,
      allRunningAfterMs: round(allRunningAfterMs, 0),
      peakRssMiB: Math.max(...rss.filter((x) => Number.isFinite(x))),
      heldRssMiB: median(held),
      hwmMiB: hwm,
      samples: rss.length,
    };
  } finally {
    sampling = false;
    await sampler;
    await pool(runIds.length, START_CONCURRENCY, (i) =>
      backend.client.workflow
        .getHandle(pipelineWorkflowId(TASK, runIds[i] as string))
        .terminate('bench done')
        .catch(() => undefined),
    );
    await backend.close();
  }
}

async function main(): Promise<void> {
  const { say, text } = transcript();
  say(machineLine());
  if (!existsSync(join(DIST, 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const lookup = () =>
    findPrebuiltBundle([], { dir: DIST, workflowsPath: join(DIST, 'workflows', 'index.js'), env: {} });
  const prebuilt = lookup();
  if (!prebuilt.ok)
    throw new Error(`the prebuilt workflow bundle is not usable (${prebuilt.reason}): run \`npm run build\` first`);
  say(`prebuilt bundle: ${prebuilt.bundle.codePath}`);
  const server = await DevServer.start({ headless: true, dynamicConfig: DEV_DYNAMIC_CONFIG });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const dir = join(tmpdir(), `cascadence-bench-worker-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  const samples: StartSample[] = [];
  const inflight = new Map<string, InFlight>();
  try {
    say(
      `worker-memory: dev server ${server.address}; ${ROUNDS} spawns per side (ABBA), ${PIPELINES} pipelines in flight on the last`,
    );
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? SIDES : [...SIDES].reverse();
      for (const side of order) {
        const last = r === ROUNDS - 1 && !side.bare;
        // A rebuild of dist/ meanwhile would make this side bundle at start too.
        const fresh = lookup();
        if (side.name === PREBUILT && !fresh.ok)
          throw new Error(`the prebuilt bundle went stale during the run: ${fresh.reason}`);
        const queue = `bench-worker-${randomUUID()}`;
        const block = join(dir, 'block');
        writeFileSync(block, '');
        rmSync(join(dir, 'journal'), { force: true });
        const worker = spawnWorker(
          server.address,
          queue,
          {
            ...side.env,
            BENCH_HOLD_JOURNAL: join(dir, 'journal'),
            BENCH_HOLD_BLOCK: block,
            CASCADENCE_STATE_PATH: join(dir, `state-${randomUUID()}.json`),
          },
          side.bare,
        );
        try {
          const polledAt = await firstPoll(client, queue, worker);
          const cpu = cpuOf(worker.child.pid);
          await sleep(IDLE_SETTLE_MS);
          const idle: number[] = [];
          for (let i = 0; i < 5; i++) {
            idle.push(memoryOf(worker.child.pid).rss);
            await sleep(200);
          }
          const sample: StartSample = {
            side: side.name,
            firstPollMs: round(polledAt - worker.spawnedAt, 0),
            logLineMs: worker.logLineAt === undefined ? NaN : round(worker.logLineAt - worker.spawnedAt, 0),
            cpuAtFirstPollMs: cpu,
            idleRssMiB: median(idle),
            startPeakRssMiB: memoryOf(worker.child.pid).hwm,
          };
          samples.push(sample);
          say(
            `  ${side.name}: first poll ${sample.firstPollMs} ms (CPU ${sample.cpuAtFirstPollMs} ms), idle ${sample.idleRssMiB} MiB, peak so far ${sample.startPeakRssMiB} MiB`,
          );
          if (last) {
            const held = await holdPipelines(server, queue, worker, dir, say);
            inflight.set(side.name, held);
            say(
              `  ${side.name}: ${held.pipelines} pipelines in flight (${held.stagesRunning} stages running) after ${round(held.allRunningAfterMs / 1000, 1)} s, RSS peak ${held.peakRssMiB} MiB, held ${held.heldRssMiB} MiB`,
            );
          }
        } finally {
          rmSync(block, { force: true });
          await stopWorker(worker);
        }
      }
    }
  } finally {
    await connection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const bySide = (name: string, key: keyof Omit<StartSample, 'side'>): Summary =>
    summarize(samples.filter((s) => s.side === name).map((s) => s[key]));
  const stats = Object.fromEntries(
    SIDES.map((s) => [
      s.name,
      {
        firstPollMs: bySide(s.name, 'firstPollMs'),
        logLineMs: bySide(s.name, 'logLineMs'),
        cpuAtFirstPollMs: bySide(s.name, 'cpuAtFirstPollMs'),
        idleRssMiB: bySide(s.name, 'idleRssMiB'),
        startPeakRssMiB: bySide(s.name, 'startPeakRssMiB'),
        inflight: inflight.get(s.name),
      },
    ]),
  ) as Record<
    string,
    {
      firstPollMs: Summary;
      logLineMs: Summary;
      cpuAtFirstPollMs: Summary;
      idleRssMiB: Summary;
      startPeakRssMiB: Summary;
      inflight?: InFlight;
    }
  >;
  const a = stats[PREBUILT];
  const b = stats[IN_PROCESS];
  if (!a || !b) throw new Error('a side has no samples');
  const f = stats[BARE];
  const rows: Array<[string, number, number, number]> = [
    ['spawn to first poll, median (ms)', a.firstPollMs.p50, b.firstPollMs.p50, f?.firstPollMs.p50 ?? NaN],
    ['spawn to "worker polling" line, median (ms)', a.logLineMs.p50, b.logLineMs.p50, f?.logLineMs.p50 ?? NaN],
    [
      'CPU until first poll, median (ms)',
      a.cpuAtFirstPollMs.p50,
      b.cpuAtFirstPollMs.p50,
      f?.cpuAtFirstPollMs.p50 ?? NaN,
    ],
    ['idle RSS, median (MiB)', a.idleRssMiB.p50, b.idleRssMiB.p50, f?.idleRssMiB.p50 ?? NaN],
    [
      'peak RSS during start-up, median (MiB)',
      a.startPeakRssMiB.p50,
      b.startPeakRssMiB.p50,
      f?.startPeakRssMiB.p50 ?? NaN,
    ],
    [
      `RSS peak, ${PIPELINES} pipelines in flight (MiB)`,
      a.inflight?.peakRssMiB ?? NaN,
      b.inflight?.peakRssMiB ?? NaN,
      NaN,
    ],
    [
      `RSS while ${PIPELINES} are held, median (MiB)`,
      a.inflight?.heldRssMiB ?? NaN,
      b.inflight?.heldRssMiB ?? NaN,
      NaN,
    ],
    [
      `first start to all intakes running (ms)`,
      a.inflight?.allRunningAfterMs ?? NaN,
      b.inflight?.allRunningAfterMs ?? NaN,
      NaN,
    ],
  ];
  say(
    table(
      `task worker: ${PREBUILT} (dist/workflow-bundle.js) vs ${IN_PROCESS} (CASCADENCE_WORKFLOW_BUNDLE=off), ${ROUNDS} spawns each; ${BARE}: Worker.create on the same bundle, nothing else (the floor, information)`,
      ['figure', PREBUILT, IN_PROCESS, 'ratio', BARE],
      rows.map(([name, x, y, z]) => [name, x, y, ratio(x, y), Number.isNaN(z) ? '-' : z]),
    ),
  );
  const idleMet = a.idleRssMiB.p50 < TARGET_IDLE_MIB;
  const inflightPeak = a.inflight?.peakRssMiB ?? NaN;
  const inflightMet = inflightPeak < TARGET_INFLIGHT_MIB;
  say(
    `target: idle under ${TARGET_IDLE_MIB} MiB: ${verdict(idleMet)} (${a.idleRssMiB.p50} MiB; bundled at start ${b.idleRssMiB.p50} MiB)`,
  );
  say(
    `target: ${PIPELINES} pipelines in flight under ${TARGET_INFLIGHT_MIB} MiB: ${verdict(inflightMet)} (peak ${inflightPeak} MiB; bundled at start ${b.inflight?.peakRssMiB ?? NaN} MiB)`,
  );
  const baselineLabel = 'same worker, bundled at start';
  const path = await writeResults('worker-memory', {
    settings: {
      pipelines: PIPELINES,
      maxConcurrentActivities: MAX_ACTIVITIES,
      maxCachedWorkflows: MAX_CACHED === undefined ? null : Number(MAX_CACHED),
      rounds: ROUNDS,
      idleSettleMs: IDLE_SETTLE_MS,
      holdMs: HOLD_MS,
      nodeArgs: NODE_ARGS,
    },
    sides: stats,
    samples,
    figures: [
      {
        figure: 'worker idle RSS (median)',
        unit: 'MiB',
        value: a.idleRssMiB.p50,
        baseline: b.idleRssMiB.p50,
        baselineLabel,
        ratio: ratio(a.idleRssMiB.p50, b.idleRssMiB.p50),
        target: `< ${TARGET_IDLE_MIB} MiB`,
        met: idleMet,
      },
      {
        figure: `worker RSS, ${PIPELINES.toLocaleString('en')} pipelines in flight (peak)`,
        unit: 'MiB',
        value: inflightPeak,
        baseline: b.inflight?.peakRssMiB ?? null,
        baselineLabel,
        ratio: b.inflight ? ratio(inflightPeak, b.inflight.peakRssMiB) : null,
        target: `< ${TARGET_INFLIGHT_MIB} MiB`,
        met: Number.isFinite(inflightPeak) ? inflightMet : null,
      },
      {
        figure: 'worker start to first poll (median)',
        unit: 'ms',
        value: a.firstPollMs.p50,
        baseline: b.firstPollMs.p50,
        baselineLabel,
        ratio: ratio(a.firstPollMs.p50, b.firstPollMs.p50),
        target: 'information',
        met: null,
      },
    ],
    output: text(),
  });
  console.log(`\nresults: ${path}`);
}

runMain(main);
