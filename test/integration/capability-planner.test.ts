/**
 * The capability planner reacts to a failed run once, across a restart: it reads task_run events
 * from a durable JetStream consumer, registers one follow-up per failed run in the task store,
 * records it in the failed task's audit trail and (with --start-follow-ups) starts it once.
 * A real nats-server, a real worker, the built CLI.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import { NatsTransport } from '../../src/events/nats';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { loadTaskModules } from '../../src/plugins/task-modules';
import { followUpName } from '../../src/services/planner';
import { TaskStore } from '../../src/stores/task-store';
import { createWorker } from '../../src/worker/create-worker';
import { BIN } from '../helpers/cli';
import { NatsServer } from '../helpers/nats';
import { connect, serverAddress, testBackend, uniqueQueue, type TestConnections } from '../helpers/temporal';
import { eventually } from '../conformance/pipeline-suite';

const FIXTURE = join(__dirname, '..', 'fixtures', 'cli-tasks', 'tasks.js');
let conns: TestConnections;
let nats: NatsServer;
let transport: NatsTransport;
let backend: TemporalBackend;
let stopWorker: () => Promise<void>;
const taskQueue = uniqueQueue('planner');
const subject = `plan${randomUUID().slice(0, 8)}`;
const dir = mkdtempSync(join(tmpdir(), 'cascadence-planner-'));
const tasksPath = join(dir, 'tasks.yml');

beforeAll(async () => {
  conns = await connect();
  nats = await NatsServer.start();
  transport = new NatsTransport({
    servers: nats.url,
    subject,
    outboxDir: join(dir, 'outbox'),
    warn: () => undefined,
  }).start();
  const registry = loadTaskModules(createDefaultRegistry(), [FIXTURE]);
  const worker = await createWorker({ connection: conns.native, taskQueue, registry, events: transport });
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
  };
  backend = await testBackend(registry, taskQueue, '');
});
afterAll(async () => {
  await stopWorker?.();
  await transport?.close();
  await backend?.close();
  await nats?.stop();
  await conns?.close();
});

/** Starts the planner CLI; resolves once it reads. */
async function planner(extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [BIN, 'capability-planner', '--json', '--address', serverAddress(), '--task-queue', taskQueue, ...extra],
    {
      env: {
        ...process.env,
        UME_TRANSPORT: 'nats',
        UME_NATS_URL: nats.url,
        UME_NATS_SUBJECT: subject,
        CASCADENCE_TASKS_PATH: tasksPath,
        CASCADENCE_TASK_MODULES: FIXTURE,
        CASCADENCE_HASH_SECRET: '',
        HOME: dir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes('capability-planner: nats')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`planner exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code, signal) => {
      if (code !== 0) process.stderr.write(`planner exited ${code} ${signal}: ${stderr}\n`);
      r(code);
    }),
  );
  return {
    outcomes: () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function failRun(): Promise<string> {
  const runId = randomUUID();
  await expect(backend.run({ task: 'fails', userId: 'u', groupId: 'g', runId })).rejects.toThrow(/deliberate failure/);
  return runId;
}

it('registers one follow-up per failed run, audits it, starts it once, and handles nothing twice across a restart', async () => {
  const first = await planner(['--start-follow-ups']);
  const runA = await failRun();
  await backend.run({ task: 'quick', userId: 'u', groupId: 'g' }); // a completed run: nothing to do
  await eventually(() => first.outcomes().some((o) => o.run_id === runA), 'the first follow-up');
  expect(await first.stop()).toBe(0);

  // While the planner is down, another run fails; the restarted planner picks it up, and only it.
  const runB = await failRun();
  const second = await planner(['--start-follow-ups']);
  await eventually(
    () => second.outcomes().some((o) => o.run_id === runB),
    'the follow-up of the run that failed meanwhile',
  );
  await new Promise((r) => setTimeout(r, 1000));
  expect(await second.stop()).toBe(0);

  const outcomes = [...first.outcomes(), ...second.outcomes()];
  // The follow-ups' own runs fail too (the same task): each of those gets its follow-up, once.
  const registered = outcomes.filter((o) => o.status === 'registered');
  expect(new Set(registered.map((o) => o.event_id)).size).toBe(registered.length);
  expect(registered.filter((o) => o.run_id === runA)).toHaveLength(1);
  expect(registered.filter((o) => o.run_id === runB)).toHaveLength(1);
  expect(outcomes.filter((o) => o.status === 'seen')).toEqual([]);

  const stored = await new TaskStore(tasksPath).list();
  const names = stored.map((t) => t.name);
  expect(names).toContain(followUpName({ task: 'fails', run_id: runA }));
  expect(names).toContain(followUpName({ task: 'fails', run_id: runB }));
  expect(new Set(names).size).toBe(names.length);
  const a = stored.find((t) => t.source_run_id === runA);
  expect(a).toMatchObject({
    source_task: 'fails',
    reason: expect.stringMatching(/^follow-up of failed run .*deliberate failure/),
  });

  // The follow-up run was started (once) and the task's trail says so.
  const startedA = registered.find((o) => o.run_id === runA)?.started as string;
  expect(startedA).toMatch(/^[0-9a-f-]{36}$/);
  await expect(backend.client.workflow.getHandle(`fails-${startedA}`).result()).rejects.toThrow();
  const trail = await backend.audit('fails');
  const followUps = trail.filter((r) => r.status === 'follow-up' && (r.run_id === runA || r.run_id === runB));
  expect(followUps).toHaveLength(2);
  expect(followUps[0]?.reason).toMatch(/^follow-up\.fails\.\w+ registered, run [0-9a-f-]{36} started$/);
});
