/**
 * `task api` and `task dev` as real processes, for what the shared `task api` of api.test.ts
 * cannot show: the per-client rate limit (429 RATE_LIMITED past `--rate-limit`), and `task dev`
 * serving the HTTP API next to its own Temporal dev server, stopped by Ctrl+C (SIGINT).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/dev/dev-server';
import { startApi } from '../helpers/api';
import { BIN } from '../helpers/cli';
import { serverAddress, uniqueQueue } from '../helpers/temporal';

const MODULES = join(__dirname, '..', 'fixtures', 'cli-tasks', 'tasks.js');
const IDENTITY = { 'x-user-id': 'alice', 'x-group-id': 'eng' };

/** The environment both processes share: a fresh HOME, the fixture tasks, a unique queue. */
function env(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'cascadence-api-process-'));
  return {
    HOME: home,
    CASCADENCE_TASK_MODULES: MODULES,
    CASCADENCE_TASK_QUEUE: uniqueQueue('api-process'),
    CASCADENCE_HASH_SECRET: 'api-process-secret',
    CASCADENCE_TASKS_PATH: join(home, 'tasks.yml'),
  };
}

it('answers 429 RATE_LIMITED once a client passes --rate-limit requests a minute', async () => {
  const api = await startApi(['--rate-limit', '5'], { ...env(), TEMPORAL_ADDRESS: serverAddress() });
  try {
    const statuses: number[] = [];
    let last: unknown;
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${api.url}/tasks`, { headers: IDENTITY });
      statuses.push(res.status);
      last = await res.json();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(last).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(JSON.stringify(last)).not.toMatch(/stack|at \//);
  } finally {
    expect(await api.stop()).toBe(0);
  }
});

it('task dev serves the HTTP API on --api-port next to its own server, and stops on SIGINT', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const vars = env();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'dev',
      '--headless',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--api-port',
      '0',
      '--db-filename',
      join(vars.HOME as string, 'temporal.db'),
    ],
    { env: { ...process.env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        const match = /^API: +(http:\/\/\S+) /m.exec(stdout);
        if (match?.[1] && /Ctrl\+C to stop/.test(stdout)) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`task dev exited (${code}): ${stdout}${stderr}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const tasks = await fetch(`${url}/tasks`, { headers: IDENTITY });
    expect(tasks.status).toBe(200);
    const names = ((await tasks.json()) as Array<{ name: string }>).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['slow', 'quick']));
    expect((await fetch(`${url}/tasks`)).status).toBe(400);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/stopped\n$/);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
