/**
 * Plugins against real processes and the Temporal dev server: plugin directories with broken
 * plugins, the ts-plugin example installed as an npm package, tasks registered through one API
 * server reaching workers and other clients through the catalogue, and hot reload on a worker
 * (`task worker --watch`) and in `task watch-plugins`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startApi, type ApiProcess } from '../helpers/api';
import { BIN, runCli } from '../helpers/cli';
import { buildPlugin, startPlugin } from '../helpers/cronyx';
import { serverAddress, uniqueQueue } from '../helpers/temporal';

const ROOT = resolve(__dirname, '..', '..');
let tmp: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'plugins-it-'));
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** The environment of one scenario: its own task queue and state files. */
function scenario(name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = join(tmp, name);
  mkdirSync(home, { recursive: true });
  return {
    TEMPORAL_ADDRESS: serverAddress(),
    CASCADENCE_TASK_QUEUE: uniqueQueue(name),
    CASCADENCE_STATE_PATH: join(home, 'state.json'),
    CASCADENCE_TASKS_PATH: join(home, 'tasks.yml'),
    CASCADENCE_AUDIT_PATH: join(home, 'audit.jsonl'),
    CASCADENCE_EVENTS: 'none',
    ...extra,
  };
}

/** A long-running `task` process whose output is kept, with a way to wait for a line. */
interface Proc {
  child: ChildProcess;
  out(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: 'pipe' });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return {
    child,
    out: () => out,
    async waitFor(pattern, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (child.exitCode !== null) throw new Error(`task ${args[0]} exited: ${out}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

const run = (task: string, env: NodeJS.ProcessEnv) =>
  runCli(['run', task, '--user-id', 'ada', '--group-id', 'family', '--json'], env);

/** `task` run in another folder (plugin packages are found from the working directory). */
function cliIn(cwd: string, args: string[], env: NodeJS.ProcessEnv) {
  const res = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const resultOf = (stdout: string): unknown => (JSON.parse(stdout) as { result: unknown }).result;

describe('plugin directories', () => {
  it('lists the good plugins with their origin, reports each broken one once, and the worker runs the good ones', async () => {
    const dir = join(tmp, 'dir-plugins');
    mkdirSync(dir);
    writeFileSync(join(dir, 'good.js'), "exports.tasks = { 'dir-good': { run: () => 'pid ' + process.pid } };");
    writeFileSync(join(dir, 'syntax.js'), 'exports.tasks = {');
    writeFileSync(join(dir, 'throws.js'), "throw new Error('cannot reach the database');");
    writeFileSync(join(dir, 'nostage.js'), "exports.tasks = { 'dir-idle': { description: 'no stage' } };");
    writeFileSync(join(dir, 'clash.js'), "exports.tasks = { example: { run: () => 'not the built-in' } };");
    const env = scenario('dirs', { CASCADENCE_PLUGIN_DIRS: dir });
    const listed = await runCli(['list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`dir-good\tenabled\tdirectory:${dir}`);
    expect(listed.stdout).toContain('example\tenabled\tbuiltin');
    expect(listed.stdout).not.toContain('dir-idle');
    const problems = listed.stderr.trim().split('\n');
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^plugin syntax\.js skipped \(.*syntax\.js\): /),
        `plugin throws.js skipped (${join(dir, 'throws.js')}): cannot reach the database`,
        expect.stringMatching(/^plugin nostage\.js skipped .*: dir-idle: task dir-idle has no stage/),
        expect.stringMatching(/^plugin clash\.js skipped .*: task example is already registered by builtin/),
      ]),
    );
    const worker = start(['worker'], env);
    try {
      await worker.waitFor(/worker polling task queue/);
      const res = await run('dir-good', env);
      // Each process says what it skipped, once.
      expect(res.stderr.trim().split('\n')).toHaveLength(4);
      expect(resultOf(res.stdout)).toBe(`pid ${worker.child.pid}`);
      expect(worker.out()).toContain('plugin throws.js skipped');
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});

describe('the ts-plugin example', () => {
  it('installed with npm, is listed by `task list` and runs on the worker', async () => {
    const project = join(tmp, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'family-app', version: '1.0.0', private: true }),
    );
    // `npm run build` compiled the example; installing a folder links it (nothing is downloaded).
    const installed = spawnSync('npm', ['install', '--no-audit', '--no-fund', join(ROOT, 'examples', 'ts-plugin')], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(installed.status).toBe(0);
    const env = scenario('ts-plugin');
    const listed = cliIn(project, ['list', '--json'], env);
    expect(listed.stderr).toBe('');
    const tasks = JSON.parse(listed.stdout) as Array<{ name: string; kind: string; origin: string }>;
    expect(tasks.filter((t) => t.origin === 'package:cascadence-ts-plugin')).toEqual([
      expect.objectContaining({ name: 'demo_manual', kind: 'manual' }),
      expect.objectContaining({ name: 'family_pointer', kind: 'pointer' }),
    ]);
    const worker = start(['worker'], env, project);
    try {
      await worker.waitFor(/worker polling task queue/);
      const res = cliIn(
        project,
        ['run', 'demo_manual', '--user-id', 'ada', '--group-id', 'family', '--input', '{"name":"Ada"}', '--json'],
        env,
      );
      expect(res.stderr).toBe('');
      expect(resultOf(res.stdout)).toBe('hello, Ada');
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});

describe('tasks advertised by a CronyxServer', () => {
  it('are listed with their origin and run as pipelines on a Temporal worker; an unreachable server is reported once', async () => {
    const server = await startPlugin(await buildPlugin('go'));
    try {
      const base = server.url.replace(/\/+$/, '');
      const env = scenario('cronyx', { CRONYX_BASE_URL: base, CASCADENCE_CRONYX_REFRESH: 'false' });
      const listed = await runCli(['list'], env);
      expect(listed.stderr).toBe('');
      expect(listed.stdout).toContain(`word-count\tenabled\tcronyx:${base}`);
      const worker = start(['worker'], env);
      try {
        await worker.waitFor(/worker polling task queue/);
        const res = await runCli(
          [
            'run',
            'word-count',
            '--user-id',
            'ada',
            '--group-id',
            'family',
            '--json',
            '--input',
            JSON.stringify({ text: 'a b\nc' }),
          ],
          env,
        );
        expect(res.stderr).toBe('');
        expect(resultOf(res.stdout)).toEqual({ words: 3, lines: 2, chars: 5 });
      } finally {
        expect(await worker.stop()).toBe(0);
      }
    } finally {
      await server.stop();
    }
    const away = await runCli(
      ['list'],
      scenario('cronyx-away', { CRONYX_BASE_URL: 'http://127.0.0.1:9', CRONYX_TIMEOUT: '1' }),
    );
    expect(away.code).toBe(0);
    expect(away.stdout).toContain('example\tenabled\tbuiltin');
    expect(away.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^plugin cronyx skipped \(http:\/\/127\.0\.0\.1:9\): cannot list the Cronyx tasks: \S+/,
      ),
    ]);
  });
});

describe('tasks registered through the API', () => {
  let api: ApiProcess | undefined;
  let other: ApiProcess | undefined;
  afterAll(async () => {
    await api?.stop();
    await other?.stop();
  });

  it('reach a worker started before, the CLI and another API server, through the catalogue', async () => {
    const dir = join(tmp, 'registered');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'late.js'),
      "exports.tasks = { 'late-task': { description: 'registered late', run: () => 'pid ' + process.pid } };",
    );
    const env = scenario('registered', { CASCADENCE_PLUGIN_PATHS: dir });
    const worker = start(['worker'], env);
    try {
      await worker.waitFor(/worker polling task queue/);
      api = await startApi([], env);
      const headers = { 'x-user-id': 'ada', 'x-group-id': 'family' };
      const registered = await fetch(`${api.url}/tasks?path=${encodeURIComponent(join(dir, 'late.js'))}`, {
        method: 'POST',
        headers,
      });
      expect(registered.status).toBe(200);
      expect(await registered.json()).toMatchObject({ registered: ['late-task'] });
      // Another process: the CLI learns of the task from the catalogue and the worker runs it.
      const res = await run('late-task', env);
      expect(res.stderr).toBe('');
      expect(resultOf(res.stdout)).toBe(`pid ${worker.child.pid}`);
      // Another API server (another machine, as far as it knows) lists it too.
      other = await startApi([], env);
      const tasks = (await (await fetch(`${other.url}/tasks`, { headers })).json()) as Array<{
        name: string;
        origin?: string;
      }>;
      expect(tasks.find((t) => t.name === 'late-task')).toMatchObject({ origin: `registered:${join(dir, 'late.js')}` });
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });

  it('are not loaded by a machine whose allowlist does not permit them', async () => {
    const dir = join(tmp, 'unlisted');
    mkdirSync(dir);
    writeFileSync(join(dir, 'mod.js'), "exports.tasks = { 'unlisted-task': { run: () => 1 } };");
    const env = scenario('unlisted', { CASCADENCE_PLUGIN_PATHS: dir });
    // The catalogue records the registration through a worker of the task queue.
    const worker = start(['worker'], env);
    await worker.waitFor(/worker polling task queue/);
    const server = await startApi([], env);
    try {
      const res = await fetch(`${server.url}/tasks?path=${encodeURIComponent(join(dir, 'mod.js'))}`, {
        method: 'POST',
        headers: { 'x-user-id': 'ada', 'x-group-id': 'family' },
      });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
      expect(await worker.stop()).toBe(0);
    }
    // This CLI allows another directory only: the registration is reported, not loaded.
    const listed = await runCli(['list'], { ...env, CASCADENCE_PLUGIN_PATHS: join(tmp, 'elsewhere') });
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain('unlisted-task');
    expect(listed.stderr).toMatch(/registered plugin not loaded here: .*outside the plugin directories/);
  });
});

describe('hot reload', () => {
  /** A three-stage plugin: intake and verify say their version; run waits for `gate` to exist. */
  const slowPlugin = (version: string, gate: string) => `
const { existsSync } = require('node:fs');
const VERSION = ${JSON.stringify(version)};
exports.tasks = {
  'hot-task': {
    intake: () => VERSION,
    async run() {
      while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 50));
      return VERSION;
    },
    verify: (ctx) => ({ run: ctx.runResult, verify: VERSION }),
  },
};
`;

  it('on a worker: one save, one reload; runs in flight finish on their code, the next uses the new; a broken save keeps the last good', async () => {
    const dir = join(tmp, 'hot');
    mkdirSync(dir);
    const gate = join(tmp, 'hot-gate');
    const file = join(dir, 'hot.js');
    writeFileSync(file, slowPlugin('v1', gate));
    // The API server knows the task from the same folder (as it was when it started); the worker watches it.
    const env = scenario('hot', { CASCADENCE_PLUGIN_DIRS: dir });
    const worker = start(['worker', '--watch', dir], env);
    let server: ApiProcess | undefined;
    const runHot = async () => {
      const res = await fetch(`${server?.url}/tasks/hot-task/run`, {
        method: 'POST',
        headers: { 'x-user-id': 'ada', 'x-group-id': 'family' },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { result: unknown }).result;
    };
    try {
      await worker.waitFor(/worker polling task queue/);
      server = await startApi([], env);
      // The first run waits in its run stage while the plugin is saved.
      const first = runHot();
      await new Promise((r) => setTimeout(r, 1_500));
      writeFileSync(file, slowPlugin('v2', gate));
      await worker.waitFor(/plugins: reloaded hot\.js; tasks: hot-task/);
      writeFileSync(gate, '');
      expect(await first).toEqual({ run: 'v1', verify: 'v1' });
      expect(await runHot()).toEqual({ run: 'v2', verify: 'v2' });
      // A save that breaks it: reported, the last good code stays.
      writeFileSync(file, 'exports.tasks = {');
      await worker.waitFor(/kept the last good code of hot\.js/);
      expect(await runHot()).toEqual({ run: 'v2', verify: 'v2' });
      expect(worker.out().match(/plugins: reloaded/g)).toHaveLength(2);
    } finally {
      await server?.stop();
      expect(await worker.stop()).toBe(0);
    }
    expect(worker.out()).toContain('worker stopped');
  });

  it('`task watch-plugins` reloads once per save and exits cleanly on Ctrl+C', async () => {
    const dir = join(tmp, 'watched');
    mkdirSync(dir);
    writeFileSync(join(dir, 'w.js'), "exports.tasks = { 'w-task': { run: () => 1 } };");
    const watcher = start(['watch-plugins', dir], {});
    await watcher.waitFor(/watching .*; Ctrl\+C to stop/);
    expect(watcher.out()).toContain('tasks in');
    expect(watcher.out()).toContain('w-task');
    writeFileSync(join(dir, 'w.js'), "exports.tasks = { 'w-task': { run: () => 2 }, 'w-new': { run: () => 3 } };");
    await watcher.waitFor(/plugins: reloaded w\.js; tasks: w-new, w-task/);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(watcher.out().match(/plugins: reloaded/g)).toHaveLength(1);
    expect(await watcher.stop('SIGINT')).toBe(0);
    expect(watcher.out()).toContain('stopped watching');
  });
});
