/**
 * In-process throughput of the `base` backend: the no-op five-stage task through
 * `BaseBackend.run` (the real `PipelineRun` algorithm) with bounded concurrency, against a
 * hand-written floor that makes the same five stage calls and writes the same ten audit
 * records per pipeline, side by side in the same process.
 *
 *  (a) MemoryAuditStore        target >= 20,000 pipelines/s
 *  (b) JsonlAuditStore (tmp)   target >= 1,000 pipelines/s (time includes flushing to disk)
 *  (c) steadiness: one sequence of 100,000 runs on the JSONL store; rate over runs 1..1,000
 *      vs runs 99,001..100,000 (target: the same rate). Run twice: with one event-loop turn
 *      between runs (as real stages doing I/O would give), and as a tight loop (the no-op
 *      stages never give the event loop a turn: the store's synchronous flush at 64 KiB is what
 *      keeps it bounded).
 *  (d) memory: one tight-loop sequence of 1,000,000 runs (BENCH_LONG_RUNS) on the JSONL store:
 *      RSS at run 100,000 vs at the end (target: flat, within 10%), and the most the store ever
 *      held unwritten (target: at most 8 MiB; it flushes at 64 KiB). Each sample is taken after
 *      a full garbage collection (`npm run bench` runs node with --expose-gc): without it, RSS
 *      follows the heap's capacity, which V8 grows and shrinks with the allocation rate
 *      (76-170 MiB in one sequence), not what the process holds.
 *
 * Run: `npm run bench -- pipeline-base`, or
 * `node -r ts-node/register/transpile-only bench/pipeline-base.ts`.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseBackend } from '../src/backends/base';
import { JsonlAuditStore, MemoryAuditStore, type AuditStore } from '../src/events/audit-store';
import type { AuditRecord } from '../src/core';
import { NOOP_TASK, noFlags, noopRegistry, noopTask } from './lib/noop-task';
import { machineLine, now, pool, ratio, round, runMain, table, transcript, verdict, writeResults } from './lib/harness';

const CONCURRENCY = Number(process.env.BENCH_BASE_CONCURRENCY ?? 64);
const WARMUP_RUNS = 3_000;
/** Runs per measured chunk; each variant gets ROUNDS chunks, alternating with its baseline. */
const MEMORY_CHUNK = 25_000;
const JSONL_CHUNK = 10_000;
const ROUNDS = 2;
const STEADY_RUNS = Number(process.env.BENCH_STEADY_RUNS ?? 100_000);
const STEADY_WINDOW = 1_000;
/** (d): runs of the long tight-loop sequence, and where its memory is first compared. */
const LONG_RUNS = Number(process.env.BENCH_LONG_RUNS ?? 1_000_000);
const LONG_FROM = Math.min(100_000, LONG_RUNS / 10);
/** (d) targets: RSS at the end within this factor of RSS at LONG_FROM; unwritten bytes at most this. */
const LONG_RSS_BAND = 1.1;
const MAX_UNWRITTEN = 8 * 2 ** 20;

const TARGET_MEMORY = 20_000;
const TARGET_JSONL = 1_000;
/** "Same rate": late/early within this band counts as steady. */
const STEADY_BAND = 0.1;

const REQUEST = { task: NOOP_TASK, userId: 'bench-user', groupId: 'bench-group', input: { n: 1 } };

/** One measured chunk: wall time and this process's CPU time (all threads). */
interface Chunk {
  runs: number;
  ms: number;
  cpuMs: number;
}

/** Times `fn` in wall and CPU milliseconds. */
async function measure(runs: number, fn: () => Promise<void>): Promise<Chunk> {
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await fn();
  const ms = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { runs, ms: round(ms, 1), cpuMs: round((cpu.user + cpu.system) / 1000, 1) };
}

function rateOf(chunks: Chunk[]): number {
  const runs = chunks.reduce((s, c) => s + c.runs, 0);
  const ms = chunks.reduce((s, c) => s + c.ms, 0);
  return round(runs / (ms / 1000), 0);
}

/** CPU microseconds per pipeline (less disturbed than wall time by other processes on the machine). */
function cpuPerRun(chunks: Chunk[]): number {
  const runs = chunks.reduce((s, c) => s + c.runs, 0);
  const cpuMs = chunks.reduce((s, c) => s + c.cpuMs, 0);
  return round((cpuMs * 1000) / runs, 1);
}

