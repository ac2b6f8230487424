/**
 * `task runs`, `task diagram --run-id` and `task autocomplete` through the built CLI, against the
 * suite's dev server.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { runCli } from '../helpers/cli';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const MODULE = join(__dirname, '..', '..', 'examples', 'tasks', 'tasks.js');
let conns: TestConnections;
beforeAll(async () => {
  conns = await connect();
});
afterAll(async () => {
  await conns.close();
});

it('lists recent runs with Web UI links, and draws the plan a run made', async () => {
  const queue = uniqueQueue('runs');
  const env = { CASCADENCE_TASK_MODULES: MODULE, CASCADENCE_STATE_PATH: `/tmp/cascadence-${randomUUID()}.json` };
  const g = ['--address', serverAddress(), '--task-queue', queue];
  await withWorker(conns, loadTaskModules(createDefaultRegistry(), [MODULE]), queue, async () => {
    const run = await runCli(['run', 'report', '--user-id', 'u', '--group-id', 'g', ...g], env);
    expect(run.code).toBe(0);
    const runId = /^run-id\t(\S+)/.exec(run.stdout)?.[1] as string;

    const listed = JSON.parse(
      (await runCli(['runs', 'report', '--status', 'completed', '--limit', '50', '--json', ...g], env)).stdout,
    ) as Array<{
      run_id: string;
      task: string;
      status: string;
      url: string;
    }>;
    const mine = listed.find((r) => r.run_id === runId);
    expect(mine).toMatchObject({ task: 'report', status: 'completed' });
    expect(mine?.url).toBe(`http://localhost:8233/namespaces/default/workflows/report-${runId}`);
    expect(listed.every((r) => r.task === 'report')).toBe(true);
    const plain = await runCli(['runs', 'report', '--limit', '1', ...g], env);
    expect(plain.stdout.trim().split('\n')).toHaveLength(1);
    expect(plain.stdout).toMatch(/^\S+\treport\t\w+\t\d{4}-\d\d-\d\dT[^\t]+\thttp:\/\/localhost:8233\//);

    const stages = await runCli(['diagram', 'report'], env);
    expect(stages.stdout).not.toContain('fetch-source');
    const planned = await runCli(['diagram', 'report', '--run-id', runId, ...g], env);
    expect(planned.code).toBe(0);
    expect(planned.stdout.match(/fetch-source/g)?.length).toBeGreaterThanOrEqual(3);
  });
});

it('sets up shell completion', async () => {
  const res = await runCli(['autocomplete', 'bash']);
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/task autocomplete script bash/);
});
