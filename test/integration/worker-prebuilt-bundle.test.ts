/**
 * `task worker` from the built CLI runs its workflows from the prebuilt bundle of `npm run build`
 * (dist/workflow-bundle.js) and completes a pipeline with it; with `CASCADENCE_WORKFLOW_BUNDLE=off`
 * it bundles in process and completes one as well. `--debug` names the bundle on stderr. Either
 * way the worker loads no heavy package it does not use (webpack only when it bundles).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { pipelineWorkflowId } from '../../src/core/ids';
import { findPrebuiltBundle } from '../../src/worker/bundle';
import { BIN } from '../helpers/cli';
import { moduleBackend, serverAddress, uniqueQueue } from '../helpers/temporal';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const MODULE = join(__dirname, '..', 'fixtures', 'crash-tasks', 'tasks.js');
const PROBE = join(__dirname, '..', 'fixtures', 'module-probe', 'probe.js');
const distLookup = () =>
  findPrebuiltBundle([], { dir: DIST, workflowsPath: join(DIST, 'workflows', 'index.js'), env: {} });

beforeAll(() => {
  // A dist/ compiled by `tsc` alone has no prebuilt bundle (or a stale one): make it as `npm run build` does.
  if (!distLookup().ok)
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-workflow-bundle.js')], { stdio: 'pipe' });
  expect(distLookup()).toEqual({ ok: true, bundle: { codePath: join(DIST, 'workflow-bundle.js') } });
});

/**
 * Starts `task worker --debug` on `queue`, with test/fixtures/module-probe preloaded: `stderr()` is
 * what it wrote there so far, `modules()` the files it had loaded a moment ago.
 */
function startWorker(
  queue: string,
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; stderr: () => string; modules: () => string[] } {
  const probeOut = join(tmpdir(), `cascadence-modules-${randomUUID()}`);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    CASCADENCE_TASK_MODULES: MODULE,
    MODULE_PROBE_OUT: probeOut,
  };
  if (!('CASCADENCE_WORKFLOW_BUNDLE' in env)) delete childEnv.CASCADENCE_WORKFLOW_BUNDLE;
  const child = spawn(
    process.execPath,
    ['-r', PROBE, BIN, 'worker', '--address', serverAddress(), '--task-queue', queue, '--debug'],
    { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.once('exit', () => rmSync(probeOut, { force: true }));
  return { child, stderr: () => stderr, modules: () => readFileSync(probeOut, 'utf8').split('\n') };
}

/** Packages (or files) a plain worker has no use for: loaded only where configured or used. */
const HEAVY = [
  'webpack/lib/webpack.js',
  'fastify',
  'playwright-core',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/api',
  'n8n-workflow',
  'prom-client',
  '@nats-io',
  'ajv',
];
const loaded = (modules: string[], name: string): boolean =>
  modules.some((m) => m.includes(`${sep}node_modules${sep}${name.split('/').join(sep)}`));

async function runSteadyPipeline(queue: string): Promise<unknown> {
  const backend = await moduleBackend(queue, [MODULE]);
  try {
    const runId = await backend.start({ task: 'steady', userId: 'u', groupId: 'g' });
    return await backend.client.workflow.getHandle(pipelineWorkflowId('steady', runId)).result();
  } finally {
    await backend.close();
  }
}

it.each([
  ['the prebuilt bundle', {}, `workflow bundle: ${join(DIST, 'workflow-bundle.js')} (prebuilt)`, false],
  [
    'the workflows bundled in process when disabled',
    { CASCADENCE_WORKFLOW_BUNDLE: 'off' },
    'workflow bundle: bundling in process (disabled by CASCADENCE_WORKFLOW_BUNDLE=off)',
    true,
  ],
])('task worker runs a pipeline to completion with %s', async (_name, env: NodeJS.ProcessEnv, line, bundled) => {
  const queue = uniqueQueue('prebuilt');
  const worker = startWorker(queue, env);
  const exited = new Promise((r) => worker.child.once('exit', r));
  try {
    expect(await runSteadyPipeline(queue)).toEqual({ verified: true });
    expect(worker.stderr()).toContain(line);
    // After a whole run: webpack only when it bundled, and none of the other heavy packages.
    await new Promise((r) => setTimeout(r, 500));
    const modules = worker.modules();
    expect(modules).toContain(join(DIST, 'cli', 'worker-process.js'));
    expect(loaded(modules, 'webpack/lib/webpack.js')).toBe(bundled);
    // (webpack validates its options with ajv.)
    const others = HEAVY.slice(1).filter((name) => !(bundled && name === 'ajv'));
    expect(others.filter((name) => loaded(modules, name))).toEqual([]);
  } finally {
    worker.child.kill('SIGTERM');
    await exited;
  }
});
