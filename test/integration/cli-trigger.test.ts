/**
 * `task trigger NAME` through the built CLI against the suite's dev server: a manual task runs as
 * `task run` would run it; any other kind is refused with one line, exit 2, and starts nothing.
 */
import { join } from 'node:path';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { loadTaskModules } from '../../src/plugins/task-modules';
import { runCli } from '../helpers/cli';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const TASKS = join(__dirname, '..', 'fixtures', 'trigger-tasks', 'tasks.js');
const env = { CASCADENCE_TASK_MODULES: TASKS };

let conns: TestConnections;
beforeAll(async () => {
  conns = await connect();
});
afterAll(async () => {
  await conns.close();
});

it('runs a manual task, printing run-id and result (and --json), and refuses a cron task with one line, exit 2', async () => {
  const queue = uniqueQueue('cli-trigger');
  const common = ['--address', serverAddress(), '--task-queue', queue, '--user-id', 'alice', '--group-id', 'team'];
  const registry = loadTaskModules(createDefaultRegistry(), [TASKS]);
  await withWorker(conns, registry, queue, async () => {
    const plain = await runCli(['trigger', 'hello', ...common, '--input', '{"name":"Ada"}'], env);
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    const [first, second, ...rest] = plain.stdout.trim().split('\n');
    const runId = /^run-id\t([0-9a-f-]{36})$/.exec(first ?? '')?.[1];
    expect(runId).toBeDefined();
    expect(second).toBe('result\t{"greeting":"Hello, Ada!"}');
    expect(rest).toEqual([]);
    const desc = await conns.client.workflow.getHandle(`hello-${runId}`).describe();
    expect(desc.status.name).toBe('COMPLETED');

    const json = await runCli(['trigger', 'hello', ...common, '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      run_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      result: { greeting: 'Hello, world!' },
    });

    for (const extra of [[], ['--detach'], ['--json']]) {
      const refused = await runCli(['trigger', 'nightly', ...common, ...extra], env);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(
        'error: nightly is a task of kind "cron" (CronTask), not "manual" (ManualTrigger): task trigger runs only manual tasks (use `task run nightly` instead)\n',
      );
    }
    const unknown = await runCli(['trigger', 'nope', ...common], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown task "nope"; known tasks: .*hello, nightly/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);

    // Nothing of nightly started; `task run`, as the hint says, runs it.
    const started = await conns.client.workflow.count(`TaskQueue = '${queue}' AND WorkflowId STARTS_WITH 'nightly-'`);
    expect(started.count).toBe(0);
    const run = await runCli(['run', 'nightly', ...common], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\nresult\t"nightly done"\n$/);
  });
});
