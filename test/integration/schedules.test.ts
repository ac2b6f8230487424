/**
 * Temporal Schedules through the built CLI, checked with the Temporal CLI the project installed:
 * schedule → describe shows cron, timezone and action; trigger → a completed pipeline run that
 * `task audit` shows; pause; export → unschedule → load-schedules round trip; unschedule.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashId } from '../../src/events/hash';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { loadTaskModules } from '../../src/plugins/task-modules';
import { eventually } from '../conformance/pipeline-suite';
import { runCli } from '../helpers/cli';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const temporalBin = execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'ensure-temporal.sh')], {
  encoding: 'utf8',
}).trim();

let conns: TestConnections;
beforeAll(async () => {
  conns = await connect();
});
afterAll(async () => {
  await conns.close();
});

function describeWithTemporalCli(scheduleId: string): string {
  return execFileSync(
    temporalBin,
    ['schedule', 'describe', '--schedule-id', scheduleId, '--address', serverAddress(), '-o', 'json'],
    {
      encoding: 'utf8',
    },
  );
}

it('schedules, triggers, pauses, exports, reloads and unschedules a task', async () => {
  const queue = uniqueQueue('schedules');
  const dir = join(tmpdir(), `cascadence-schedules-${randomUUID()}`);
  const env = { CASCADENCE_STATE_PATH: join(dir, 'state.json') };
  const g = ['--address', serverAddress(), '--task-queue', queue];
  const cli = (...args: string[]) => runCli([...args, ...g], env);
  const rawUser = `alice-${randomUUID()}`;

  await withWorker(conns, createDefaultRegistry(), queue, async () => {
    const created = await cli(
      'schedule',
      'example',
      '0 9 * * MON-FRI',
      '--user-id',
      rawUser,
      '--group-id',
      'team-a',
      '--timezone',
      'Europe/Paris',
      '--note',
      'weekday digest',
    );
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('example scheduled: 0 9 * * MON-FRI\n');

    const described = JSON.parse(describeWithTemporalCli('cascadence-example')) as {
      schedule: {
        spec: { timezoneName?: string; structuredCalendar?: unknown[] };
        action: { startWorkflow: { workflowType: { name: string }; taskQueue: { name: string } } };
      };
    };
    expect(described.schedule.spec.timezoneName).toBe('Europe/Paris');
    expect(JSON.stringify(described.schedule.spec.structuredCalendar)).toMatch(/"hour":\[\{"start":9/);
    expect(described.schedule.action.startWorkflow.workflowType.name).toBe('pipelineWorkflow');
    expect(described.schedule.action.startWorkflow.taskQueue.name).toBe(queue);
    expect(JSON.stringify(described)).not.toContain(rawUser);

    expect((await cli('schedule', 'trigger', 'example')).stdout).toBe('example schedule triggered\n');
    const last = await eventually(async () => {
      const list = JSON.parse((await cli('schedules', '--json')).stdout) as Array<{
        name: string;
        lastRun?: { runId: string; status: string };
      }>;
      const run = list.find((s) => s.name === 'example')?.lastRun;
      return run?.status === 'completed' ? run : undefined;
    }, 'the triggered run to complete');
    const audit = JSON.parse((await cli('audit', 'example', '--run-id', last.runId, '--json')).stdout) as Array<{
      stage: string;
      status: string;
    }>;
    expect(audit.at(-1)).toMatchObject({ stage: 'verify', status: 'success' });

    expect((await cli('schedule', 'pause', 'example')).stdout).toBe('example schedule paused\n');
    expect(JSON.parse(describeWithTemporalCli('cascadence-example')).schedule.state.paused).toBe(true);

    const file = join(dir, 'schedules.yml');
    expect((await cli('schedules', '--export', file)).code).toBe(0);
    const exported = readFileSync(file, 'utf8');
    expect(exported).toContain('expr: "0 9 * * MON-FRI"');
    expect(exported).not.toContain(rawUser);

    expect((await cli('unschedule', 'example')).stdout).toBe('example unscheduled\n');
    const gone = await cli('unschedule', 'example');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/^error: task example has no schedule/);

    const loaded = await cli('load-schedules', file);
    expect(loaded.stdout).toBe('example scheduled: 0 9 * * MON-FRI\n');
    const after = JSON.parse((await cli('schedules', '--json')).stdout) as Array<{
      name: string;
      cron: string;
      timezone: string;
      paused: boolean;
      note?: string;
    }>;
    expect(after.find((s) => s.name === 'example')).toMatchObject({
      cron: '0 9 * * MON-FRI',
      timezone: 'Europe/Paris',
      paused: true,
      note: 'weekday digest',
    });

    expect((await cli('unschedule', 'example')).code).toBe(0);
  });
});

it('rejects a bad cron, timezone or task before creating anything, naming the problem', async () => {
  const g = ['--address', serverAddress(), '--user-id', 'u', '--group-id', 'g'];
  const badCron = await runCli(['schedule', 'example', '0 61 * * *', ...g]);
  expect(badCron.code).toBe(2);
  expect(badCron.stderr).toMatch(/^error: invalid cron "0 61 \* \* \*": hour "61" is not valid/);
  const badTz = await runCli(['schedule', 'example', '0 9 * * *', '--timezone', 'Mars/Olympus', ...g]);
  expect(badTz.code).toBe(2);
  expect(badTz.stderr).toMatch(/^error: invalid timezone "Mars\/Olympus"/);
  const unknown = await runCli(['schedule', 'nope', '0 9 * * *', ...g]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/^error: unknown task "nope"/);
  const list = JSON.parse((await runCli(['schedules', '--json', '--address', serverAddress()])).stdout) as Array<{
    name: string;
  }>;
  expect(list.map((s) => s.name)).not.toContain('nope');
});

it('task load-schedules reads a file the original wrote: plaintext ids hashed, a mapping recurrence kept, input passed to runs', async () => {
  const queue = uniqueQueue('schedules-original');
  const dir = join(tmpdir(), `cascadence-original-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  const name = `orig-${randomUUID().slice(0, 8)}`;
  const module = join(dir, 'tasks.js');
  writeFileSync(module, `exports.tasks = { ${JSON.stringify(name)}: { run: (ctx) => ({ got: ctx.input }) } };\n`);
  const rawUser = `alice-${randomUUID()}`;
  const file = join(dir, 'schedules.yml');
  writeFileSync(
    file,
    [
      '# written by the original Cascadence',
      `${name}:`,
      '  expr: "0 9 * * *"',
      `  user_id: ${rawUser}`,
      '  group_id: team-a',
      '  recurrence: {cron: "0 9 * * *", note: daily digest}',
      '  input: {city: Paris}',
      '',
    ].join('\n'),
  );
  const env = {
    CASCADENCE_TASK_MODULES: module,
    CASCADENCE_HASH_SECRET: 'original',
    TEMPORAL_ADDRESS: serverAddress(),
    CASCADENCE_TASK_QUEUE: queue,
  };
  const cli = (...args: string[]) => runCli(args, env);
  await withWorker(conns, loadTaskModules(createDefaultRegistry(), [module]), queue, async () => {
    const loaded = await cli('load-schedules', file);
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout.trim()).toBe(`${name} scheduled: 0 9 * * *`);
    const listed = await cli('schedules', '--json');
    const mine = (JSON.parse(listed.stdout) as Array<Record<string, unknown>>).find((s) => s.name === name);
    expect(mine).toMatchObject({
      userHash: hashId(rawUser, 'original'),
      groupHash: hashId('team-a', 'original'),
      recurrence: { cron: '0 9 * * *', note: 'daily digest' },
      input: { city: 'Paris' },
    });
    expect(listed.stdout).not.toContain(rawUser);
    expect((await cli('schedules')).stdout).toContain('recurrence {"cron":"0 9 * * *","note":"daily digest"}');
    expect((await cli('schedule', 'trigger', name)).code).toBe(0);
    const run = await eventually(async () => {
      for await (const wf of conns.client.workflow.list({ query: `CascadenceTask = '${name}'` })) {
        if (wf.status.name === 'COMPLETED') return wf.workflowId;
      }
      return undefined;
    }, 'the triggered run');
    expect(await conns.client.workflow.getHandle(run).result()).toEqual({ got: { city: 'Paris' } });
    expect((await cli('unschedule', name)).code).toBe(0);
  });
});
