/**
 * examples/orchestrated-setup on the real dev server: the staged mod installation runs as one
 * dagWorkflow, pauses between nodes (while paused no node starts and no file appears), resumes
 * and leaves the mod installed and configured; an archive changed while paused fails `verify`
 * and installs nothing. And the README's commands through the built CLI: in process, and on
 * Temporal paused by hand while the (bandwidth-limited) download goes on.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import type { DagDefinition, DagResult, DagStatus, StageContext, Task } from '../../src/core';
import { fromFailure } from '../../src/core/failure';
import { loadDag } from '../../src/dag/load';
import { TaskRegistry } from '../../src/plugins/registry';
import { loadTaskModules } from '../../src/plugins/task-modules';
import { dagStatusQuery, pauseSignal, resumeSignal } from '../../src/workflows/messages';
import { eventually } from '../conformance/pipeline-suite';
import { runCli } from '../helpers/cli';
import { gates } from '../helpers/tasks';
import { connect, serverAddress, startTestWorker, type TestConnections } from '../helpers/temporal';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'orchestrated-setup');
const TASKS = join(EXAMPLE, 'tasks.js');
const DAG_FILE = join(EXAMPLE, 'setup.yml');
const SOURCE_FILES = ['assets/lantern.txt', 'mod.json', 'scripts/init.lua'];
const ARCHIVE = 'downloads/lanterns-1.2.0.tar.gz';
const IDS = { userId: 'setup-user', groupId: 'setup-group' };

const gate = (workdir: string): string => `setup.${workdir}`;

/**
 * The example's tasks, with `mod-download` given a `workdir` held at a gate once its files are
 * written, until the test opens it: the pause then reaches the run while its first node is still
 * running (no timing). Without a `workdir` (the README's commands) it runs as it is.
 */
function exampleRegistry(): TaskRegistry {
  const loaded = loadTaskModules(new TaskRegistry(), [TASKS]);
  const registry = new TaskRegistry();
  for (const name of loaded.names()) {
    const task = loaded.get(name);
    const run = task.run?.bind(task);
    const held: Task = {
      ...task,
      async run(ctx: StageContext) {
        const output: unknown = await run?.(ctx);
        const workdir = (ctx.input as { workdir?: string } | undefined)?.workdir;
        if (workdir) await gates.pass(gate(workdir));
        return output;
      },
    };
    registry.register(name, name === 'mod-download' ? held : task);
  }
  return registry;
}

let conns: TestConnections;
let backend: TemporalBackend;
let taskQueue: string;
let stop: () => Promise<void>;
const registry = exampleRegistry();
const workdirs: string[] = [];

