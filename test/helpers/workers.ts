/**
 * Worker processes for the fault tests: the built CLI's `task worker` spawned on a task queue,
 * SIGKILLed and awaited, and the JSON Lines journal their fixture tasks write.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { BIN } from './cli';
import { serverAddress } from './temporal';

/** Spawns `task worker` on `taskQueue` with `env` (on top of this process's environment). */
export function spawnWorker(taskQueue: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [BIN, 'worker', '--address', serverAddress(), '--task-queue', taskQueue], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
}

/** SIGKILLs `child` (a crash: no drain, no goodbye) and resolves once it has exited. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Stops `child` with SIGTERM (a drain) and resolves once it has exited. */
export async function stopWorker(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** One line of a fixture's journal: when, which process, which run and stage, what happened. */
export interface JournalEntry {
  t: number;
  pid: number;
  run: string;
  task: string;
  stage: string;
  ev: string;
  attempt?: number;
  details?: unknown;
  node?: string;
}

/** Reads a JSON Lines journal appended to by fixture tasks in several processes (missing: empty). */
export function readJournal(path: string): JournalEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JournalEntry);
}
