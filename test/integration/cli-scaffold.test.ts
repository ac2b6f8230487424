/**
 * `task init` and `task new task` through the built CLI. The project `task init` makes is then
 * tested with its own `node --test`, against this checkout (CASCADENCE_HOME) and the suite's
 * Temporal dev server, while this process runs a worker with the project's tasks.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseBackend } from '../../src/backends/base';
import { TaskStateStore } from '../../src/runtime/task-state';
import { MemoryAuditStore } from '../../src/events/audit-store';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { loadTaskModules } from '../../src/plugins/task-modules';
import { runCli, type CliResult } from '../helpers/cli';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const REPO = join(__dirname, '..', '..');
const INIT_FILES = [
  '.gitignore',
  'README.md',
  'cascadence.yml',
  'package.json',
  'tasks/hello.js',
  'test/hello.test.js',
].sort();

const tmp = mkdtempSync(join(tmpdir(), 'cascadence-cli-scaffold-'));
let n = 0;
/** A path in the temp folder that does not exist yet. */
function fresh(name: string): string {
  return join(tmp, `${++n}-${name}`);
}

/** The CLI's environment: nothing inherited that would change what it loads. */
const ENV: NodeJS.ProcessEnv = { CASCADENCE_CONFIG: '', CASCADENCE_TASK_MODULES: '', CASCADENCE_SCHEDULER: '' };

function expectOneLineError(res: CliResult, code: number, message: RegExp): void {
  expect(res.code).toBe(code);
  expect(res.stdout).toBe('');
  expect(res.stderr.trim().split('\n')).toHaveLength(1);
  expect(res.stderr).toMatch(message);
}

