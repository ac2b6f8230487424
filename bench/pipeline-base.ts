/**
 * In-process throughput of the `base` backend: the no-op five-stage task through
 * `BaseBackend.run` (the real `PipelineRun` algorithm) with bounded concurrency, against a
 * hand-written floor that makes the same five stage calls and writes the same ten audit
 * records per pipeline, side by side in the same process.
 *
 *  (a) MemoryAuditStore        target >= 20,000 pipelines/s
 *  (b) JsonlAuditStore (tmp)   target >= 1,000 pipelines/s (time includes flushing to disk)
 *  (c) steadiness: one sequence of 100,000 runs on the JSONL store; rate over runs 1..1,000
 *      vs runs 99,001..100,000 (target: the same rate)
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
import { now, pool, ratio, round, runMain, table, verdict, writeResults } from './lib/harness';

const CONCURRENCY = Number(process.env.BENCH_BASE_CONCURRENCY ?? 64);
const WARMUP_RUNS = 3_000;
/** Runs per measured chunk; each variant gets ROUNDS chunks, alternating with its baseline. */
const MEMORY_CHUNK = 25_000;
const JSONL_CHUNK = 10_000;
const ROUNDS = 2;
const STEADY_RUNS = Number(process.env.BENCH_STEADY_RUNS ?? 100_000);
const STEADY_WINDOW = 1_000;

const TARGET_MEMORY = 20_000;
const TARGET_JSONL = 1_000;
/** "Same rate": late/early within this band counts as steady. */
const STEADY_BAND = 0.1;

const REQUEST = { task: NOOP_TASK, userId: 'bench-user', groupId: 'bench-group', input: { n: 1 } };

/** One measured chunk. */
interface Chunk {
  runs: number;
  ms: number;
}

function rateOf(chunks: Chunk[]): number {
  const runs = chunks.reduce((s, c) => s + c.runs, 0);
  const ms = chunks.reduce((s, c) => s + c.ms, 0);
  return round(runs / (ms / 1000), 0);
}

/** A backend over the no-op registry and the given store. */
function backendWith(audit: AuditStore): BaseBackend {
  return new BaseBackend({ registry: noopRegistry(), state: noFlags(), hashSecret: '', audit });
}

/** `runs` pipelines through the base backend, CONCURRENCY in flight; time includes closing (flushing) the store. */
async function cascadenceChunk(audit: AuditStore, runs: number): Promise<Chunk> {
  const backend = backendWith(audit);
  const t0 = now();
  await pool(runs, CONCURRENCY, async () => {
    const { result } = await backend.run(REQUEST);
    if (result !== 'ok') throw new Error(`unexpected result ${JSON.stringify(result)}`);
  });
  await backend.close();
  return { runs, ms: now() - t0 };
}

/**
 * The hand-written floor: per pipeline, the five stage methods awaited in sequence and ten
 * audit records (started/success per stage) of the same shape handed to `sink`.
 */
async function baselineChunk(sink: (r: AuditRecord) => void, runs: number, end?: () => Promise<void>): Promise<Chunk> {
  const stages = ['intake', 'research', 'plan', 'run', 'verify'] as const;
  const t0 = now();
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
  return { runs, ms: now() - t0 };
}

