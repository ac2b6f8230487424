/**
 * Start-up time of the `task` CLI: `node bin/run.js --help` and `node bin/run.js list`, each
 * spawned as a fresh process, against `node -e 0` (Node's own start-up) in the same run,
 * interleaved round by round. Needs `dist/` (`npm run build`; `npm run bench` builds first).
 *
 * Target: `task --help` under 300 ms (median wall time, spawn to exit).
 *
 * Run: `npm run bench -- cli-startup`, or
 * `node -r ts-node/register/transpile-only bench/cli-startup.ts`.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { machineLine, now, round, runMain, summarize, table, verdict, writeResults, type Summary } from './lib/harness';

const ROOT = resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 20);
const WARMUP = 3;
const TARGET_HELP_MS = 300;

/** One command to time. */
interface Subject {
  name: string;
  args: string[];
  /** Text the output must contain (so a broken CLI cannot look fast). */
  expect: string;
}

const SUBJECTS: Subject[] = [
  { name: 'node -e 0 (baseline)', args: ['-e', '0'], expect: '' },
  { name: 'task --help', args: ['bin/run.js', '--help'], expect: 'USAGE' },
  // On the base backend: listing on Temporal reads the flags from a server, which this bench does not start.
  { name: 'task list --backend base', args: ['bin/run.js', 'list', '--backend', 'base'], expect: 'example' },
];

/**
 * The CLI's environment: defaults only (no config file, no task modules) and a task-state path
 * that never exists, so `list` reads no flags and nothing in the home directory is touched.
 */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['NODE_OPTIONS', 'CASCADENCE_CONFIG', 'CASCADENCE_TASK_MODULES', 'CASCADENCE_SCHEDULER'])
    delete env[key];
  env.CASCADENCE_STATE_PATH = join(tmpdir(), `cascadence-bench-no-state-${randomUUID()}`, 'task-state.json');
  return env;
}

/** Spawns `node <args>` once and returns its wall time in ms. @throws when it fails or prints the wrong thing. */
function timeOnce(subject: Subject, env: NodeJS.ProcessEnv): number {
  const t0 = now();
  const result = spawnSync(process.execPath, subject.args, { cwd: ROOT, env, encoding: 'utf8' });
  const ms = now() - t0;
  if (result.status !== 0 || !result.stdout.includes(subject.expect)) {
    throw new Error(
      `${subject.name} exited ${result.status}: ${(result.stderr || result.stdout).trim().split('\n')[0] ?? ''}`,
    );
  }
  return ms;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const env = cliEnv();
  const samples = new Map<string, number[]>(SUBJECTS.map((s) => [s.name, []]));
  for (let i = 0; i < WARMUP; i++) for (const s of SUBJECTS) timeOnce(s, env);
  // Interleaved: each round runs every command once, starting with a different one each round.
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < SUBJECTS.length; j++) {
      const s = SUBJECTS[(i + j) % SUBJECTS.length] as Subject;
      samples.get(s.name)?.push(timeOnce(s, env));
    }
  }
  const stats = new Map<string, Summary>(SUBJECTS.map((s) => [s.name, summarize(samples.get(s.name) ?? [])]));
  const base = stats.get(SUBJECTS[0]?.name ?? '') as Summary;
  const help = stats.get('task --help') as Summary;
  const out: string[] = [machineLine()];
  out.push(
    table(
      `CLI start-up: ${RUNS} spawns each after ${WARMUP} warm-up, interleaved; wall ms from spawn to exit`,
      ['command', 'median', 'p95', 'min', 'max', 'median - node', 'p95 - node'],
      SUBJECTS.map((s) => {
        const st = stats.get(s.name) as Summary;
        return [s.name, st.p50, st.p95, st.min, st.max, round(st.p50 - base.p50, 1), round(st.p95 - base.p95, 1)];
      }),
    ),
  );
  const met = help.p50 < TARGET_HELP_MS;
  out.push(
    `target: task --help under ${TARGET_HELP_MS} ms (median): ${verdict(met)} (${help.p50} ms; p95 ${help.p95} ms)`,
  );
  for (const line of out) console.log(line);
  const path = await writeResults('cli-startup', {
    settings: { runs: RUNS, warmup: WARMUP },
    commands: Object.fromEntries(
      SUBJECTS.map((s) => {
        const st = stats.get(s.name) as Summary;
        return [
          s.name,
          { ...st, medianOverNodeMs: round(st.p50 - base.p50, 1), p95OverNodeMs: round(st.p95 - base.p95, 1) },
        ];
      }),
    ),
    target: { command: 'task --help', medianUnderMs: TARGET_HELP_MS, met },
    output: out.join('\n'),
  });
  console.log(`\nresults: ${path}`);
}

runMain(main);