/** Runs `node --test` in `cwd` (asynchronously: this process's worker must keep polling meanwhile). */
function nodeTest(cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap'], {
      cwd,
      env: { ...process.env, ...ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let conns: TestConnections;
beforeAll(async () => {
  conns = await connect();
});
afterAll(async () => {
  await conns.close();
});

describe('task init', () => {
  it('scaffolds a project whose own tests pass, in process and on Temporal against a worker', async () => {
    const dir = fresh('my-tasks');
    const res = await runCli(['init', dir], ENV);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    for (const file of INIT_FILES) {
      expect(existsSync(join(dir, file))).toBe(true);
      expect(res.stdout).toContain(`  ${file}\n`);
    }
    expect(res.stdout).toMatch(/next steps:\n/);
    expect(res.stdout).toContain('CASCADENCE_CONFIG=cascadence.yml task dev');
    expect(res.stdout).toContain(`export CASCADENCE_HOME=${REPO}`);

    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({ private: true, type: 'commonjs', scripts: { test: 'node --test' } });
    expect((pkg.scripts as Record<string, string>).worker).toMatch(/^task worker\b/);
    expect(pkg.name).toMatch(/^\d+-my-tasks$/);
    expect(readFileSync(join(dir, 'cascadence.yml'), 'utf8')).toMatch(/task_modules:\n\s+- tasks\/hello\.js/);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('npm test');

    const queue = uniqueQueue('scaffold');
    const registry = loadTaskModules(createDefaultRegistry(), [join(dir, 'tasks', 'hello.js')]);
    const run = await withWorker(conns, registry, queue, () =>
      nodeTest(dir, { CASCADENCE_HOME: REPO, TEMPORAL_ADDRESS: serverAddress(), TASK_QUEUE: queue }),
    );
    expect(`${run.stdout}\n${run.stderr}`).toMatch(/^# pass 2$/m); // shows the whole report when not
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^# fail 0$/m);
    expect(run.stdout).toMatch(/^# skipped 0$/m);
    expect(run.stdout).toMatch(/^ok \d+ - hello runs on Temporal through the task CLI$/m);

    // The same project without a server: the Temporal test is skipped, the other still passes.
    const alone = await nodeTest(dir, { CASCADENCE_HOME: REPO, TEMPORAL_ADDRESS: '' });
    expect(alone.code).toBe(0);
    expect(alone.stdout).toMatch(/^# pass 1$/m);
    expect(alone.stdout).toMatch(/^# skipped 1$/m);
  });

  it('refuses a folder that is not empty (exit 2, one line), and writes over it with --force', async () => {
    const dir = fresh('busy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expectOneLineError(await runCli(['init', dir], ENV), 2, /^error: .*busy is not empty .*--force/);
    expect(existsSync(join(dir, 'package.json'))).toBe(false);

    const forced = await runCli(['init', dir, '--force', '--json'], ENV);
    expect(forced.code).toBe(0);
    const out = JSON.parse(forced.stdout) as { dir: string; files: string[]; next_steps: string[] };
    expect(out.dir).toBe(dir);
    expect([...out.files].sort()).toEqual(INIT_FILES);
    expect(out.next_steps.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a path that is a file (exit 2)', async () => {
    const file = fresh('file');
    writeFileSync(file, '');
    expectOneLineError(await runCli(['init', file], ENV), 2, /is not a directory/);
  });
});

describe('task new task', () => {
  it('writes a module whose stages work in process, with options from the flags', async () => {
    const dir = fresh('tasks');
    const res = await runCli(['new', 'task', 'report', '--dir', dir, '--with-retry', '5', '--timeout', '45'], ENV);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const file = join(dir, 'report.js');
    expect(res.stdout).toContain(`created ${file}\n`);
    expect(res.stdout).toMatch(/task_modules/);
    expect(res.stdout).toMatch(/CASCADENCE_TASK_MODULES/);

    const registry = loadTaskModules(createDefaultRegistry(), [file]);
    const desc = registry.describe('report');
    expect(desc.options).toEqual({ retry: { maximumAttempts: 5 }, startToCloseTimeout: '45s' });
    expect(Object.keys(desc.steps).sort()).toEqual(['intake', 'plan', 'precheck', 'research', 'run', 'verify']);

    const audit = new MemoryAuditStore();
    const backend = new BaseBackend({
      registry,
      state: new TaskStateStore(join(dir, 'task-state.json')),
      hashSecret: '',
      audit,
    });
    try {
      const outcome = await backend.run({ task: 'report', userId: 'u', groupId: 'g', input: { rows: [1, 2] } });
      expect(outcome.result).toEqual({ rows: [1, 2] });
      const done = audit.records.filter((r) => r.status === 'success').map((r) => r.stage);
      expect(done).toEqual(['intake', 'research', 'plan', 'precheck', 'run', 'verify']);
    } finally {
      await backend.close();
    }
  });

  it('quotes names that are not identifiers, and prints JSON with --json', async () => {
    const dir = fresh('json');
    const res = await runCli(['new', 'task', 'fetch-source.v2', '--dir', dir, '--json'], ENV);
    expect(res.code).toBe(0);
    const file = join(dir, 'fetch-source.v2.js');
    expect(JSON.parse(res.stdout)).toEqual({ task: 'fetch-source.v2', file, options: {} });
    const registry = loadTaskModules(createDefaultRegistry(), [file]);
    expect(registry.names()).toContain('fetch-source.v2');
    expect(registry.describe('fetch-source.v2').options).toEqual({});
  });

  it('refuses a bad name, an existing file and bad numbers (exit 2, one line)', async () => {
    const dir = fresh('refuse');
    expectOneLineError(await runCli(['new', 'task', 'bad name', '--dir', dir], ENV), 2, /invalid task name "bad name"/);
    expectOneLineError(await runCli(['new', 'task', '-x', '--dir', dir], ENV), 2, /^error: /);
    expect(existsSync(dir)).toBe(false);

    expect((await runCli(['new', 'task', 'once', '--dir', dir], ENV)).code).toBe(0);
    const before = readFileSync(join(dir, 'once.js'), 'utf8');
    expectOneLineError(
      await runCli(['new', 'task', 'once', '--dir', dir, '--with-retry', '9'], ENV),
      2,
      /once\.js already exists/,
    );
    expect(readFileSync(join(dir, 'once.js'), 'utf8')).toBe(before);

    expectOneLineError(await runCli(['new', 'task', 'n', '--dir', dir, '--with-retry', '0'], ENV), 2, /--with-retry/);
    expectOneLineError(await runCli(['new', 'task', 'n', '--dir', dir, '--timeout', '1.5'], ENV), 2, /--timeout/);
    expect(existsSync(join(dir, 'n.js'))).toBe(false);
  });
});
