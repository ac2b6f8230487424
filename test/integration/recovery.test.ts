/**
 * `task retry` and `task rerun` through the built CLI, and `POST /runs/{run_id}/retry` and
 * `/rerun` through a real `task api`, on the suite's dev server with a worker in this process.
 * Every stage counts its executions in a journal file, so a test sees what ran again: a retry of
 * a run whose verify failed runs only verify again (on a pipeline, and on a DAG's failed node),
 * and a rerun of the failed runs re-runs exactly those.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import type { DagResult } from '../../src/core';
import { MemoryTransport, umeEventsOf } from '../../src/events/bus';
import { hashId } from '../../src/events/hash';
import type { AnyUmeEvent } from '../../src/events/ume';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { startApi, type ApiProcess } from '../helpers/api';
import { runCli } from '../helpers/cli';
import { connect, serverAddress, startTestWorker, type TestConnections } from '../helpers/temporal';

const MODULE = join(__dirname, '..', 'fixtures', 'recovery-tasks', 'tasks.js');
const SECRET = 'recovery-test-secret';
const dir = mkdtempSync(join(tmpdir(), 'cascadence-recovery-'));
const journal = join(dir, 'journal');
const flags = join(dir, 'flags');
mkdirSync(flags);
appendFileSync(journal, '');
// The stages run in this process (the worker is here) and read these.
process.env.RECOVERY_JOURNAL = journal;
process.env.RECOVERY_FLAGS = flags;

/** Every event the worker published (each with its id, as the outbox and JetStream see it). */
const events = new MemoryTransport();
const eventsOf = (runId: string): AnyUmeEvent[] =>
  events.events.flatMap((e) => umeEventsOf(e)).filter((e) => 'run_id' in e && e.run_id === runId);

let conns: TestConnections;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let backend: TemporalBackend;
let env: NodeJS.ProcessEnv;
let g: string[];

beforeAll(async () => {
  conns = await connect();
  worker = await startTestWorker(conns, loadTaskModules(createDefaultRegistry(), [MODULE]), {
    prefix: 'recovery',
    hashSecret: SECRET,
    events,
  });
  backend = worker.backend;
  env = {
    CASCADENCE_TASK_MODULES: MODULE,
    CASCADENCE_STATE_PATH: join(dir, 'state.json'),
    CASCADENCE_HASH_SECRET: SECRET,
    RECOVERY_JOURNAL: journal,
    RECOVERY_FLAGS: flags,
  };
  g = ['--address', serverAddress(), '--task-queue', worker.taskQueue];
});

afterAll(async () => {
  await worker?.close();
  await conns?.close();
});

/** How often each stage of runs with input key `key` ran. */
function counts(key: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(journal, 'utf8').split('\n')) {
    const [k, stage] = line.split(' ');
    if (k === key && stage) out[stage] = (out[stage] ?? 0) + 1;
  }
  return out;
}

const once = { intake: 1, research: 1, plan: 1, run: 1, verify: 1 };

/** Lets verify of runs with input key `key` succeed from now on. */
const ready = (key: string): void => writeFileSync(join(flags, key), '');

/** A run of `task` with input key `key` that failed (at verify); its run id. */
async function failedRun(key: string, task = 'checked'): Promise<string> {
  const runId = await backend.start({ task, userId: 'u', groupId: 'g', input: { key } });
  await expect(backend.result(runId)).rejects.toMatchObject({ code: 'STAGE_FAILED' });
  return runId;
}