/** A JSON Lines sink on a raw write stream (what JsonlAuditStore does, without the store). */
function rawJsonl(path: string): { sink: (r: AuditRecord) => void; end: () => Promise<void> } {
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  return {
    sink: (r) => void stream.write(`${JSON.stringify(r)}\n`),
    end: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}

/**
 * What the store has accepted but not yet written: its write stream's buffered bytes and its
 * count of pending writes. Both are private to the store; read here only to explain the figures.
 */
function writeBacklog(store: JsonlAuditStore): { bytes: number; writes: number } {
  const inside = store as unknown as { stream?: WriteStream; pending?: number };
  return { bytes: inside.stream?.writableLength ?? 0, writes: inside.pending ?? 0 };
}

/** Rate of the `size` runs ending at completion count `upTo`, from the completion marks. */
function windowRate(marks: Map<number, number>, upTo: number, size = STEADY_WINDOW): number {
  const end = marks.get(upTo);
  const start = marks.get(upTo - size);
  if (end === undefined || start === undefined) return NaN;
  return round(size / ((end - start) / 1000), 0);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-bench-base-'));
  const out: string[] = [];
  const say = (s: string): void => {
    out.push(s);
    console.log(s);
  };
  try {
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
      const pair = [
        async () => memC.push(await cascadenceChunk(new MemoryAuditStore(), MEMORY_CHUNK)),
        async () => {
          const records: AuditRecord[] = [];
          memB.push(await baselineChunk((r) => void records.push(r), MEMORY_CHUNK));
        },
      ];
      for (const step of r % 2 === 0 ? pair : pair.reverse()) await step();
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
        '(a)/(b) throughput, pipelines/s (time includes flushing the store)',
        ['store', 'Cascadence', 'baseline', 'ratio C/B', 'target', 'met'],
        [
          [
            'MemoryAuditStore',
            memRate,
            memBase,
            ratio(memRate, memBase),
            `>= ${TARGET_MEMORY}`,
            verdict(memRate >= TARGET_MEMORY),
          ],
          [
            'JsonlAuditStore',
            diskRate,
            diskBase,
            ratio(diskRate, diskBase),
            `>= ${TARGET_JSONL}`,
            verdict(diskRate >= TARGET_JSONL),
          ],
        ],
      ),
    );
    say(
      `baseline = the five stage methods awaited in sequence + the same 10 audit records per pipeline (to an array / a raw write stream); ${ROUNDS} alternating chunks of ${MEMORY_CHUNK} (memory) and ${JSONL_CHUNK} (JSONL) runs each; ~${Math.round(lineBytes)} bytes per audit line`,
    );

    // (c) steadiness: one long sequence on the JSONL store, completion time of every STEADY_WINDOW-th run.
    const steadyPath = join(dir, 'steady.jsonl');
    const steadyStore = new JsonlAuditStore(steadyPath);
    const backend = backendWith(steadyStore);
    const marks = new Map<number, number>();
    const memory: Array<{ runs: number; rssMiB: number; heapMiB: number; backlogMiB: number; pendingWrites: number }> =
      [];
    const t0 = now();
    marks.set(0, t0);
    await pool(
      STEADY_RUNS,
      CONCURRENCY,
      async () => {
        await backend.run(REQUEST);
      },
      (completed) => {
        if (completed % STEADY_WINDOW === 0) marks.set(completed, now());
        if (completed % (STEADY_RUNS / 10) === 0) {
          const m = process.memoryUsage();
          const backlog = writeBacklog(steadyStore);
          memory.push({
            runs: completed,
            rssMiB: round(m.rss / 2 ** 20, 0),
            heapMiB: round(m.heapUsed / 2 ** 20, 0),
            backlogMiB: round(backlog.bytes / 2 ** 20, 1),
            pendingWrites: backlog.writes,
          });
        }
      },
    );
    const tRuns = now();
    await backend.close();
    const tClosed = now();
    const early = windowRate(marks, STEADY_WINDOW);
    const late = windowRate(marks, STEADY_RUNS);
    const windows = Array.from({ length: STEADY_RUNS / STEADY_WINDOW }, (_x, i) =>
      windowRate(marks, (i + 1) * STEADY_WINDOW),
    );
    const sortedWindows = [...windows].sort((a, b) => a - b);
    const steadyRatio = ratio(late, early);
    // Windows of 1,000 runs last tens of ms, so one GC pause moves them; tenths of the sequence are steadier.
    const tenth = STEADY_RUNS / 10;
    const earlyTenth = windowRate(marks, tenth, tenth);
    const lateTenth = windowRate(marks, STEADY_RUNS, tenth);
    const overall = round(STEADY_RUNS / ((tClosed - t0) / 1000), 0);
    say(
      table(
        `(c) steadiness: one sequence of ${STEADY_RUNS} runs on JsonlAuditStore, pipelines/s per window of ${STEADY_WINDOW}`,
        ['window', 'pipelines/s'],
        [
          [`runs 1..${STEADY_WINDOW}`, early],
          [`runs ${STEADY_RUNS - STEADY_WINDOW + 1}..${STEADY_RUNS}`, late],
          ['ratio late/early', steadyRatio],
          [`runs 1..${tenth}`, earlyTenth],
          [`runs ${STEADY_RUNS - tenth + 1}..${STEADY_RUNS}`, lateTenth],
          ['ratio late/early (tenths)', ratio(lateTenth, earlyTenth)],
          ['slowest window', sortedWindows[0] ?? NaN],
          ['median window', sortedWindows[Math.floor(sortedWindows.length / 2)] ?? NaN],
          ['fastest window', sortedWindows[sortedWindows.length - 1] ?? NaN],
          ['whole sequence incl. final flush', overall],
        ],
      ),
    );
    say(
      `target: same rate (late/early within ±${STEADY_BAND * 100}%): ${verdict(Math.abs(steadyRatio - 1) <= STEADY_BAND)}; final flush after the last run: ${round(tClosed - tRuns, 0)} ms; file ${round(statSync(steadyPath).size / 2 ** 20, 0)} MiB`,
    );
    say(
      `memory during (c), at every ${STEADY_RUNS / 10} runs: ${memory.map((m) => `${m.runs / 1000}k: rss ${m.rssMiB} MiB, heap ${m.heapMiB} MiB, unwritten ${m.backlogMiB} MiB`).join('; ')}`,
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
      },
      memory: {
        pipelinesPerSec: memRate,
        baselinePerSec: memBase,
        ratio: ratio(memRate, memBase),
        target: TARGET_MEMORY,
        met: memRate >= TARGET_MEMORY,
        chunks: memC,
        baselineChunks: memB,
      },
      jsonl: {
        pipelinesPerSec: diskRate,
        baselinePerSec: diskBase,
        ratio: ratio(diskRate, diskBase),
        target: TARGET_JSONL,
        met: diskRate >= TARGET_JSONL,
        bytesPerRecord: round(lineBytes, 0),
        chunks: diskC,
        baselineChunks: diskB,
      },
      steadiness: {
        earlyPerSec: early,
        latePerSec: late,
        ratio: steadyRatio,
        earlyTenthPerSec: earlyTenth,
        lateTenthPerSec: lateTenth,
        tenthsRatio: ratio(lateTenth, earlyTenth),
        band: STEADY_BAND,
        met: Math.abs(steadyRatio - 1) <= STEADY_BAND,
        wholeSequencePerSec: overall,
        finalFlushMs: round(tClosed - tRuns, 0),
        windowsPerSec: windows,
        memory,
      },
      output: out.join('\n'),
    });
    console.log(`\nresults: ${path}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