/** A backend over the no-op registry and the given store. */
function backendWith(audit: AuditStore): BaseBackend {
  return new BaseBackend({ registry: noopRegistry(), state: noFlags(), hashSecret: '', audit });
}

/** `runs` pipelines through the base backend, CONCURRENCY in flight; time includes closing (flushing) the store. */
function cascadenceChunk(audit: AuditStore, runs: number): Promise<Chunk> {
  const backend = backendWith(audit);
  return measure(runs, async () => {
    await pool(runs, CONCURRENCY, async () => {
      const { result } = await backend.run(REQUEST);
      if (result !== 'ok') throw new Error(`unexpected result ${JSON.stringify(result)}`);
    });
    await backend.close();
  });
}

/**
 * The hand-written floor: per pipeline, the five stage methods awaited in sequence and ten
 * audit records (started/success per stage) of the same shape handed to `sink`.
 */
function baselineChunk(sink: (r: AuditRecord) => void, runs: number, end?: () => Promise<void>): Promise<Chunk> {
  const stages = ['intake', 'research', 'plan', 'run', 'verify'] as const;
  return measure(runs, async () => {
    await pool(runs, CONCURRENCY, async (i) => {
      const runId = `run-${i}`;
      let out: unknown;
      for (const stage of stages) {
        const base = { task: NOOP_TASK, stage, run_id: runId, user_hash: 'u', group_hash: 'g' };
        sink({ ...base, status: 'started', time: new Date().toISOString() });
        out = await (noopTask[stage] as () => unknown)();
        sink({ ...base, status: 'success', output: JSON.stringify(out), time: new Date().toISOString() });
      }
      if (out !== 'ok') throw new Error('baseline: unexpected result');
    });
    await end?.();
  });
}

