/**
 * The CronyxServer stopped: the cronyx backend answers with its documented error (exit 4,
 * `cannot reach Cronyx at ...`) within its timeout and retries, and works again as soon as the
 * server is back on the same address. The real Go plugin server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/dev/dev-server';
import { runCli } from '../helpers/cli';
import { buildPlugin } from '../helpers/cronyx';

let binary: string;
let server: ChildProcess | undefined;

beforeAll(async () => {
  binary = await buildPlugin('go');
});
afterAll(() => {
  server?.kill('SIGKILL');
});

function startAt(addr: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--addr', addr], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`plugin did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (/listening on/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

const stop = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });

it('reports the outage with the documented error in time, and recovers when the server returns', async () => {
  const port = await freePort('127.0.0.1');
  const env = {
    CRONYX_BASE_URL: `http://127.0.0.1:${port}`,
    CRONYX_TIMEOUT: '1',
    CASCADENCE_STATE_PATH: join(tmpdir(), `cronyx-outage-${randomUUID()}.json`),
  };
  const run = () =>
    runCli(
      ['run', 'sha256', '--backend', 'cronyx', '--user-id', 'u', '--group-id', 'g', '--input', '{"text":"abc"}'],
      env,
    );
  server = await startAt(`127.0.0.1:${port}`);
  expect((await run()).code).toBe(0);

  await stop(server);
  const began = Date.now();
  const down = await run();
  const tookMs = Date.now() - began;
  expect(down.code).toBe(4);
  expect(down.stderr.trim().split('\n')).toEqual([
    expect.stringMatching(
      new RegExp(
        `^error: cannot reach Cronyx at http://127\\.0\\.0\\.1:${port} after 3 attempts: .*start the CronyxServer`,
      ),
    ),
  ]);
  // Three attempts of at most CRONYX_TIMEOUT each, with backoff: printed, not asserted (no timed assertions).
  process.stdout.write(`cronyx outage: the error came after ${tookMs} ms\n`);

  server = await startAt(`127.0.0.1:${port}`);
  const back = await run();
  expect(back.stderr).toBe('');
  expect(back.stdout).toMatch(/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad/);
  await stop(server);
}, 180_000);
