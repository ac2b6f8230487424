/**
 * A real `task dashboard` process (the built CLI) for the dashboard tests, on the suite's
 * Temporal dev server, with a worker in the test process on a fresh task queue (the CLI test
 * tasks and `evil`, whose description and result hold markup) and a backend to start runs
 * with. Its stores live in a temporary HOME.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { loadTaskModules } from '../../src/plugins/task-modules';
import { BIN } from './cli';
import { connect, serverAddress, startTestWorker, type TestConnections } from './temporal';

const FIXTURES = join(__dirname, '..', 'fixtures');
/** The task modules of both the worker and the dashboard process. */
export const DASHBOARD_MODULES = [
  join(FIXTURES, 'cli-tasks', 'tasks.js'),
  join(FIXTURES, 'dashboard-tasks', 'tasks.js'),
];

/**
 * Markup a task's description, a run's input and its result carry: it must only ever show as
 * text. `description` and `result` are the `MARKUP` of test/fixtures/dashboard-tasks/tasks.js.
 */
export const EVIL = {
  description: '<script>alert("description")</script><b>bold</b>',
  result: '<img src=x onerror="alert(1)">',
  input: '<script>alert("input")</script>',
};

/** A running dashboard and what it runs on; `close()` stops everything and removes its files. */
export interface DashboardFixture {
  url: string;
  child: ChildProcess;
  backend: TemporalBackend;
  conns: TestConnections;
  taskQueue: string;
  hashSecret: string;
  pointersPath: string;
  ideasPath: string;
  dir: string;
  /** Everything the process wrote on stderr so far. */
  stderr(): string;
  /** Stops the dashboard (SIGTERM), the worker and the connections; resolves with the dashboard's exit code. */
  close(): Promise<number | null>;
}

/**
 * Starts `task dashboard --port 0` (or `task api`, which serves the dashboard at its root), with
 * `CASCADENCE_API_TOKEN` when `apiToken` is given.
 */
export async function startDashboard(
  options: { apiToken?: string; timeoutMs?: number; command?: 'dashboard' | 'api' } = {},
): Promise<DashboardFixture> {
  const command = options.command ?? 'dashboard';
  const hashSecret = 'dashboard-secret';
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-dashboard-'));
  const registry = loadTaskModules(createDefaultRegistry(), DASHBOARD_MODULES);
  const conns = await connect();
  const worker = await startTestWorker(conns, registry, { prefix: 'dashboard', hashSecret });
  const pointersPath = join(dir, 'pointers.yml');
  const ideasPath = join(dir, 'ideas.yml');
  const args = command === 'api' ? ['api', '--port', '0', '--rate-limit', '0'] : ['dashboard', '--port', '0'];
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      ...process.env,
      HOME: dir,
      TEMPORAL_ADDRESS: serverAddress(),
      CASCADENCE_SCHEDULER: 'temporal',
      CASCADENCE_TASK_QUEUE: worker.taskQueue,
      CASCADENCE_TASK_MODULES: DASHBOARD_MODULES.join(','),
      CASCADENCE_HASH_SECRET: hashSecret,
      CASCADENCE_POINTERS_PATH: pointersPath,
      CASCADENCE_IDEAS_PATH: ideasPath,
      CASCADENCE_UI_URL: 'http://web-ui.example:8233',
      ...(options.apiToken ? { CASCADENCE_API_TOKEN: options.apiToken } : { CASCADENCE_API_TOKEN: '' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const stopRest = async (): Promise<void> => {
    await worker.close();
    await conns.close();
    rmSync(dir, { recursive: true, force: true });
  };
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`task ${command} did not start: ${stderr}`));
      }, options.timeoutMs ?? 30_000);
      child.stdout?.resume();
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
        const match = /^(?:dashboard|api): (http:\/\/[^\s/]+)/m.exec(stderr);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`task ${command} exited (${code}) before listening: ${stderr}`));
      });
    });
  } catch (err) {
    await stopRest();
    throw err;
  }
  return {
    url,
    child,
    backend: worker.backend,
    conns,
    taskQueue: worker.taskQueue,
    hashSecret,
    pointersPath,
    ideasPath,
    dir,
    stderr: () => stderr,
    async close() {
      child.kill('SIGTERM');
      const code = await exited;
      for await (const wf of conns.client.workflow.list({
        query: `TaskQueue = "${worker.taskQueue}" AND ExecutionStatus = "Running"`,
      })) {
        await conns.client.workflow.getHandle(wf.workflowId).terminate('dashboard test cleanup');
      }
      await stopRest();
      return code;
    },
  };
}