/** A JSON Lines sink on a raw write stream (what JsonlAuditStore does, without the store). */
function rawJsonl(path: string): { sink: (r: AuditRecord) => void; end: () => Promise<void> } {
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  return {
    sink: (r) => void stream.write(`${JSON.stringify(r)}\n`),
    end: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}

/** Rate of the `size` runs ending at completion count `upTo`, from the completion marks. */
function windowRate(marks: Map<number, number>, upTo: number, size = STEADY_WINDOW): number {
  const end = marks.get(upTo);
  const start = marks.get(upTo - size);
  if (end === undefined || start === undefined) return NaN;
  return round(size / ((end - start) / 1000), 0);
}

/** One event-loop turn (lets the write stream's I/O callbacks run). */
const loopTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Result of one steadiness sequence. */
interface Steady {
  early: number;
  late: number;
  ratio: number;
  met: boolean;
  earlyTenth: number;
  lateTenth: number;
  tenthsRatio: number;
  tenthsMet: boolean;
  slowestWindow: number;
  medianWindow: number;
  wholeSequencePerSec: number;
  finalFlushMs: number;
  fileMiB: number;
  memory: Array<{ runs: number; rssMiB: number; heapMiB: number; unwrittenMiB: number }>;
  windowsPerSec: number[];
}

/** One sequence of STEADY_RUNS runs on a fresh JSONL store, marking the completion time of every STEADY_WINDOW-th. */
async function steadySequence(path: string, turnBetweenRuns: boolean): Promise<Steady> {
  const store = new JsonlAuditStore(path);
  const backend = backendWith(store);
  const marks = new Map<number, number>();
  const memory: Steady['memory'] = [];
  const t0 = now();
  marks.set(0, t0);
  await pool(
    STEADY_RUNS,
    CONCURRENCY,
    async () => {
      await backend.run(REQUEST);
      if (turnBetweenRuns) await loopTurn();
    },
    (completed) => {
      if (completed % STEADY_WINDOW === 0) marks.set(completed, now());
      if (completed % (STEADY_RUNS / 10) === 0) {
        const m = process.memoryUsage();
        memory.push({
          runs: completed,
          rssMiB: round(m.rss / 2 ** 20, 0),
          heapMiB: round(m.heapUsed / 2 ** 20, 0),
          unwrittenMiB: round(store.pendingBytes / 2 ** 20, 1),
        });
      }
    },
  );
  const tRuns = now();
  await backend.close();
  const tClosed = now();
  const early = windowRate(marks, STEADY_WINDOW);
  const late = windowRate(marks, STEADY_RUNS);
  // Windows of 1,000 runs last tens of ms, so one GC pause moves them; tenths of the sequence are steadier.
  const tenth = STEADY_RUNS / 10;
  const earlyTenth = windowRate(marks, tenth, tenth);
  const lateTenth = windowRate(marks, STEADY_RUNS, tenth);
  const windowsPerSec = Array.from({ length: STEADY_RUNS / STEADY_WINDOW }, (_x, i) =>
    windowRate(marks, (i + 1) * STEADY_WINDOW),
  );
  const sorted = [...windowsPerSec].sort((a, b) => a - b);
  return {
    early,
    late,
    ratio: ratio(late, early),
    met: Math.abs(late / early - 1) <= STEADY_BAND,
    earlyTenth,
    lateTenth,
    tenthsRatio: ratio(lateTenth, earlyTenth),
    tenthsMet: Math.abs(lateTenth / earlyTenth - 1) <= STEADY_BAND,
    slowestWindow: sorted[0] ?? NaN,
    medianWindow: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    wholeSequencePerSec: round(STEADY_RUNS / ((tClosed - t0) / 1000), 0),
    finalFlushMs: round(tClosed - tRuns, 0),
    fileMiB: round(statSync(path).size / 2 ** 20, 0),
    memory,
    windowsPerSec,
  };
}

/** Result of the long tight-loop sequence (d). */
interface Long {
  runs: number;
  rssFromMiB: number;
  rssEndMiB: number;
  rssMet: boolean;
  maxUnwrittenKiB: number;
  unwrittenMet: boolean;
  /** Whether each sample followed a full GC (node ran with --expose-gc). */
  afterGc: boolean;
  samples: Array<{ runs: number; rssMiB: number; heapMiB: number }>;
}

/** A full garbage collection, when node runs with --expose-gc. */
const collect = (globalThis as { gc?: () => void }).gc;

/** (d): LONG_RUNS runs in a tight loop on one JSONL store, sampling RSS and the store's unwritten bytes. */
async function longSequence(path: string): Promise<Long> {
  const store = new JsonlAuditStore(path);
  const backend = backendWith(store);
  const samples: Long['samples'] = [];
  let maxUnwritten = 0;
  await pool(
    LONG_RUNS,
    CONCURRENCY,
    () => backend.run(REQUEST),
    (completed) => {
      if (store.pendingBytes > maxUnwritten) maxUnwritten = store.pendingBytes;
      if (completed % LONG_FROM === 0) {
        collect?.();
        const m = process.memoryUsage();
        samples.push({ runs: completed, rssMiB: round(m.rss / 2 ** 20, 0), heapMiB: round(m.heapUsed / 2 ** 20, 1) });
      }
    },
  );
  await backend.close();
  const from = samples.find((m) => m.runs === LONG_FROM)?.rssMiB ?? NaN;
  const end = samples.at(-1)?.rssMiB ?? NaN;
  return {
    runs: LONG_RUNS,
    rssFromMiB: from,
    rssEndMiB: end,
    rssMet: end <= from * LONG_RSS_BAND,
    maxUnwrittenKiB: round(maxUnwritten / 1024, 1),
    unwrittenMet: maxUnwritten <= MAX_UNWRITTEN,
    afterGc: collect !== undefined,
    samples,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-bench-base-'));
  const { say, text } = transcript();
  try {
    say(machineLine());
    say(`pipeline-base: no-op five-stage task, BaseBackend.run, ${CONCURRENCY} in flight`);

    // Warm-up: both code paths, both stores, so the JIT has seen everything measured below.
    await cascadenceChunk(new MemoryAuditStore(), WARMUP_RUNS);
    await cascadenceChunk(new JsonlAuditStore(join(dir, 'warm.jsonl')), WARMUP_RUNS);
    await baselineChunk(() => undefined, WARMUP_RUNS);
    const warmRaw = rawJsonl(join(dir, 'warm-raw.jsonl'));
    await baselineChunk(warmRaw.sink, WARMUP_RUNS, warmRaw.end);

    // (a) and (b): alternate Cascadence and its baseline, ABBA, a fresh store per chunk.
    const memC: Chunk[] = [];
    const memB: Chunk[] = [];
    const diskC: Chunk[] = [];
    const diskB: Chunk[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const memPair = [
        async () => memC.push(await cascadenceChunk(new MemoryAuditStore(), MEMORY_CHUNK)),
        async () => {
          const records: AuditRecord[] = [];
          memB.push(await baselineChunk((rec) => void records.push(rec), MEMORY_CHUNK));
        },
      ];
      for (const step of r % 2 === 0 ? memPair : memPair.reverse()) await step();
      const diskPair = [
        async () => diskC.push(await cascadenceChunk(new JsonlAuditStore(join(dir, `c${r}.jsonl`)), JSONL_CHUNK)),
        async () => {
          const raw = rawJsonl(join(dir, `b${r}.jsonl`));
          diskB.push(await baselineChunk(raw.sink, JSONL_CHUNK, raw.end));
        },
      ];
      for (const step of r % 2 === 0 ? diskPair : diskPair.reverse()) await step();
    }
    const memRate = rateOf(memC);
    const memBase = rateOf(memB);
    const diskRate = rateOf(diskC);
    const diskBase = rateOf(diskB);
    const lineBytes = statSync(join(dir, 'c0.jsonl')).size / (JSONL_CHUNK * 10);

    say(
      table(
        '(a)/(b) throughput, pipelines/s (time includes flushing the store); CPU = this process, all threads',
        ['store', 'Cascadence', 'baseline', 'ratio C/B', 'target', 'met', 'CPU µs/run C', 'CPU µs/run B'],
        [
          [
            'MemoryAuditStore',
            memRate,
            memBase,
            ratio(memRate, memBase),
            `>= ${TARGET_MEMORY}`,
            verdict(memRate >= TARGET_MEMORY),
            cpuPerRun(memC),
            cpuPerRun(memB),
          ],
          [
            'JsonlAuditStore',
            diskRate,
            diskBase,
            ratio(diskRate, diskBase),
            `>= ${TARGET_JSONL}`,
            verdict(diskRate >= TARGET_JSONL),
            cpuPerRun(diskC),
            cpuPerRun(diskB),
          ],
        ],
      ),
    );
    const perCpuSecond = (chunks: Chunk[]): number => round(1e6 / cpuPerRun(chunks), 0);
    say(
      `on CPU time (less moved by other processes than wall time): MemoryAuditStore ${perCpuSecond(memC)} pipelines per CPU-second (baseline ${perCpuSecond(memB)}), JsonlAuditStore ${perCpuSecond(diskC)} (baseline ${perCpuSecond(diskB)})`,
    );
    say(
      `baseline = the five stage methods awaited in sequence + the same 10 audit records per pipeline (to an array / a raw write stream); ${ROUNDS} alternating chunks of ${MEMORY_CHUNK} (memory) and ${JSONL_CHUNK} (JSONL) runs each; ~${Math.round(lineBytes)} bytes per audit line`,
    );

    // (c) steadiness, twice. The sequence with loop turns goes first: the tight loop leaves
    // ~300 MiB of garbage behind, whose collection would slow the next sequence's first windows.
    const turns = await steadySequence(join(dir, 'steady-turns.jsonl'), true);
    const tight = await steadySequence(join(dir, 'steady-tight.jsonl'), false);
    const tenth = STEADY_RUNS / 10;
    say(
      table(
        `(c) steadiness: one sequence of ${STEADY_RUNS} runs on JsonlAuditStore each, pipelines/s`,
        ['window', 'tight loop', 'loop turn between runs'],
        [
          [`runs 1..${STEADY_WINDOW}`, tight.early, turns.early],
          [`runs ${STEADY_RUNS - STEADY_WINDOW + 1}..${STEADY_RUNS}`, tight.late, turns.late],
          ['ratio late/early', tight.ratio, turns.ratio],
          [`target: within ±${STEADY_BAND * 100}%`, verdict(tight.met), verdict(turns.met)],
          [`runs 1..${tenth}`, tight.earlyTenth, turns.earlyTenth],
          [`runs ${STEADY_RUNS - tenth + 1}..${STEADY_RUNS}`, tight.lateTenth, turns.lateTenth],
          ['ratio late/early (tenths)', tight.tenthsRatio, turns.tenthsRatio],
          [`within ±${STEADY_BAND * 100}% (tenths)`, verdict(tight.tenthsMet), verdict(turns.tenthsMet)],
          [`slowest window of ${STEADY_WINDOW}`, tight.slowestWindow, turns.slowestWindow],
          [`median window of ${STEADY_WINDOW}`, tight.medianWindow, turns.medianWindow],
          ['whole sequence incl. final flush', tight.wholeSequencePerSec, turns.wholeSequencePerSec],
          ['final flush after last run (ms)', tight.finalFlushMs, turns.finalFlushMs],
          [
            'unwritten at the end (MiB)',
            tight.memory.at(-1)?.unwrittenMiB ?? NaN,
            turns.memory.at(-1)?.unwrittenMiB ?? NaN,
          ],
          ['rss at the end (MiB)', tight.memory.at(-1)?.rssMiB ?? NaN, turns.memory.at(-1)?.rssMiB ?? NaN],
        ],
      ),
    );
    for (const [name, s] of [
      ['tight loop', tight],
      ['loop turns', turns],
    ] as const) {
      say(
        `memory, ${name}: ${s.memory.map((m) => `${m.runs / 1000}k: rss ${m.rssMiB} / heap ${m.heapMiB} / unwritten ${m.unwrittenMiB} MiB`).join('; ')}`,
      );
    }

    // (d) one long tight loop: memory stays flat, the store's unwritten bytes stay bounded.
    const long = await longSequence(join(dir, 'long.jsonl'));
    say(
      table(
        `(d) memory over ${LONG_RUNS} runs on JsonlAuditStore, tight loop`,
        ['figure', 'value', 'baseline', 'ratio', 'target', 'met'],
        [
          [
            `rss at run ${LONG_RUNS} (MiB)`,
            long.rssEndMiB,
            long.rssFromMiB,
            ratio(long.rssEndMiB, long.rssFromMiB),
            `≤ ${LONG_RSS_BAND}× rss at run ${LONG_FROM}`,
            verdict(long.rssMet),
          ],
          [
            'most unwritten at once (KiB)',
            long.maxUnwrittenKiB,
            '',
            '',
            `≤ ${MAX_UNWRITTEN / 2 ** 20} MiB`,
            verdict(long.unwrittenMet),
          ],
        ],
      ),
    );
    say(
      `memory, long sequence${long.afterGc ? ', each after a full GC' : ' (no --expose-gc: RSS as it is, GC pending)'}: ${long.samples.map((m) => `${m.runs / 1000}k: rss ${m.rssMiB} / heap ${m.heapMiB} MiB`).join('; ')}`,
    );

    const path = await writeResults('pipeline-base', {
      settings: {
        concurrency: CONCURRENCY,
        warmupRuns: WARMUP_RUNS,
        memoryChunk: MEMORY_CHUNK,
        jsonlChunk: JSONL_CHUNK,
        rounds: ROUNDS,
        steadyRuns: STEADY_RUNS,
        steadyWindow: STEADY_WINDOW,
        steadyBand: STEADY_BAND,
      },
      memory: {
        pipelinesPerSec: memRate,
        baselinePerSec: memBase,
        ratio: ratio(memRate, memBase),
        target: TARGET_MEMORY,
        met: memRate >= TARGET_MEMORY,
        cpuMicrosPerRun: cpuPerRun(memC),
        pipelinesPerCpuSecond: round(1e6 / cpuPerRun(memC), 0),
        baselineCpuMicrosPerRun: cpuPerRun(memB),
        chunks: memC,
        baselineChunks: memB,
      },
      jsonl: {
        pipelinesPerSec: diskRate,
        baselinePerSec: diskBase,
        ratio: ratio(diskRate, diskBase),
        target: TARGET_JSONL,
        met: diskRate >= TARGET_JSONL,
        cpuMicrosPerRun: cpuPerRun(diskC),
        pipelinesPerCpuSecond: round(1e6 / cpuPerRun(diskC), 0),
        baselineCpuMicrosPerRun: cpuPerRun(diskB),
        bytesPerRecord: round(lineBytes, 0),
        chunks: diskC,
        baselineChunks: diskB,
      },
      steadiness: { tightLoop: tight, loopTurnBetweenRuns: turns },
      longRun: long,
      output: text(),
    });
    console.log(`\nresults: ${path}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
