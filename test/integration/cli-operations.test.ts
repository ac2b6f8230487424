/**
 * Operating runs with the built `task` CLI (a subprocess) on the temporal backend, against the
 * suite's real dev server: run --detach, status, pause/resume, signal, cancel, audit, history,
 * replay, disable/enable, and the exit codes of failed and refused runs.
 *
 * The tasks come from test/fixtures/cli-tasks/tasks.js, registered both in this file's
 * in-process worker and (through CASCADENCE_TASK_MODULES) in the CLI. The `slow` task's stages
 * wait on files, so a test decides when each stage ends: no timed assertions, only bounded polls.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineStatus } from '../../src/core';
import { hashId } from '../../src/events/hash';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { runCli, type CliResult } from '../helpers/cli';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const FIXTURE = join(__dirname, '..', 'fixtures', 'cli-tasks', 'tasks.js');
const SECRET = 'cli-operations-secret';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STAGES = ['intake', 'research', 'plan', 'run', 'verify'] as const;

const tmp = mkdtempSync(join(tmpdir(), 'cascadence-cli-ops-'));
const queue = uniqueQueue('cli-ops');
/** Top-level workflow ids started here; any still running are terminated in afterAll. */
const started = new Set<string>();

let conns: TestConnections;
let stopWorker: () => void;
let workerDone: Promise<unknown>;

beforeAll(async () => {
  conns = await connect();
  const registry = loadTaskModules(createDefaultRegistry(), [FIXTURE]);
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const stop = new Promise<void>((r) => (stopWorker = r));
  workerDone = withWorker(conns, registry, queue, async () => {
    ready();
    await stop;
  });
  await Promise.race([isReady, workerDone]);
});

afterAll(async () => {
  for (const id of started) {
    const handle = conns.client.workflow.getHandle(id);
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') await handle.terminate('cli-operations test cleanup');
  }
  stopWorker?.();
  await workerDone;
  await conns.close();
});

/** A fresh task-state file: task flags set in one test never leak into another. */
function newStatePath(): string {
  return join(mkdtempSync(join(tmp, 'state-')), 'task-state.json');
}

let statePath = '';
beforeEach(() => {
  statePath = newStatePath();
});

/** Runs `task ...args` against the test server, this file's queue and the fixture tasks. */
function task(args: string[]): Promise<CliResult> {
  return runCli([...args, '--address', serverAddress(), '--task-queue', queue], {
    CASCADENCE_TASK_MODULES: FIXTURE,
    CASCADENCE_STATE_PATH: statePath,
    CASCADENCE_HASH_SECRET: SECRET,
    CASCADENCE_AUDIT_PATH: join(tmp, 'audit.jsonl'),
    CASCADENCE_CONFIG: '',
    CASCADENCE_SCHEDULER: '',
    CASCADENCE_EVENTS: '',
  });
}

/** Asserts a successful command with nothing on stderr; returns its stdout lines. */
/** `task list` lines without the origin column: name and status. */
function statusLines(res: Parameters<typeof ok>[0]): string[] {
  return ok(res).map((line) => line.split('\t').slice(0, 2).join('\t'));
}

function ok(res: CliResult): string[] {
  expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
  return res.stdout.trimEnd().split('\n');
}

