/**
 * `task run NAME --with-deps` runs each prerequisite once, in dependency order, under one run
 * id, on every backend that runs tasks here (base, cron, cron-deps and its old name dag,
 * temporal). A two-level chain: prepared needs prep-a and prep-b, which both need prep-base.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { runCli } from '../helpers/cli';
import { connect, serverAddress, startTestWorker, type TestConnections } from '../helpers/temporal';

const MODULE = join(__dirname, '..', 'fixtures', 'dag-tasks', 'tasks.js');
const CHAIN = ['prep-base', 'prep-a', 'prep-b', 'prepared'];

let conns: TestConnections;
let taskQueue: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  conns = await connect();
  ({ taskQueue, close: stop } = await startTestWorker(conns, loadTaskModules(createDefaultRegistry(), [MODULE]), {
    prefix: 'prerequisites',
  }));
});
afterAll(async () => {
  await stop?.();
  await conns?.close();
});

function env(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), `cascadence-prereq-${randomUUID()}-`));
  return {
    CASCADENCE_TASK_MODULES: MODULE,
    CASCADENCE_AUDIT_PATH: join(dir, 'audit.jsonl'),
    CASCADENCE_STATE_PATH: join(dir, 'state.json'),
    CASCADENCE_SCHEDULES_PATH: join(dir, 'schedules.yml'),
    TEMPORAL_ADDRESS: serverAddress(),
    CASCADENCE_TASK_QUEUE: taskQueue,
  };
}

/** How many times each task of the chain ran its `run` stage under `runId`. */
async function runsPerTask(backend: string, runId: string, e: NodeJS.ProcessEnv): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const task of CHAIN) {
    const res = await runCli(['audit', task, '--run-id', runId, '--backend', backend, '--json'], e);
    expect(res.stderr).toBe('');
    const records = JSON.parse(res.stdout) as Array<{ stage: string; status: string }>;
    counts[task] = records.filter((r) => r.stage === 'run' && r.status === 'started').length;
  }
  return counts;
}

const ONCE_EACH = Object.fromEntries(CHAIN.map((t) => [t, 1]));

describe.each(['base', 'cron', 'cron-deps', 'dag', 'temporal'])('--with-deps on the %s backend', (backend) => {
  it('runs every prerequisite once, in dependency order, sharing one run id', async () => {
    const e = env();
    const res = await runCli(
      ['run', 'prepared', '--with-deps', '--backend', backend, '--user-id', 'u', '--group-id', 'g'],
      e,
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['prep-base\tdone', 'prep-a\tdone', 'prep-b\tdone']);
    expect(lines[4]).toBe('result\t"prepared"');
    const runId = (lines[3] ?? '').split('\t')[1] as string;
    expect(await runsPerTask(backend, runId, e)).toEqual(ONCE_EACH);
  });
});

it('the cron-deps backend (alias dag) runs the prerequisites once without --with-deps too', async () => {
  const e = env();
  const res = await runCli(['run', 'prepared', '--backend', 'dag', '--user-id', 'u', '--group-id', 'g', '--json'], e);
  expect(res.code).toBe(0);
  const { run_id: runId } = JSON.parse(res.stdout) as { run_id: string };
  expect(await runsPerTask('dag', runId, e)).toEqual(ONCE_EACH);
});
