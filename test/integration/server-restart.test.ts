/**
 * The Temporal dev server (a SQLite file) stopped and restarted in the middle of a run: the run,
 * the task flags in the catalogue and the schedules continue where they were, and the worker
 * picks up again by itself. Real processes: its own dev server, a `task worker`, the CLI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevServer, freePort } from '../../src/dev/dev-server';
import { BIN, runCli } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'cascadence-restart-'));
const MODULE = join(tmp, 'tasks.js');
const GATE = join(tmp, 'gate');
let worker: ChildProcess | undefined;
let server: DevServer | undefined;

afterAll(async () => {
  worker?.kill('SIGKILL');
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

it('keeps runs, flags and schedules across a server restart, and the worker resumes by itself', async () => {
  writeFileSync(
    MODULE,
    `const { existsSync } = require('node:fs');
exports.tasks = {
  'restart-slow': {
    intake: () => 'in',
    async run() {
      while (!existsSync(${JSON.stringify(GATE)})) await new Promise((r) => setTimeout(r, 100));
      return 'survived';
    },
  },
  'restart-flagged': { run: () => 'never while disabled' },
};
`,
  );
  const port = await freePort('127.0.0.1');
  const dbFilename = join(tmp, 'temporal.db');
  server = await DevServer.start({ port, dbFilename, headless: true });
  const env = {
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    CASCADENCE_TASK_QUEUE: 'restart-test',
    CASCADENCE_TASK_MODULES: MODULE,
    CASCADENCE_STATE_PATH: join(tmp, 'state.json'),
  };
  worker = spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...env }, stdio: 'pipe' });
  let out = '';
  worker.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  worker.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  await until(
    () => out.includes('worker polling'),
    () => out,
  );

  // Before: a flag in the catalogue, a schedule, and a run waiting in its run stage.
  expect((await runCli(['disable', 'restart-flagged'], env)).code).toBe(0);
  expect((await runCli(['schedule', 'restart-slow', '0 3 * * *', '--user-id', 'u', '--group-id', 'g'], env)).code).toBe(
    0,
  );
  const started = await runCli(['run', 'restart-slow', '--user-id', 'u', '--group-id', 'g', '--detach', '--json'], env);
  expect(started.stderr).toBe('');
  const runId = (JSON.parse(started.stdout) as { run_id: string }).run_id;
  await until(async () => {
    const res = await runCli(['status', runId, '--json'], env);
    return res.code === 0 && (JSON.parse(res.stdout) as { currentStage?: string }).currentStage === 'run';
  });

  // The server goes away and comes back on the same port and file.
  await server.stop();
  server = await DevServer.start({ port, dbFilename, headless: true });
  writeFileSync(GATE, '');

  // The run finishes on the same worker, which reconnected by itself.
  await until(async () => {
    const res = await runCli(['status', runId, '--json'], env);
    return res.code === 0 && (JSON.parse(res.stdout) as { state?: string }).state === 'completed';
  });
  const listed = await runCli(['list'], env);
  expect(listed.stdout).toContain('restart-flagged\tdisabled');
  const refused = await runCli(['run', 'restart-flagged', '--user-id', 'u', '--group-id', 'g'], env);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/disabled/);
  const schedules = await runCli(['schedules'], env);
  expect(schedules.stdout).toMatch(/restart-slow.*0 3 \* \* \*/);
  expect((await runCli(['unschedule', 'restart-slow'], env)).code).toBe(0);
  worker.kill('SIGTERM');
}, 240_000);

async function until(check: () => boolean | Promise<boolean>, what: () => string = () => '', ms = 90_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