/** Asserts a failed command: exit `code`, nothing on stdout, exactly one `error: ...` line on stderr. */
function failed(res: CliResult, code: number, message: RegExp): string {
  expect({ code: res.code, stdout: res.stdout }).toEqual({ code, stdout: '' });
  const lines = res.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  return lines[0] as string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until `done` holds, at most ~30 s; fails naming what it waited for and what it saw last. */
async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 300; i++) {
    try {
      const value = await probe();
      if (done(value)) return value;
      last = value;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

/** The run's status, straight from the workflow (fast, for polling). */
function queryStatus(task: string, runId: string): Promise<PipelineStatus> {
  return conns.client.workflow.getHandle(`${task}-${runId}`).query<PipelineStatus>('status');
}

/** Ids of a run: unique per test, so group selection never sees another test's runs. */
function ids(): { user: string; group: string; flags: string[] } {
  const user = `user-${randomUUID()}`;
  const group = `group-${randomUUID()}`;
  return { user, group, flags: ['--user-id', user, '--group-id', group] };
}

/** A directory of stage gates for a `slow` run, and a way to open them. */
function gates(): { dir: string; open: (...stages: string[]) => void; input: string } {
  const dir = mkdtempSync(join(tmp, 'gates-'));
  return {
    dir,
    input: JSON.stringify({ gateDir: dir }),
    open: (...stages) => {
      for (const stage of stages) writeFileSync(join(dir, stage), '');
    },
  };
}

/** Starts `slow` detached (through the CLI) and returns its run id. */
async function startSlow(input: string, idFlags: string[]): Promise<string> {
  const lines = ok(await task(['run', 'slow', '--detach', '--input', input, ...idFlags]));
  expect(lines).toHaveLength(1);
  const runId = /^run-id\t(.+)$/.exec(lines[0] ?? '')?.[1] ?? '';
  expect(runId).toMatch(UUID);
  started.add(`slow-${runId}`);
  return runId;
}

/** Waits until `stage` of the run is executing. */
function waitForStage(runId: string, stage: string): Promise<PipelineStatus> {
  return waitFor(
    `slow-${runId} to be in ${stage}`,
    () => queryStatus('slow', runId),
    (s) => s.currentStage === stage && s.steps[stage as keyof PipelineStatus['steps']]?.status === 'running',
  );
}

/** Waits until visibility lists the run as running in its group, as `task pause NAME --group-id` looks for it. */
async function waitUntilListed(task: string, runId: string, group: string): Promise<void> {
  const query = `CascadenceTask = '${task}' AND ExecutionStatus = 'Running' AND CascadenceGroup = '${hashId(group, SECRET)}'`;
  await waitFor(
    `${task}-${runId} to be listed as running`,
    async () => {
      const found: string[] = [];
      for await (const wf of conns.client.workflow.list({ query })) found.push(wf.workflowId);
      return found;
    },
    (found) => found.includes(`${task}-${runId}`),
  );
}

describe('run --detach and status', () => {
  it('returns while the run is running, prints run-id (or {run_id}), and status shows it stage by stage', async () => {
    const g = gates();
    const { flags } = ids();
    const runId = await startSlow(g.input, flags);
    // Returned while the run goes on: its first stage waits on a gate nobody has opened yet.
    const handle = conns.client.workflow.getHandle(`slow-${runId}`);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const json = ok(await task(['run', 'slow', '--detach', '--json', '--input', g.input, ...flags]));
    expect(json).toHaveLength(1);
    const detached = JSON.parse(json[0] ?? '') as Record<string, unknown>;
    expect(Object.keys(detached)).toEqual(['run_id']);
    expect(detached.run_id).toMatch(UUID);
    started.add(`slow-${String(detached.run_id)}`);

    await waitForStage(runId, 'intake');
    expect(ok(await task(['status', runId]))).toEqual([
      'task\tslow',
      `run-id\t${runId}`,
      'state\trunning',
      'stage\tintake',
      '  intake\trunning',
      '  research\tpending',
      '  plan\tpending',
      '  run\tpending',
      '  verify\tpending',
      'context\t0 delivered, 0 queued',
    ]);
    const running = JSON.parse(ok(await task(['status', runId, '--json']))[0] ?? '') as PipelineStatus;
    expect(running).toMatchObject({
      task: 'slow',
      runId,
      state: 'running',
      paused: false,
      currentStage: 'intake',
      subtasks: { total: 0, completed: 0, failed: 0 },
      context: { delivered: 0, queued: 0 },
    });
    expect(Object.keys(running.steps)).toEqual([...STAGES]);
    expect(running.steps.intake).toMatchObject({ status: 'running', startedAt: expect.any(String) });
    expect(running.steps.research).toEqual({ status: 'pending' });

    g.open(...STAGES); // both runs share the gates
    expect(await handle.result()).toEqual({ research: [], plan: [], run: [], verify: [] });
    await conns.client.workflow.getHandle(`slow-${String(detached.run_id)}`).result();

    const done = JSON.parse(ok(await task(['status', runId, '--json']))[0] ?? '') as PipelineStatus;
    expect(done).toMatchObject({ state: 'completed', paused: false, currentStage: null });
    for (const stage of STAGES) {
      expect(done.steps[stage]).toMatchObject({ status: 'success', durationMs: expect.any(Number) });
    }
    const plain = ok(await task(['status', runId]));
    expect(plain.slice(0, 4)).toEqual(['task\tslow', `run-id\t${runId}`, 'state\tcompleted', 'stage\t-']);
    expect(plain[4]).toMatch(/^ {2}intake\tsuccess \d+ms$/);
  });
});

describe('pause, signal, resume', () => {
  it('pauses the latest running run of the group at the next boundary; context is queued, then delivered; resume finishes it', async () => {
    const g = gates();
    const { group, flags } = ids();
    const runId = await startSlow(g.input, flags);
    await waitForStage(runId, 'intake');
    await waitUntilListed('slow', runId, group);

    // A stage is running: context waits for the next boundary.
    expect(ok(await task(['signal', runId, '--note', 'early']))).toEqual(['queued']);
    expect(await queryStatus('slow', runId)).toMatchObject({ context: { delivered: 0, queued: 1 } });

    // Context is validated: a 2049-character note is refused in one line, exit 2.
    failed(await task(['signal', runId, '--note', 'x'.repeat(2049)]), 2, /note is 2049 characters; the limit is 2048/);

    expect(ok(await task(['pause', 'slow', '--group-id', group]))).toEqual([`slow paused: run ${runId}`]);
    // The running stage finishes first: the pause is only requested.
    expect(ok(await task(['status', runId]))[2]).toBe('state\trunning (pause requested)');
    expect(ok(await task(['pause', 'slow', '--group-id', group]))).toEqual([
      `slow paused: run ${runId} (already paused)`,
    ]);

    g.open('intake', 'research'); // research could start at once, were the run not paused
    const paused = await waitFor(
      'the run to pause at the boundary after intake',
      () => queryStatus('slow', runId),
      (s) => s.state === 'paused',
    );
    expect(paused.paused).toBe(true);
    expect(paused.currentStage).toBe('research'); // the stage it will go on with
    expect(paused.steps.intake?.status).toBe('success');
    expect(paused.steps.research).toEqual({ status: 'pending' });
    expect(paused.context).toEqual({ delivered: 1, queued: 0 }); // the queued note reached the boundary
    const shown = JSON.parse(ok(await task(['status', runId, '--json']))[0] ?? '') as PipelineStatus;
    expect(shown).toMatchObject({ state: 'paused', paused: true });
    expect(ok(await task(['status', runId])).slice(2, 4)).toEqual(['state\tpaused', 'stage\tresearch']);

    // Paused at a boundary, no stage runs: context is delivered at once.
    expect(ok(await task(['signal', runId, '--note', 'late']))).toEqual(['delivered']);
    const signalled = JSON.parse(
      ok(await task(['signal', runId, '--url', 'https://example.com/x', '--json']))[0] ?? '',
    );
    expect(signalled).toEqual({ run_id: runId, delivery: 'delivered' });

    expect(ok(await task(['resume', 'slow', '--group-id', group]))).toEqual([`slow resumed: run ${runId}`]);
    g.open(...STAGES);
    const result = await conns.client.workflow.getHandle(`slow-${runId}`).result();
    const seen = ['early', 'late', 'https://example.com/x'];
    expect(result).toEqual({ research: seen, plan: seen, run: seen, verify: seen });
    expect(ok(await task(['status', runId]))[2]).toBe('state\tcompleted');
  });

  it('pause and resume --run-id act on that run; --json describes the target', async () => {
    const g = gates();
    const { group, flags } = ids();
    const runId = await startSlow(g.input, flags);
    await waitForStage(runId, 'intake');

    const pause = ['pause', 'slow', '--group-id', group, '--run-id', runId];
    expect(ok(await task(pause))).toEqual([`slow paused: run ${runId}`]);
    expect(JSON.parse(ok(await task([...pause, '--json']))[0] ?? '')).toEqual({
      task: 'slow',
      action: 'paused',
      target: 'run',
      runId,
      changed: false,
    });
    g.open('intake', 'research');
    await waitFor(
      'the run to pause',
      () => queryStatus('slow', runId),
      (s) => s.state === 'paused',
    );

    const resume = ['resume', 'slow', '--group-id', group, '--run-id', runId];
    expect(JSON.parse(ok(await task([...resume, '--json']))[0] ?? '')).toEqual({
      task: 'slow',
      action: 'resumed',
      target: 'run',
      runId,
      changed: true,
    });
    g.open(...STAGES);
    await conns.client.workflow.getHandle(`slow-${runId}`).result();
    // The run has finished: acting on it by id is a usage error.
    failed(await task(pause), 2, /has already finished \(completed\)/);
  });

  it('with no running run, pause pauses the task: run is refused (exit 2, naming the fix) until resume', async () => {
    const { group, flags } = ids();
    expect(ok(await task(['pause', 'quick', '--group-id', group]))).toEqual(['quick paused']);
    expect(ok(await task(['pause', 'quick', '--group-id', group]))).toEqual(['quick paused (already paused)']);
    const list = JSON.parse(ok(await task(['list', '--json']))[0] ?? '') as Array<{ name: string; paused: boolean }>;
    expect(list.find((t) => t.name === 'quick')?.paused).toBe(true);

    failed(await task(['run', 'quick', ...flags]), 2, /^error: task quick is paused \(run `task resume quick`\)$/);
    failed(await task(['run', 'quick', '--detach', ...flags]), 2, /task quick is paused/);

    expect(ok(await task(['resume', 'quick', '--group-id', group]))).toEqual(['quick resumed']);
    const lines = ok(await task(['run', 'quick', ...flags]));
    expect(lines[0]).toMatch(/^run-id\t[0-9a-f-]{36}$/);
    expect(lines[1]).toBe('result\t{"ok":true,"input":null}');
  });
});

describe('cancel', () => {
  it('cancels a running run: the workflow ends CANCELED, and a second cancel is refused', async () => {
    const g = gates();
    const { flags } = ids();
    const runId = await startSlow(g.input, flags);
    await waitForStage(runId, 'intake'); // its gate stays shut: cancel reaches a running stage
    expect(ok(await task(['cancel', runId]))).toEqual([`cancel requested: ${runId}`]);
    const handle = conns.client.workflow.getHandle(`slow-${runId}`);
    await waitFor(
      'the run to end',
      async () => (await handle.describe()).status.name,
      (s) => s !== 'RUNNING',
    );
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    failed(await task(['cancel', runId]), 2, /has already finished \(cancelled\)/);
  });

  it('--json', async () => {
    const g = gates();
    const runId = await startSlow(g.input, ids().flags);
    expect(JSON.parse(ok(await task(['cancel', runId, '--json']))[0] ?? '')).toEqual({
      run_id: runId,
      cancelled: true,
    });
    const handle = conns.client.workflow.getHandle(`slow-${runId}`);
    await waitFor(
      'the run to end',
      async () => (await handle.describe()).status.name,
      (s) => s !== 'RUNNING',
    );
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });
});

describe('unknown and finished runs', () => {
  it('signal, status and cancel of an unknown run exit 2 in one line', async () => {
    const unknown = randomUUID();
    const [signal, status, cancel] = await Promise.all([
      task(['signal', unknown, '--note', 'hello']),
      task(['status', unknown]),
      task(['cancel', unknown]),
    ]);
    for (const res of [signal, status, cancel]) failed(res, 2, new RegExp(`no run ${unknown} in namespace default`));
  });

  it('signal to a finished run exits 2', async () => {
    const lines = ok(await task(['run', 'quick', ...ids().flags]));
    const runId = lines[0]?.split('\t')[1] ?? '';
    failed(await task(['signal', runId, '--note', 'too late']), 2, new RegExp(`run ${runId} has already finished`));
  });
});

describe('audit', () => {
  it('shows a run’s records with hashed ids only, as --json and as lines', async () => {
    const { user, group, flags } = ids();
    const lines = ok(await task(['run', 'quick', ...flags, '--input', '{"n":1}']));
    const runId = lines[0]?.split('\t')[1] ?? '';
    expect(runId).toMatch(UUID);

    const res = await task(['audit', 'quick', '--run-id', runId, '--json']);
    const records = JSON.parse(ok(res)[0] ?? '') as Array<Record<string, unknown>>;
    // quick has only a run stage: every other stage is skipped (no method, no provider).
    expect(records.map((r) => `${String(r.stage)}:${String(r.status)}`)).toEqual([
      'intake:skipped',
      'research:skipped',
      'plan:skipped',
      'run:started',
      'run:success',
      'verify:skipped',
    ]);
    for (const r of records) {
      expect(r).toMatchObject({
        task: 'quick',
        run_id: runId,
        user_hash: hashId(user, SECRET),
        group_hash: hashId(group, SECRET),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }
    expect(records[1]?.reason).toBe('no research method');
    expect(records[4]?.output).toBe('{"ok":true,"input":{"n":1}}');
    expect(res.stdout).not.toContain(user);
    expect(res.stdout).not.toContain(group);

    // Without --run-id: every run of the task that visibility lists (this one may take a moment).
    const plain = await waitFor(
      'audit to list the run',
      async () => ok(await task(['audit', 'quick'])),
      (out) => out.some((l) => l.includes(runId)),
    );
    const mine = plain.filter((l) => l.split('\t')[1] === runId);
    expect(mine).toHaveLength(6);
    expect(mine[1]).toMatch(new RegExp(`^\\d{4}-[^\\t]+\\t${runId}\\tresearch\\tskipped\\tno research method$`));
    expect(mine[3]).toMatch(new RegExp(`^\\d{4}-[^\\t]+\\t${runId}\\trun\\tstarted$`));
    expect(mine[4]).toMatch(
      new RegExp(`^\\d{4}-[^\\t]+\\t${runId}\\trun\\tsuccess\\t\\{"ok":true,"input":\\{"n":1\\}\\}$`),
    );
    expect(plain.join('\n')).not.toContain(user);
  });
});

describe('history and replay', () => {
  it('history --out writes JSON that replay --file replays (OK, exit 0); replay RUN_ID too', async () => {
    const lines = ok(await task(['run', 'echo-context', ...ids().flags]));
    const runId = lines[0]?.split('\t')[1] ?? '';
    const file = join(tmp, `history-${runId}.json`);
    expect(ok(await task(['history', runId, '--out', file]))).toEqual([`history of ${runId} written to ${file}`]);
    const history = JSON.parse(readFileSync(file, 'utf8')) as { events?: unknown[] };
    expect(Array.isArray(history.events)).toBe(true);
    expect(history.events?.length).toBeGreaterThan(5);

    const file2 = join(tmp, `history-${runId}-2.json`);
    expect(JSON.parse(ok(await task(['history', runId, '--out', file2, '--json']))[0] ?? '')).toEqual({
      run_id: runId,
      file: file2,
    });
    const stdoutHistory = await task(['history', runId]);
    expect(JSON.parse(ok(stdoutHistory).join('\n'))).toEqual(history);

    // OK on stdout and nothing on stderr (no replay-worker logs, no unregistered-sink errors).
    expect(ok(await task(['replay', '--file', file]))).toEqual(['OK']);
    expect(ok(await task(['replay', runId]))).toEqual(['OK']);
  });

  it('replay --file of a file that is not JSON exits 2; so do neither and both of a run id and --file', async () => {
    const file = join(tmp, `not-json-${randomUUID()}.json`);
    writeFileSync(file, 'this is not { json');
    failed(await task(['replay', '--file', file]), 2, /is not a JSON history/);
    failed(await task(['replay', '--file', join(tmp, 'missing.json')]), 2, /cannot read/);
    failed(await task(['replay']), 2, /give either a run id or --file/);
    failed(await task(['replay', randomUUID(), '--file', file]), 2, /give either a run id or --file/);
  });
});

describe('runs that fail', () => {
  it('run of a failing task exits 5 in one line', async () => {
    failed(await task(['run', 'fails', ...ids().flags]), 5, /^error: fails: stage run failed: deliberate failure$/);
  });

  it('run whose precheck says no exits 6 with the reason', async () => {
    failed(await task(['run', 'nope-precheck', ...ids().flags]), 6, /closed today/);
  });
});

describe('disable and enable', () => {
  it('disable: list shows it, run is refused (exit 2) until enable; --json on both', async () => {
    const { flags } = ids();
    expect(ok(await task(['disable', 'echo-context']))).toEqual(['echo-context disabled']);
    expect(statusLines(await task(['list']))).toContain('echo-context\tdisabled');
    expect(statusLines(await task(['list']))).toContain('quick\tenabled');
    failed(
      await task(['run', 'echo-context', ...flags]),
      2,
      /^error: task echo-context is disabled \(run `task enable echo-context`\)$/,
    );

    expect(ok(await task(['enable', 'echo-context']))).toEqual(['echo-context enabled']);
    expect(statusLines(await task(['list']))).toContain('echo-context\tenabled');
    const lines = ok(await task(['run', 'echo-context', ...flags]));
    expect(lines[1]).toBe('result\t{"research":[],"plan":[],"run":[],"verify":[]}');

    expect(JSON.parse(ok(await task(['disable', 'echo-context', '--json']))[0] ?? '')).toEqual({
      task: 'echo-context',
      enabled: false,
    });
    const list = JSON.parse(ok(await task(['list', '--json']))[0] ?? '') as Array<{ name: string; enabled: boolean }>;
    expect(list.find((t) => t.name === 'echo-context')?.enabled).toBe(false);
    expect(JSON.parse(ok(await task(['enable', 'echo-context', '--json']))[0] ?? '')).toEqual({
      task: 'echo-context',
      enabled: true,
    });
  });

  it('disable of an unknown task exits 2', async () => {
    failed(await task(['disable', 'no-such-task']), 2, /unknown task "no-such-task"/);
  });
});