beforeAll(async () => {
  conns = await connect();
  ({ backend, taskQueue, close: stop } = await startTestWorker(conns, registry, { prefix: 'setup' }));
});
afterAll(async () => {
  await stop();
  await conns.close();
  for (const dir of workdirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh work folder, removed after the file's tests. */
function newWorkdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-setup-test-'));
  workdirs.push(dir);
  return dir;
}

/** The example's DAG file, its first node given `workdir` (and no bandwidth limit). */
function setupDag(workdir: string): DagDefinition {
  const { definition } = loadDag(DAG_FILE, EXAMPLE, new Set(registry.names()));
  return {
    ...definition,
    nodes: definition.nodes.map((n) => (n.id === 'download' ? { ...n, input: { workdir } } : n)),
  };
}

/** Every file under `dir`, as sorted `/`-separated relative paths. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(join(dir, prefix))) return [];
  return readdirSync(join(dir, prefix))
    .flatMap((name) => {
      const rel = prefix ? `${prefix}/${name}` : name;
      return statSync(join(dir, rel)).isDirectory() ? filesUnder(dir, rel) : [rel];
    })
    .sort();
}

const states = (status: Pick<DagStatus, 'nodes'>): Record<string, string> =>
  Object.fromEntries(Object.entries(status.nodes).map(([id, n]) => [id, n.state]));

/** Starts the DAG in `workdir` and pauses it while `download` runs; resolves once download has finished and the run holds. */
async function startPausedAfterDownload(workdir: string) {
  const handle = await backend.startDagWorkflow({ definition: setupDag(workdir), ...IDS });
  await gates.reached(gate(workdir));
  await handle.signal(pauseSignal);
  gates.open(gate(workdir));
  const paused = await eventually(async () => {
    const status = await handle.query(dagStatusQuery);
    return status.nodes.download?.state === 'success' ? status : undefined;
  }, 'download to finish');
  return { handle, paused };
}

it('pauses after download: nothing further runs or appears until resumed; then the mod is installed and configured', async () => {
  const workdir = newWorkdir();
  const { handle, paused } = await startPausedAfterDownload(workdir);
  expect(paused).toMatchObject({ state: 'paused', paused: true });
  expect(states(paused)).toEqual({ download: 'success', verify: 'pending', install: 'pending', configure: 'pending' });

  // Held for a while: no node starts (no child workflow either) and only download's files exist.
  await new Promise((r) => setTimeout(r, 1500));
  const still = await handle.query(dagStatusQuery);
  expect(still.state).toBe('paused');
  expect(states(still)).toEqual(states(paused));
  expect(filesUnder(workdir)).toEqual([ARCHIVE, `${ARCHIVE}.sha256`]);
  await expect(conns.client.workflow.getHandle(`${handle.workflowId}/verify`).describe()).rejects.toThrow(/not found/i);

  const resumedAt = Date.now();
  await handle.signal(resumeSignal);
  const result = (await handle.result()) as DagResult;
  expect(result.state).toBe('completed');
  expect(Date.parse(result.nodes.verify?.startedAt ?? '')).toBeGreaterThanOrEqual(resumedAt);

  expect(filesUnder(workdir)).toEqual([
    'config/mods.json',
    ARCHIVE,
    `${ARCHIVE}.sha256`,
    ...SOURCE_FILES.map((f) => `mods/lanterns/${f}`),
  ]);
  for (const f of SOURCE_FILES)
    expect(readFileSync(join(workdir, 'mods', 'lanterns', f))).toEqual(readFileSync(join(EXAMPLE, 'mod-source', f)));
  const sha256 = createHash('sha256')
    .update(readFileSync(join(workdir, ARCHIVE)))
    .digest('hex');
  expect(readFileSync(join(workdir, `${ARCHIVE}.sha256`), 'utf8')).toBe(`${sha256}  lanterns-1.2.0.tar.gz\n`);
  expect(JSON.parse(readFileSync(join(workdir, 'config', 'mods.json'), 'utf8'))).toEqual({
    loadOrder: ['lanterns'],
    mods: {
      lanterns: {
        version: '1.2.0',
        enabled: true,
        path: 'mods/lanterns',
        settings: { brightness: 0.8, flicker: false, dusk: '19:30' },
      },
    },
  });
  expect(result.outputs.verify).toMatchObject({ sha256, verified: true });
  expect(result.outputs.install).toMatchObject({ files: SOURCE_FILES });
});

it('an archive changed while paused fails verify (once, not retried) and nothing is installed', async () => {
  const workdir = newWorkdir();
  const { handle } = await startPausedAfterDownload(workdir);
  appendFileSync(join(workdir, ARCHIVE), 'tampered');
  await handle.signal(resumeSignal);
  const failure = await handle.result().then(
    () => undefined,
    (err: unknown) => fromFailure(err) as { code?: string; data?: DagResult },
  );
  expect(failure?.code).toBe('DAG_FAILED');
  const result = failure?.data as DagResult;
  expect(states(result)).toEqual({ download: 'success', verify: 'failed', install: 'skipped', configure: 'skipped' });
  expect(result.nodes.verify?.reason).toMatch(
    /lanterns-1\.2\.0\.tar\.gz: sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}/,
  );
  expect(filesUnder(workdir)).toEqual([ARCHIVE, `${ARCHIVE}.sha256`]);
  // The server records an activity's last attempt: 1 means the mismatch was not retried.
  const history = await conns.client.workflow.getHandle(`${handle.workflowId}/verify`).fetchHistory();
  const attempts = (history.events ?? []).flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
  expect(attempts).toEqual([1]);
});

it('validates and runs through the CLI as the README shows (base backend, default work folder)', async () => {
  const state = newWorkdir();
  const env = {
    CASCADENCE_TASK_MODULES: TASKS,
    CASCADENCE_STATE_PATH: join(state, 'state.json'),
    CASCADENCE_AUDIT_PATH: join(state, 'audit.jsonl'),
  };
  const valid = await runCli(['dag', 'validate', DAG_FILE], env);
  expect(valid.stdout).toBe('orchestrated-setup: valid, 4 node(s); order: download, verify, install, configure\n');
  const res = await runCli(
    ['dag', 'run', DAG_FILE, '--user-id', 'demo', '--group-id', 'demo', '--backend', 'base'],
    env,
  );
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  const runId = /^run-id\t([0-9a-f-]{36})$/m.exec(res.stdout)?.[1] ?? '';
  const workdir = join(tmpdir(), `cascadence-setup-${runId}`);
  workdirs.push(workdir);
  expect(res.stdout.split('\n').map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
    `run-id ${runId}`,
    'download success',
    'verify success',
    'install success',
    'configure success',
    'result completed',
    '',
  ]);
  expect(filesUnder(join(workdir, 'mods', 'lanterns'))).toEqual(SOURCE_FILES);
  expect(existsSync(join(workdir, 'config', 'mods.json'))).toBe(true);
});

it('the README on Temporal: task dag run, paused while download goes on, resumed; the CLI prints every node', async () => {
  const cli = runCli(
    ['dag', 'run', DAG_FILE, '--user-id', 'demo', '--group-id', 'demo', '--address', serverAddress()],
    { CASCADENCE_TASK_MODULES: TASKS, CASCADENCE_TASK_QUEUE: taskQueue },
  );
  const query = `WorkflowType = 'dagWorkflow' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
  const workflowId = await eventually(async () => {
    for await (const wf of conns.client.workflow.list({ query })) return wf.workflowId;
    return undefined;
  }, 'the DAG run to start');
  expect(workflowId).toMatch(/^dag-orchestrated-setup-[0-9a-f-]{36}$/);
  const handle = conns.client.workflow.getHandle(workflowId);
  await eventually(
    async () => (await handle.query(dagStatusQuery)).nodes.download?.state === 'running',
    'download to start',
  );
  // As the README does it: `temporal workflow signal --workflow-id ID --name pause`.
  await handle.signal(pauseSignal);
  const paused = await eventually(async () => {
    const status = await handle.query(dagStatusQuery);
    return status.nodes.download?.state === 'success' ? status : undefined;
  }, 'download to finish');
  expect(paused.state).toBe('paused');
  expect(states(paused)).toEqual({ download: 'success', verify: 'pending', install: 'pending', configure: 'pending' });
  await handle.signal(resumeSignal);
  const res = await cli;
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  const runId = workflowId.slice('dag-orchestrated-setup-'.length);
  const workdir = join(tmpdir(), `cascadence-setup-${runId}`);
  workdirs.push(workdir);
  expect(res.stdout.split('\n').map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
    `run-id ${runId}`,
    'download success',
    'verify success',
    'install success',
    'configure success',
    'result completed',
    '',
  ]);
  expect(filesUnder(join(workdir, 'mods', 'lanterns'))).toEqual(SOURCE_FILES);
});
