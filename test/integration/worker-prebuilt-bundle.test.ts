/**
 * `task worker` from the built CLI runs its workflows from the prebuilt bundle of `npm run build`
 * (dist/workflow-bundle.js) and completes a pipeline with it; with `CASCADENCE_WORKFLOW_BUNDLE=off`
 * it bundles in process and completes one as well. `--debug` names the bundle on stderr.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TemporalBackend } from '../../src/backends/temporal';
import { pipelineWorkflowId } from '../../src/core/ids';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { findPrebuiltBundle } from '../../src/worker/bundle';
import { BIN } from '../helpers/cli';
import { serverAddress, uniqueQueue } from '../helpers/temporal';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const MODULE = join(__dirname, '..', 'fixtures', 'crash-tasks', 'tasks.js');
const distLookup = () =>
  findPrebuiltBundle([], { dir: DIST, workflowsPath: join(DIST, 'workflows', 'index.js'), env: {} });

beforeAll(() => {
  // A dist/ compiled by `tsc` alone has no prebuilt bundle (or a stale one): make it as `npm run build` does.
  if (!distLookup().ok)
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-workflow-bundle.js')], { stdio: 'pipe' });
  expect(distLookup()).toEqual({ ok: true, bundle: { codePath: join(DIST, 'workflow-bundle.js') } });
});

/** Starts `task worker --debug` on `queue`; `stderr()` is what it wrote there so far. */
function startWorker(queue: string, env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, CASCADENCE_TASK_MODULES: MODULE };
  if (!('CASCADENCE_WORKFLOW_BUNDLE' in env)) delete childEnv.CASCADENCE_WORKFLOW_BUNDLE;
  const child = spawn(
    process.execPath,
    [BIN, 'worker', '--address', serverAddress(), '--task-queue', queue, '--debug'],
    {
      env: childEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return { child, stderr: () => stderr };
}

async function runSteadyPipeline(queue: string): Promise<unknown> {
  const backend = await TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue: queue,
    hashSecret: '',
    registry: loadTaskModules(createDefaultRegistry(), [MODULE]),
  });
  try {
    const runId = await backend.start({ task: 'steady', userId: 'u', groupId: 'g' });
    return await backend.client.workflow.getHandle(pipelineWorkflowId('steady', runId)).result();
  } finally {
    await backend.close();
  }
}

it.each([
  ['the prebuilt bundle', {}, `workflow bundle: ${join(DIST, 'workflow-bundle.js')} (prebuilt)`],
  [
    'the workflows bundled in process when disabled',
    { CASCADENCE_WORKFLOW_BUNDLE: 'off' },
    'workflow bundle: bundling in process (disabled by CASCADENCE_WORKFLOW_BUNDLE=off)',
  ],
])('task worker runs a pipeline to completion with %s', async (_name, env: NodeJS.ProcessEnv, line) => {
  const queue = uniqueQueue('prebuilt');
  const worker = startWorker(queue, env);
  const exited = new Promise((r) => worker.child.once('exit', r));
  try {
    expect(await runSteadyPipeline(queue)).toEqual({ verified: true });
    expect(worker.stderr()).toContain(line);
  } finally {
    worker.child.kill('SIGTERM');
    await exited;
  }
});
