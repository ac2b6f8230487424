/**
 * Nothing lost under faults: 100 runs while NATS is stopped for 10 s and the worker is SIGKILLed
 * once (another takes over with the same outbox). No run fails, and every expected event id is
 * in the stream exactly once. Real nats-server, real worker processes (the built CLI).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import { validateUme } from '../conformance/events-check';
import { BIN } from '../helpers/cli';
import { fiveStageEventIds, placeOf } from '../helpers/event-ids';
import { NatsServer } from '../helpers/nats';
import { moduleBackend, serverAddress, uniqueQueue } from '../helpers/temporal';

const RUNS = 100;
const MODULE = join(__dirname, '..', 'fixtures', 'crash-tasks', 'tasks.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let nats: NatsServer;
let backend: TemporalBackend;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await backend?.close();
  await nats?.stop();
});

test(`${RUNS} runs, NATS down for 10 s and the worker SIGKILLed once: no run fails, every event once`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-faults-'));
  mkdirSync(join(dir, 'outbox'));
  const subject = `faults${randomUUID().slice(0, 8)}`;
  const taskQueue = uniqueQueue('faults');
  const env = {
    ...process.env,
    CASCADENCE_TASK_MODULES: MODULE,
    CASCADENCE_EVENTS: 'nats',
    UME_NATS_URL: nats.url,
    UME_NATS_SUBJECT: subject,
    CASCADENCE_OUTBOX_PATH: join(dir, 'outbox'),
    HOME: dir,
  };
  const startWorker = (): ChildProcess => {
    const child = spawn(process.execPath, [BIN, 'worker', '--address', serverAddress(), '--task-queue', taskQueue], {
      env,
      stdio: 'ignore',
    });
    workers.push(child);
    return child;
  };
  backend = await moduleBackend(taskQueue, [MODULE]);
  const first = startWorker();
  const began = Date.now();
  const at = (ms: number) => sleep(Math.max(0, began + ms - Date.now()));
  const faults = (async () => {
    await at(1500);
    await nats.stop();
    await at(4000);
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    startWorker();
    await at(11_500);
    await nats.resume();
  })();
  const runIds: string[] = [];
  const results: Array<Promise<unknown>> = [];
  for (let i = 0; i < RUNS; i++) {
    await at(i * 120);
    const runId = await backend.start({ task: 'steady', userId: `raw-user-${i}`, groupId: 'g' });
    runIds.push(runId);
    results.push(backend.client.workflow.getHandle(`steady-${runId}`).result());
  }
  await faults;
  const settled = await Promise.allSettled(results);
  expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);

  const expected = (await Promise.all(runIds.map((runId) => fiveStageEventIds(backend.client, `steady-${runId}`))))
    .flat()
    .sort();
  const stream = subject.toUpperCase();
  const mine = async () => {
    const wanted = new Set(runIds);
    return (await nats.messages(stream)).map((m) => m.event).filter((e) => wanted.has(String(e.run_id)));
  };
  const deadline = Date.now() + 90_000;
  let events = await mine();
  while (events.length < expected.length && Date.now() < deadline) {
    await sleep(500);
    events = await mine();
  }
  const ids = events.map((e) => placeOf(String(e.event_id)));
  expect(ids.length).toBe(new Set(ids).size);
  expect([...ids].sort()).toEqual(expected);
  for (const e of events) validateUme(e);
  expect(JSON.stringify(events)).not.toMatch(/raw-user-/);
}, 300_000);
