/**
 * Shared helpers of the benchmarks: statistics, a bounded-concurrency pool, plain-text tables
 * and the JSON result files under `bench/results/`. Node-only. Nothing here asserts on time:
 * targets are printed as information.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

/** Summary of a list of samples (milliseconds unless said otherwise). */
export interface Summary {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** The `p`-th percentile (0..100) of ascending `sorted`, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Min, median, p95, max and mean of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    min: round(sorted[0] ?? NaN),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(mean),
  };
}

/** Rounds to `digits` decimals (keeps the JSON files readable). */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function now(): number {
  return performance.now();
}

/**
 * Calls `fn(0..total-1)` with at most `concurrency` calls in flight; resolves when all are done.
 * `onDone(i)` runs as each call settles (in completion order), for progress marks.
 * @throws the first error a call throws (the remaining calls are not started).
 */
export async function pool(
  total: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
  onDone?: (completed: number) => void,
): Promise<void> {
  let next = 0;
  let completed = 0;
  let failed: unknown;
  const lane = async (): Promise<void> => {
    while (failed === undefined && next < total) {
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        failed ??= err;
        return;
      }
      completed++;
      onDone?.(completed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  if (failed !== undefined) throw failed;
}

/** `a / b` rounded, for "Cascadence / baseline" columns. */
export function ratio(a: number, b: number): number {
  return round(a / b, 3);
}

/** A plain-text table with a title; numbers right-aligned. */
export function table(title: string, headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = headers.map((_h, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[], numeric: boolean[]): string =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  const numericCols = headers.map((_h, i) => rows.some((r) => typeof r[i] === 'number'));
  const out = [
    '',
    title,
    line(headers, numericCols),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map((r) => line(r, numericCols)),
  ];
  return out.join('\n');
}

/** A number as a table shows it: integers plainly, others with up to 2 decimals (3 below 10). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) < 10 ? x.toFixed(3) : x.toFixed(1);
}

/** "met" / "NOT met" for a target line. */
export function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

/** Where the machine and the code stood when a result was measured. */
export function environment(): Record<string, unknown> {
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    commit = undefined;
  }
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    /** 1/5/15-minute load averages when the result was written: other processes share the machine. */
    loadAverage: loadavg().map((x) => round(x, 2)),
    commit,
  };
}

/**
 * One line on the machine: CPU count and load average. Other processes share it (concurrent
 * test runs, dev servers), and every figure here moves with them; print this first.
 */
export function machineLine(): string {
  const [one, five] = loadavg();
  return `machine: ${cpus().length} CPUs, load average ${round(one ?? NaN, 1)} (1 min) / ${round(five ?? NaN, 1)} (5 min), Node ${process.version}`;
}

/** Directory of the committed results. */
export const RESULTS_DIR = join(__dirname, '..', 'results');

/**
 * Writes `bench/results/<name>.json`, formatted by the project's Prettier settings (so the
 * committed files pass `prettier --check`), via a temporary file so a killed run leaves the old one intact.
 */
export async function writeResults(name: string, data: Record<string, unknown>): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  const tmp = `${path}.tmp`;
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(path)) ?? {};
  const text = JSON.stringify({ benchmark: name, environment: environment(), ...data }, null, 2);
  writeFileSync(tmp, await prettier.format(text, { ...options, parser: 'json' }));
  renameSync(tmp, path);
  return path;
}

/** Runs a benchmark's `main`, printing a one-line error and exiting 1 if it throws. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => undefined,
    (err: unknown) => {
      console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    },
  );
}

/** CPU time (user + system) of process `pid` in ms, from /proc (NaN where there is no /proc). */
export function cpuOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted after the command name: indexes 11 and 12,
    // in Linux's USER_HZ (100 on every mainstream architecture).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Mulberry32: a small seeded PRNG (the same seed, the same sequence), in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a benchmark prints, kept for its results file: `say` prints a line and keeps it; `text()` is all of them. */
export function transcript(): { say(line: string): void; text(): string } {
  const lines: string[] = [];
  return {
    say(line) {
      lines.push(line);
      console.log(line);
    },
    text: () => lines.join('\n'),
  };
}
