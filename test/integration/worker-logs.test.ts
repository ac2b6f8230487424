/**
 * The worker's log during expected failures: one line each, naming the task, the run, the stage
 * and the reason, without stack traces (they come back with --debug); no raw user or group id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../conformance/pipeline-suite';
import { BIN, runCli } from '../helpers/cli';
import { serverAddress, uniqueQueue } from '../helpers/temporal';

const FIXTURE = join(__dirname, '..', 'fixtures', 'cli-tasks', 'tasks.js');

/** A `task worker` process on its own queue, with its stderr kept. */
function startWorker(
  queue: string,
  extra: string[] = [],
): { child: ChildProcess; stderr: () => string; ready: Promise<void> } {
  const child = spawn(process.execPath, [BIN, 'worker', ...extra], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: serverAddress(),
      CASCADENCE_TASK_QUEUE: queue,
      CASCADENCE_TASK_MODULES: FIXTURE,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const ready = new Promise<void>((resolve) =>
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (/worker polling task queue/.test(out)) resolve();
    }),
  );
  return { child, stderr: () => err, ready };
}

async function stop(child: ChildProcess): Promise<void> {
  const closed = new Promise((r) => child.once('close', r));
  child.kill('SIGTERM');
  await closed;
}

it('logs a failed stage and a failed run as one line each, with the task, run, stage and reason, and no stack', async () => {
  const queue = uniqueQueue('worker-logs');
  const worker = startWorker(queue);
  try {
    await worker.ready;
    const env = { TEMPORAL_ADDRESS: serverAddress(), CASCADENCE_TASK_QUEUE: queue, CASCADENCE_TASK_MODULES: FIXTURE };
    const ids = ['--user-id', 'raw-user-id-xyz', '--group-id', 'raw-group-id-xyz'];
    const failed = await runCli(['run', 'fails', ...ids], env);
    expect(failed.code).toBe(5);
    const refused = await runCli(['run', 'nope-precheck', ...ids], env);
    expect(refused.code).toBe(6);
    const log = await eventually(
      () => (/precheck stopped the run/.test(worker.stderr()) ? worker.stderr() : ''),
      'the worker log',
    );
    const lines = log.trim().split('\n');
    expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\S+Z (WARN|ERROR) /.test(l))).toBe(true);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /WARN stage failed: task=fails run=[0-9a-f-]{36} stage=run attempt=1: deliberate failure$/,
        ),
        expect.stringMatching(
          /WARN run failed: task=fails run=[0-9a-f-]{36}: fails: stage run failed: deliberate failure$/,
        ),
        expect.stringMatching(
          /WARN precheck stopped the run: task=nope-precheck run=[0-9a-f-]{36}: nope-precheck: precheck failed: closed today$/,
        ),
      ]),
    );
    expect(log).not.toContain('raw-user-id-xyz');
    expect(log).not.toContain('raw-group-id-xyz');
  } finally {
    await stop(worker.child);
  }
});

it('brings the stack traces back with --debug', async () => {
  const queue = uniqueQueue('worker-logs-debug');
  const worker = startWorker(queue, ['--debug']);
  try {
    await worker.ready;
    const env = { TEMPORAL_ADDRESS: serverAddress(), CASCADENCE_TASK_QUEUE: queue, CASCADENCE_TASK_MODULES: FIXTURE };
    expect((await runCli(['run', 'fails', '--user-id', 'u', '--group-id', 'g'], env)).code).toBe(5);
    const log = await eventually(() => (/run failed/.test(worker.stderr()) ? worker.stderr() : ''), 'the worker log');
    expect(log).toMatch(/^\s+at /m);
  } finally {
    await stop(worker.child);
  }
});