/** Waits until the failed runs of `task` that recovery sees are `runIds` (visibility lags a little). */
async function listedAsFailed(task: string, runIds: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  const want = [...runIds].sort();
  for (;;) {
    const listed = (await backend.failedRuns({ task, limit: 100 })).map((r) => r.run_id).sort();
    if (JSON.stringify(listed) === JSON.stringify(want)) return;
    if (Date.now() > deadline) throw new Error(`failed runs of ${task}: ${listed.join(', ')}, not ${want.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const task = (args: string[]) => runCli([...args, ...g], env);

describe('task retry', () => {
  it('runs again only the stage that failed, reusing the results of the stages before it', async () => {
    const runId = await failedRun('p1');
    expect(counts('p1')).toEqual(once);
    ready('p1');

    const retried = await task(['retry', runId, '--user-id', 'operator']);
    expect(retried).toMatchObject({ code: 0, stderr: '' });
    expect(retried.stdout).toBe(`retried\t${runId}\tchecked\tfrom verify\n`);
    // verify saw run's result from the first attempt: the stage was not run again.
    expect(await backend.result(runId)).toEqual({ verified: 'run of p1' });
    expect(counts('p1')).toEqual({ ...once, verify: 2 });

    // The run keeps its run id. Its trail is the retried run's (the stages kept, verify once, a
    // success); the retry's record in the task's audit trail says who retried it, from where, after what.
    const audit = await backend.audit('checked', runId);
    expect(audit.filter((r) => r.stage === 'task')).toEqual([
      expect.objectContaining({
        status: 'retried',
        reason: 'from verify after: checked: stage verify failed: p1 is not ready',
        run_id: runId,
        user_hash: hashId('operator', SECRET),
      }),
    ]);
    expect(audit.filter((r) => r.stage !== 'task').map((r) => `${r.stage} ${r.status}`)).toEqual(
      ['intake', 'research', 'plan', 'run', 'verify'].flatMap((s) => [`${s} started`, `${s} success`]),
    );

    // Events: the retried run's records take places in the trail the failed attempt's had, not
    // their ids. An id stands for one record (a replay, or the reset run making the same record
    // again, repeats the id, which the outbox and JetStream drop); the retried run's success
    // and its outcome are there, beside the failed attempt's.
    const says = (e: AnyUmeEvent): string =>
      JSON.stringify([
        e.event_type,
        (e as { stage?: string }).stage,
        (e as { status?: string }).status,
        (e as { state?: string }).state,
      ]);
    const byId = new Map<string, string>();
    for (const e of eventsOf(runId)) {
      expect([undefined, says(e)]).toContain(byId.get(e.event_id));
      byId.set(e.event_id, says(e));
    }
    const distinct = [...byId.values()].map((v) => JSON.parse(v) as unknown[]);
    expect(
      distinct
        .filter(([type]) => type === 'task_run')
        .map(([, , , state]) => state)
        .sort(),
    ).toEqual(['completed', 'failed']);
    expect(
      distinct
        .filter(([type, stage]) => type === 'stage_update' && stage === 'verify')
        .map(([, , status]) => status)
        .sort(),
    ).toEqual(['error', 'success']);
    expect(distinct.filter(([type, stage]) => type === 'stage_update' && stage === 'run')).toHaveLength(1);

    // `task runs` lists the run once (its newest execution), though the reset made it a second one.
    expect((await backend.listRuns({ task: 'checked', limit: 100 })).filter((r) => r.run_id === runId)).toHaveLength(1);

    const again = await task(['retry', runId]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: run checked-\S+ completed: there is nothing to retry \(task rerun starts it/);
  });

  it('goes on from the stage --from names', async () => {
    const runId = await failedRun('p2');
    ready('p2');
    const retried = await task(['retry', runId, '--from', 'run', '--json']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({
      run_id: runId,
      task: 'checked',
      resets: [{ workflowId: `checked-${runId}`, from: 'run' }],
      restarted: [],
    });
    await backend.result(runId);
    expect(counts('p2')).toEqual({ ...once, run: 2, verify: 2 });

    const unknown = await task(['retry', runId, '--from', 'deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`stage deploy did not run in run checked-${runId}`);
  });

  it("runs again only the failed DAG node's failed stage", async () => {
    const runId = await backend.startDag({
      definition: {
        name: 'recover',
        nodes: [
          { id: 'a', task: 'first', input: { key: 'd-a' } },
          { id: 'b', task: 'checked', input: { key: 'd-b' }, dependsOn: ['a'] },
          { id: 'c', task: 'first', input: { key: 'd-c' }, dependsOn: ['b'] },
        ],
      },
      userId: 'u',
      groupId: 'g',
    });
    await expect(backend.result(runId)).rejects.toMatchObject({ code: 'DAG_FAILED' });
    expect([counts('d-a'), counts('d-b'), counts('d-c')]).toEqual([{ first: 1 }, once, {}]);
    ready('d-b');

    const retried = await task(['retry', runId]);
    expect(retried).toMatchObject({ code: 0, stderr: '' });
    expect(retried.stdout).toBe(`retried\t${runId}\tdag:recover\tfrom b: verify\n`);
    const result = (await backend.result(runId)) as DagResult;
    expect(result.state).toBe('completed');
    expect(result.outputs.b).toEqual({ verified: 'run of d-b' });
    // a ran once, b ran only verify again, c (skipped before) ran once.
    expect([counts('d-a'), counts('d-b'), counts('d-c')]).toEqual([{ first: 1 }, { ...once, verify: 2 }, { first: 1 }]);
  });

  it('goes on with the nodes a failing node cancelled, from the stage each was in', async () => {
    const runId = await backend.startDag({
      definition: {
        name: 'recover-fast',
        nodes: [
          { id: 'a', task: 'checked', input: { key: 'f-a' } },
          { id: 's', task: 'slow', input: { key: 'f-s' } },
        ],
      },
      userId: 'u',
      groupId: 'g',
    });
    const failed = (await backend.result(runId).catch((err: { data?: DagResult }) => err.data)) as
      DagResult | undefined;
    expect(failed?.nodes).toMatchObject({ a: { state: 'failed' }, s: { state: 'cancelled' } });
    ready('f-a');

    const retried = await task(['retry', runId, '--json']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({
      resets: [
        { workflowId: `dag-recover-fast-${runId}`, from: 'children' },
        { workflowId: `dag-recover-fast-${runId}/a`, from: 'verify' },
        { workflowId: `dag-recover-fast-${runId}/s`, from: 'run' },
      ],
    });
    expect(((await backend.result(runId)) as DagResult).state).toBe('completed');
    expect([counts('f-a'), counts('f-s')]).toEqual([{ ...once, verify: 2 }, { run: 2 }]);
  });

  it('--failed retries exactly the failed runs of the task not retried yet', async () => {
    const q1 = await failedRun('q1');
    const q2 = await failedRun('q2');
    ready('q1');
    ready('q2');
    // Runs of `checked` retried before (by the tests above) are no longer failed.
    await listedAsFailed('checked', [q1, q2]);
    const retried = await task(['retry', '--failed', '--task', 'checked', '--since', '10m']);
    expect(retried.code).toBe(0);
    expect(retried.stdout.trim().split('\n').sort()).toEqual(
      [q1, q2].map((id) => `retried\t${id}\tchecked\tfrom verify`).sort(),
    );
    await Promise.all([backend.result(q1), backend.result(q2)]);
    expect([counts('q1'), counts('q2')]).toEqual([
      { ...once, verify: 2 },
      { ...once, verify: 2 },
    ]);
    expect((await task(['retry', '--failed', '--task', 'checked'])).stdout).toBe('no failed runs to retry\n');
  });

  it('refuses a run id with --failed, and neither', async () => {
    for (const args of [['retry'], ['retry', 'some-run', '--failed'], ['rerun']]) {
      const res = await runCli(args, env);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/^error: give a run id or --failed, not both or neither/);
    }
  });
});

describe('task rerun', () => {
  it('--failed --since re-runs exactly the runs that failed in that time, each as a new run', async () => {
    const old = await failedRun('r-old', 'fragile');
    // Long enough for `--since 6s` to leave `old` out, with room for the CLI's start-up.
    await new Promise((r) => setTimeout(r, 8000));
    ready('r-ok');
    await backend.run({ task: 'fragile', userId: 'u', groupId: 'g', input: { key: 'r-ok' } });
    const r1 = await failedRun('r1', 'fragile');
    const r2 = await failedRun('r2', 'fragile');
    await failedRun('other');
    await listedAsFailed('fragile', [old, r1, r2]);
    ready('r1');
    ready('r2');

    const rerun = await task(['rerun', '--failed', '--task', 'fragile', '--since', '6s', '--user-id', 'operator']);
    expect(rerun).toMatchObject({ code: 0, stderr: '' });
    const lines = rerun.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('\t').slice(0, 3).join('\t')).sort()).toEqual(
      [r1, r2].map((id) => `rerun\t${id}\tfragile`).sort(),
    );
    const started = lines.map((l) => /\tas (\S+)$/.exec(l)?.[1] as string);
    await Promise.all(started.map((id) => backend.result(id)));
    // Every stage of each ran again (a new run); the run before the window and the one that succeeded did not.
    const twice = { intake: 2, research: 2, plan: 2, run: 2, verify: 2 };
    expect([counts('r1'), counts('r2'), counts('r-old'), counts('r-ok'), counts('other')]).toEqual([
      twice,
      twice,
      once,
      once,
      once,
    ]);
    // With the same hashed ids; the first runs stay as they were, with the rerun in their trail.
    const [groupOfFirst, groupOfNew] = await Promise.all([backend.groupOf(r1), backend.groupOf(started[0] as string)]);
    expect(groupOfNew).toBe(groupOfFirst);
    const trail = await backend.audit('fragile', r1);
    expect(trail.filter((r) => r.stage === 'task')).toEqual([
      expect.objectContaining({ status: 'rerun', run_id: r1, reason: expect.stringMatching(/^as run \S+$/) }),
    ]);
  });
});

describe('POST /runs/{run_id}/retry and /rerun', () => {
  let api: ApiProcess;
  beforeAll(async () => {
    api = await startApi(['--rate-limit', '0'], {
      ...env,
      HOME: dir,
      TEMPORAL_ADDRESS: serverAddress(),
      CASCADENCE_TASK_QUEUE: worker.taskQueue,
      CASCADENCE_SCHEDULER: 'temporal',
      CASCADENCE_TASKS_PATH: join(dir, 'tasks.yml'),
    });
  });
  afterAll(async () => {
    expect(await api?.stop()).toBe(0);
  });

  const call = async (path: string, headers = { 'x-user-id': 'u', 'x-group-id': 'g' }, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- each test reads its own shape
  };

  it('retries and re-runs a run of the caller’s group, and no other', async () => {
    const runId = await failedRun('api');
    ready('api');
    // Another group's run is answered like one that does not exist.
    expect(await call(`/runs/${runId}/retry`, { 'x-user-id': 'u', 'x-group-id': 'other' })).toMatchObject({
      status: 404,
      body: { error: { code: 'UNKNOWN_RUN' } },
    });
    expect(await call(`/runs/no-such-run/retry`)).toMatchObject({
      status: 404,
      body: { error: { code: 'UNKNOWN_RUN' } },
    });

    const retried = await call(`/runs/${runId}/retry`);
    expect(retried).toMatchObject({
      status: 200,
      body: { run_id: runId, task: 'checked', resets: [{ from: 'verify' }], restarted: [] },
    });
    expect(await backend.result(runId)).toEqual({ verified: 'run of api' });
    expect(counts('api')).toEqual({ ...once, verify: 2 });
    expect(await call(`/runs/${runId}/retry`, undefined, { from: 'deploy' })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION', message: `stage deploy did not run in run checked-${runId}` } },
    });

    expect((await call(`/runs/${runId}/rerun`, { 'x-user-id': 'u', 'x-group-id': 'other' })).status).toBe(404);
    const rerun = await call(`/runs/${runId}/rerun`);
    expect(rerun).toMatchObject({ status: 200, body: { run_id: runId, task: 'checked' } });
    expect(await backend.result(rerun.body.new_run_id as string)).toEqual({ verified: 'run of api' });
    expect(counts('api')).toEqual({ intake: 2, research: 2, plan: 2, run: 2, verify: 3 });
  });
});

it('a backend without recovery gives the one UNSUPPORTED error', async () => {
  const res = await runCli(['retry', 'some-run', '--backend', 'base'], env);
  expect(res.code).toBe(4);
  expect(res.stderr).toBe(
    'error: the base backend does not support retrying and re-running runs (retry and rerun work on Temporal: use --backend temporal)\n',
  );
});
