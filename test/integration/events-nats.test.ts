/**
 * Versioned events on a real NATS JetStream (nats-server -js), through the worker's durable
 * outbox: every event of every run arrives exactly once, valid and free of raw ids, also when
 * NATS is away while runs go on (they do not wait for it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import { type NatsTransport } from '../../src/events/nats';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { eventually } from '../conformance/pipeline-suite';
import { validateUme } from '../conformance/events-check';
import { executionOf, fiveStageEventIds, placeOf } from '../helpers/event-ids';
import { NatsServer } from '../helpers/nats';
import { connect, startTestWorker, type TestConnections, uniqueQueue } from '../helpers/temporal';

let conns: TestConnections;
let nats: NatsServer;
let transport: NatsTransport;
let backend: TemporalBackend;
let env: Awaited<ReturnType<typeof startTestWorker>>;
const subject = `ev${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  conns = await connect();
  nats = await NatsServer.start();
  transport = nats.transport(subject);
  env = await startTestWorker(conns, createDefaultRegistry(), { prefix: 'events-nats', events: transport });
  backend = env.backend;
});
afterAll(async () => {
  await env?.close();
  await transport?.close();
  await nats?.stop();
  await conns?.close();
});

/** The event ids JetStream holds for `runIds`, with every event checked. */
async function storedIds(runIds: string[], raw: string): Promise<string[]> {
  const all = await nats.messages(transport.stream);
  const mine = all.filter((m) => runIds.includes(String(m.event.run_id))).map((m) => m.event);
  for (const e of mine) validateUme(e);
  expect(JSON.stringify(mine)).not.toContain(raw);
  return mine.map((e) => placeOf(String(e.event_id)));
}

/** Every event id the five-stage example's runs make. */
const expectedIds = async (runIds: string[]): Promise<string[]> =>
  (await Promise.all(runIds.map((runId) => fiveStageEventIds(backend.client, `example-${runId}`)))).flat();

it('publishes every event of a run to JetStream exactly once, on subjects <prefix>.<kind>.<task>', async () => {
  const raw = `raw-user-${randomUUID()}`;
  const runIds: string[] = [];
  for (let i = 0; i < 3; i++) runIds.push((await backend.run({ task: 'example', userId: raw, groupId: 'g' })).runId);
  await eventually(() => transport.outbox.depth === 0, 'the outbox to drain');
  const ids = await storedIds(runIds, raw);
  expect([...ids].sort()).toEqual((await expectedIds(runIds)).sort());
  const subjects = (await nats.messages(transport.stream))
    .filter((m) => runIds.includes(String(m.event.run_id)))
    .map((m) => m.subject);
  expect(new Set(subjects)).toEqual(
    new Set([
      `${subject}.audit.example`,
      `${subject}.spec.example`,
      `${subject}.stage.example`,
      `${subject}.run.example`,
    ]),
  );
});

it('keeps events in the outbox while NATS is away; runs go on; all arrive once it is back, none twice', async () => {
  const raw = `raw-user-${randomUUID()}`;
  await nats.stop();
  const runIds: string[] = [];
  for (let i = 0; i < 3; i++) runIds.push((await backend.run({ task: 'example', userId: raw, groupId: 'g' })).runId);
  expect(transport.outbox.depth).toBeGreaterThan(0);
  await nats.resume();
  await eventually(() => transport.outbox.depth === 0, 'the outbox to drain after NATS came back', 60_000);
  const ids = await storedIds(runIds, raw);
  expect(ids.length).toBe(new Set(ids).size);
  expect([...ids].sort()).toEqual((await expectedIds(runIds)).sort());
});

