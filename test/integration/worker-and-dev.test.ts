/**
 * `task worker` and `task dev` as real processes: graceful shutdown, server reuse, no orphans.
 */
import { spawn } from 'node:child_process';
import { freePort } from '../../src/dev/dev-server';
import { BIN, runCli } from '../helpers/cli';
import { serverAddress, uniqueQueue } from '../helpers/temporal';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `task ...args`, waits for `ready` on stdout, then sends `signal` and resolves with the exit. */
function startThenSignal(args: string[], ready: RegExp, signal: NodeJS.Signals) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (!signalled && ready.test(stdout)) {
        signalled = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it('task worker polls the queue and stops cleanly on SIGTERM', async () => {
  const res = await startThenSignal(
    ['worker', '--address', serverAddress(), '--task-queue', uniqueQueue('worker')],
    /worker polling task queue/,
    'SIGTERM',
  );
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/worker stopped/);
});

it('task worker fails with exit 4 when no server answers', async () => {
  const res = await runCli(['worker', '--address', '127.0.0.1:1']);
  expect(res.code).toBe(4);
  expect(res.stderr).toMatch(/^error: cannot reach Temporal at 127\.0\.0\.1:1/);
});

it('task dev reuses a server already answering on its port and runs the example', async () => {
  const port = serverAddress().split(':')[1] as string;
  const res = await runCli([
    'dev',
    '--port',
    port,
    '--headless',
    '--run-example',
    '--exit',
    '--task-queue',
    uniqueQueue('dev'),
  ]);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/reusing the Temporal server already answering/);
  expect(res.stdout).toMatch(/result\t\{"greeting":"Hello, world!","verified":true\}/);
});

it('task dev starts its own server with the Web UI, and stops it on SIGTERM', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const dir = `/tmp/cascadence-dev-test-${process.pid}`;
  const res = await startThenSignal(
    ['dev', '--port', String(port), '--ui-port', String(uiPort), '--db-filename', `${dir}/temporal.db`],
    /Ctrl\+C to stop/,
    'SIGTERM',
  );
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(new RegExp(`Temporal: 127\\.0\\.0\\.1:${port}`));
  expect(res.stdout).toMatch(new RegExp(`Web UI:   http://localhost:${uiPort}`));
  expect(res.stdout).toMatch(/stopped\n$/);
  // The server it started is gone: nothing listens on its port any more.
  const { isServerReady } = await import('../../src/dev/dev-server');
  expect(await isServerReady(`127.0.0.1:${port}`, 'default', 1000)).toBe(false);
});

it('DevServer.stop leaves no process behind', async () => {
  const { DevServer } = await import('../../src/dev/dev-server');
  const server = await DevServer.start({ headless: true });
  const pid = server.pid as number;
  expect(alive(pid)).toBe(true);
  await server.stop();
  expect(alive(pid)).toBe(false);
});
