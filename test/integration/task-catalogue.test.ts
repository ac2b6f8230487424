/**
 * Task flags live in Temporal (the task queue's catalogue workflow): every client on every
 * machine, and every run whoever starts it (a Schedule included), sees the same flags.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import type { AuditRecord, PipelineStatus } from '../../src/core';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { auditQuery, statusQuery } from '../../src/workflows/messages';
import { eventually } from '../conformance/pipeline-suite';
import { runCli } from '../helpers/cli';
import { failure } from '../helpers/failure';
import { TemporalBackend as Backend } from '../../src/backends/temporal';
import { connect, serverAddress, startTestWorker, type TestConnections } from '../helpers/temporal';

let conns: TestConnections;
let backend: TemporalBackend;
let taskQueue: string;
let stop: () => Promise<void>;
/** Stages the flagged task ran, in this process (the worker runs here). */
const ran: string[] = [];
const TASK = `flagged-${randomUUID().slice(0, 8)}`;
const IDS = { userId: 'catalogue-user', groupId: 'catalogue-group' };

beforeAll(async () => {
  conns = await connect();
  const registry = createDefaultRegistry().register(TASK, {
    intake: () => void ran.push('intake'),
    run: () => {
      ran.push('run');
      return 'ran';
    },
  });
  ({ backend, taskQueue, close: stop } = await startTestWorker(conns, registry, { prefix: 'catalogue' }));
});
afterAll(async () => {
  await backend?.unschedule(TASK).catch(() => undefined);
  await stop?.();
  await conns?.close();
});

/** Fires the task's schedule and waits for the run it started to end; returns its workflow id. */
async function triggerAndWait(): Promise<string> {
  const before = new Set<string>();
  for await (const wf of conns.client.workflow.list({ query: `CascadenceTask = '${TASK}'` })) before.add(wf.workflowId);
  // A scheduled run's workflow id ends with the second it was due: two triggers in one second would collide.
  await new Promise((r) => setTimeout(r, 1050 - (Date.now() % 1000)));
  await backend.scheduleAction(TASK, 'trigger');
  let id: string | undefined;
  await eventually(async () => {
    for await (const wf of conns.client.workflow.list({ query: `CascadenceTask = '${TASK}'` })) {
      if (!before.has(wf.workflowId) && wf.status.name !== 'RUNNING') id = wf.workflowId;
    }
    return id !== undefined;
  }, 'the scheduled run to end');
  return id as string;
}

it('a scheduled run of a disabled (or paused) task runs no stage and is audited skipped with the reason', async () => {
  await backend.schedule({ task: TASK, cron: '0 0 1 1 *', ...IDS });
  await backend.disable(TASK);
  expect((await backend.list()).find((t) => t.name === TASK)).toMatchObject({ enabled: false });
  expect((await failure(backend.run({ task: TASK, ...IDS }))).code).toBe('TASK_DISABLED');

  const skipped = conns.client.workflow.getHandle(await triggerAndWait());
  expect((await skipped.describe()).status.name).toBe('COMPLETED');
  expect(ran).toEqual([]);
  const status: PipelineStatus = await skipped.query(statusQuery);
  expect(status).toMatchObject({ state: 'skipped', reason: 'task disabled' });
  const audit: AuditRecord[] = await skipped.query(auditQuery);
  expect(audit.map((r) => [r.stage, r.status, r.reason])).toEqual([['pipeline', 'skipped', 'task disabled']]);

  await backend.enable(TASK);
  await backend.pause(TASK, { groupId: 'no-running-runs' });
  const paused = conns.client.workflow.getHandle(await triggerAndWait());
  expect(await paused.query(statusQuery)).toMatchObject({ state: 'skipped', reason: 'task paused' });
  expect(ran).toEqual([]);

  await backend.resume(TASK, { groupId: 'no-running-runs' });
  const ranNow = conns.client.workflow.getHandle(await triggerAndWait());
  expect(await ranNow.result()).toBe('ran');
  expect(ran).toEqual(['intake', 'run']);
});

it('two CLIs on different machines (different HOMEs) see each other’s disable on the same server', async () => {
  const machine = (name: string) => ({
    HOME: mkdtempSync(join(tmpdir(), `cascadence-${name}-`)),
    CASCADENCE_STATE_PATH: '',
    TEMPORAL_ADDRESS: serverAddress(),
    CASCADENCE_TASK_QUEUE: taskQueue,
    CASCADENCE_HASH_SECRET: 'catalogue',
  });
  const laptop = machine('laptop');
  const server = machine('server');

  expect((await runCli(['disable', 'example'], laptop)).stdout.trim()).toBe('example disabled');
  const listed = await runCli(['list'], server);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain('example\tdisabled');
  const refused = await runCli(['run', 'example', '--user-id', 'u', '--group-id', 'g'], server);
  expect(refused.code).toBe(2);
  expect(refused.stderr.trim()).toBe('error: task example is disabled (run `task enable example`)');

  expect((await runCli(['enable', 'example'], server)).code).toBe(0);
  const ok = await runCli(['run', 'example', '--user-id', 'u', '--group-id', 'g', '--json'], laptop);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ result: { greeting: 'Hello, world!', verified: true } });
});

it('a long-lived client watching the catalogue sees another client’s change without asking for it', async () => {
  const watcher = await Backend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue,
    hashSecret: 'catalogue',
    registry: createDefaultRegistry(),
    watchCatalogue: true,
  });
  try {
    await eventually(() => watcher.catalogue.watching, 'the watch to be in place');
    expect((await watcher.list()).find((t) => t.name === 'example')?.enabled).toBe(true);
    await backend.disable('example');
    await eventually(
      async () => (await watcher.list()).find((t) => t.name === 'example')?.enabled === false,
      'the watcher to see the change',
    );
    expect(watcher.catalogue.watching).toBe(true);
    expect((await failure(watcher.run({ task: 'example', ...IDS }))).code).toBe('TASK_DISABLED');
    await backend.enable('example');
    await eventually(
      async () => (await watcher.list()).find((t) => t.name === 'example')?.enabled,
      'the watcher to see enable',
    );
    expect((await watcher.run({ task: 'example', ...IDS })).result).toMatchObject({ verified: true });
  } finally {
    await watcher.close();
  }
});

it('the catalogue continues as new before its history grows large, keeping every flag', async () => {
  const catalogue = backend.catalogue;
  const handle = conns.client.workflow.getHandle(catalogue.workflowId);
  await catalogue.setFlags({ task: 'example', paused: true });
  const firstRun = (await handle.describe()).runId;
  // Each change appends a handful of events; toggle one flag until the run has been replaced.
  let changes = 0;
  while ((await handle.describe()).runId === firstRun) {
    await catalogue.setFlags({ task: TASK, disabled: changes % 2 === 0 });
    changes++;
    if (changes > 2_000) throw new Error('the catalogue never continued as new');
  }
  const next = await handle.describe();
  expect(next.status.name).toBe('RUNNING');
  expect(await catalogue.flagsOf('example')).toEqual({ disabled: false, paused: true });
  expect((await catalogue.setFlags({ task: 'example', paused: false })).changed).toBe(true);
  expect((await backend.list()).find((t) => t.name === 'example')?.paused).toBe(false);
  await catalogue.setFlags({ task: TASK, disabled: false });
});
