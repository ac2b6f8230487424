/**
 * Durability: a worker killed with SIGKILL after two stages completed is replaced by a new
 * worker, and the run completes without re-running those two stages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemporalBackend } from '../../src/backends/temporal';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { eventually } from '../conformance/pipeline-suite';
import { BIN } from '../helpers/cli';
import { serverAddress, uniqueQueue } from '../helpers/temporal';

const MODULE = join(__dirname, '..', 'fixtures', 'crash-tasks', 'tasks.js');

function startWorker(queue: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [BIN, 'worker', '--address', serverAddress(), '--task-queue', queue], {
    env: { ...process.env, ...env, CASCADENCE_TASK_MODULES: MODULE },
    stdio: 'ignore',
  });
}

it('a replacement worker finishes the run without repeating completed stages', async () => {
  const dir = join(tmpdir(), `cascadence-crash-${randomUUID()}`);
  const env = { CRASH_JOURNAL: join(dir, 'journal'), CRASH_BLOCK: join(dir, 'block') };
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(env.CRASH_BLOCK, '');
  writeFileSync(env.CRASH_JOURNAL, '');
  const queue = uniqueQueue('crash');
  const registry = loadTaskModules(createDefaultRegistry(), [MODULE]);
  const backend = await TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue: queue,
    hashSecret: '',
    registry,
  });
  const lines = (): string[][] =>
    readFileSync(env.CRASH_JOURNAL, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '));
  let second: ChildProcess | undefined;
  try {
    const first = startWorker(queue, env);
    const runId = await backend.start({ task: 'durable', userId: 'u', groupId: 'g' });
    await eventually(() => lines().some(([, stage]) => stage === 'plan'), 'the first worker to reach plan');
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;

    rmSync(env.CRASH_BLOCK);
    second = startWorker(queue, env);
    const handle = backend.client.workflow.getHandle(`durable-${runId}`);
    expect(await handle.result()).toEqual({ verified: 'done' });

    const journal = lines().filter(([id]) => id === runId);
    const stages = journal.map(([, stage]) => stage);
    expect(stages.filter((s) => s === 'intake')).toHaveLength(1);
    expect(stages.filter((s) => s === 'research')).toHaveLength(1);
    expect(stages.slice(-3)).toEqual(['plan', 'run', 'verify']);
    // The stages after the crash ran in the replacement worker.
    const pids = new Set(journal.slice(-3).map(([, , pid]) => pid));
    expect(pids).toEqual(new Set([String(second.pid)]));
    expect(journal[0]?.[2]).toBe(String(first.pid));
  } finally {
    second?.kill('SIGTERM');
    if (second) await new Promise((r) => second?.once('exit', r));
    await backend.close();
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
});
