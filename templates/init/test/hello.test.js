// Tests of the `hello` task (`npm test`, i.e. `node --test`).
//
// The first runs it in this process with Cascadence's in-process backend: no server needed.
// The second runs it on Temporal through the `task` CLI, when TEMPORAL_ADDRESS is set and a
// worker with this project's tasks polls the task queue (TASK_QUEUE, default `cascadence`):
//
//   CASCADENCE_CONFIG=cascadence.yml task dev       # in another terminal
//   TEMPORAL_ADDRESS=localhost:7233 npm test
//
// Cascadence is found at $CASCADENCE_HOME (a checkout built with `npm run build`), else as the
// `cascadence` package (`npm link cascadence` in this folder).
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join, resolve } = require('node:path');
const { test } = require('node:test');

const PROJECT = resolve(__dirname, '..');

/** Root folder of the Cascadence package. */
function cascadenceHome() {
  if (process.env.CASCADENCE_HOME) return resolve(process.env.CASCADENCE_HOME);
  try {
    return dirname(require.resolve('cascadence/package.json', { paths: [PROJECT] }));
  } catch {
    throw new Error('cannot find Cascadence: run `npm link cascadence` here, or set CASCADENCE_HOME to its folder');
  }
}

const HOME = cascadenceHome();
const cascadence = require(HOME);

const { BaseBackend, TaskStateStore, MemoryAuditStore, loadTaskModules, createDefaultRegistry } = cascadence;

test('hello runs in process (no server)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-hello-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const registry = loadTaskModules(createDefaultRegistry(), ['tasks/hello.js'], PROJECT);
  const audit = new MemoryAuditStore();
  const backend = new BaseBackend({
    registry,
    state: new TaskStateStore(join(dir, 'task-state.json')),
    hashSecret: '',
    audit,
  });
  t.after(() => backend.close());
  const ids = { userId: 'alice', groupId: 'team-a' };

  const ada = await backend.run({ task: 'hello', ...ids, input: { name: 'Ada' } });
  assert.deepEqual(ada.result, { greeting: 'Hello, Ada!', verified: true });
  const stages = audit.records.filter((r) => r.run_id === ada.runId && r.status === 'success').map((r) => r.stage);
  assert.deepEqual(stages, ['intake', 'plan', 'run', 'verify']);

  const world = await backend.run({ task: 'hello', ...ids });
  assert.deepEqual(world.result, { greeting: 'Hello, world!', verified: true });

  // BadInput is not retried: the run fails at once.
  await assert.rejects(backend.run({ task: 'hello', ...ids, input: { name: 42 } }), /non-empty string/);
});

test(
  'hello runs on Temporal through the task CLI',
  { skip: process.env.TEMPORAL_ADDRESS ? false : "set TEMPORAL_ADDRESS, with a worker running this project's tasks" },
  async () => {
    const args = [join(HOME, 'bin', 'run.js'), 'run', 'hello', '--user-id', 'alice', '--group-id', 'team-a'];
    args.push('--input', '{"name":"Temporal"}', '--json', '--address', process.env.TEMPORAL_ADDRESS);
    if (process.env.TASK_QUEUE) args.push('--task-queue', process.env.TASK_QUEUE);
    const env = { ...process.env, CASCADENCE_CONFIG: join(PROJECT, 'cascadence.yml') };
    const stdout = await new Promise((done, fail) => {
      execFile(process.execPath, args, { cwd: PROJECT, env, timeout: 60_000 }, (err, out, errOut) =>
        err ? fail(new Error(`task run hello failed (${err.code}): ${errOut.trim()}`)) : done(out),
      );
    });
    const { run_id: runId, result } = JSON.parse(stdout);
    assert.match(runId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(result, { greeting: 'Hello, Temporal!', verified: true });
  },
);