it('loses no event and repeats none when a worker is SIGKILLed mid-run and another one finishes it', async () => {
  const { spawn } = await import('node:child_process');
  const { mkdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { BIN } = await import('../helpers/cli');
  const { loadTaskModules } = await import('../../src/plugins/task-modules');
  const { TemporalBackend: Backend } = await import('../../src/backends/temporal');
  const { serverAddress } = await import('../helpers/temporal');
  const module = join(__dirname, '..', 'fixtures', 'crash-tasks', 'tasks.js');
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-crash-events-'));
  mkdirSync(join(dir, 'outbox'));
  const crashSubject = `crash${randomUUID().slice(0, 8)}`;
  const env = {
    ...process.env,
    CASCADENCE_TASK_MODULES: module,
    CRASH_JOURNAL: join(dir, 'journal'),
    CRASH_BLOCK: join(dir, 'block'),
    CASCADENCE_EVENTS: 'nats',
    UME_NATS_URL: nats.url,
    UME_NATS_SUBJECT: crashSubject,
    CASCADENCE_OUTBOX_PATH: join(dir, 'outbox'),
  };
  writeFileSync(env.CRASH_BLOCK, '');
  writeFileSync(env.CRASH_JOURNAL, '');
  const queue = uniqueQueue('crash-events');
  const start = () =>
    spawn(process.execPath, [BIN, 'worker', '--address', serverAddress(), '--task-queue', queue], {
      env,
      stdio: 'ignore',
    });
  const crashBackend = await Backend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue: queue,
    hashSecret: '',
    registry: loadTaskModules(createDefaultRegistry(), [module]),
  });
  const first = start();
  let second: ReturnType<typeof start> | undefined;
  try {
    const runId = await crashBackend.start({ task: 'durable', userId: 'u', groupId: 'g' });
    await eventually(
      () => readFileSync(env.CRASH_JOURNAL, 'utf8').includes(' plan '),
      'the first worker to reach plan',
    );
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    rmSync(env.CRASH_BLOCK);
    second = start();
    expect(await crashBackend.client.workflow.getHandle(`durable-${runId}`).result()).toEqual({ verified: 'done' });
    const expected = await fiveStageEventIds(crashBackend.client, `durable-${runId}`);
    const stream = crashSubject.toUpperCase();
    const ids = async (): Promise<string[]> =>
      (await nats.messages(stream))
        .map((m) => placeOf(String(m.event.event_id)))
        .filter((id) => id.startsWith(`durable-${runId}@`));
    await eventually(async () => (await ids()).length >= expected.length, 'every event in the stream', 60_000);
    const stored = await ids();
    expect(stored.length).toBe(new Set(stored).size);
    expect([...stored].sort()).toEqual([...expected].sort());
  } finally {
    first.kill('SIGKILL');
    if (second) {
      const closed = new Promise((r) => second?.once('exit', r));
      second.kill('SIGTERM');
      await closed;
    }
    await crashBackend.close();
  }
});

it('publishes admin actions too: each an audit_record whose id is its place in the catalogue trail', async () => {
  const { setTaskEnabled } = await import('../../src/services/admin');
  const admin = `raw-admin-${randomUUID()}`;
  await setTaskEnabled(backend, 'example', false, { userId: admin });
  await setTaskEnabled(backend, 'example', true, { userId: admin });
  const catalogue = `cascadence-catalogue-${env.taskQueue}`;
  const mine = async () =>
    (await nats.messages(transport.stream)).map((m) => m.event).filter((e) => e.workflow_id === catalogue);
  await eventually(async () => (await mine()).length >= 2, 'the admin events');
  const events = await mine();
  for (const e of events) validateUme(e);
  const execution = await executionOf(backend.client, catalogue);
  expect(events.map((e) => [placeOf(String(e.event_id)), (e.record as { status: string }).status])).toEqual([
    [`${catalogue}@${execution}#0:audit_record`, 'disabled'],
    [`${catalogue}@${execution}#1:audit_record`, 'enabled'],
  ]);
  expect(JSON.stringify(events)).not.toContain(admin);
  expect(events[0]?.user_hash).toMatch(/^[0-9a-f]{64}$/);
});
