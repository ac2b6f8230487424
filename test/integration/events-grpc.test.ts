/**
 * Versioned events over gRPC (proto/ume.proto) to a real `UmeGrpcServer`, through the worker's
 * durable outbox: every event of a Temporal run arrives once, as the in-memory conformance check
 * expects it, valid and free of raw ids, also when the server is away while runs go on; a
 * `subscribeGrpc` reader sees live events; and the `task` CLI publishes through the transport
 * and refuses bad transport settings with one line and exit 3.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import { MemoryTransport, type CascadenceEvent, type EventBus } from '../../src/events/bus';
import { createUmeClient, GrpcTransport, subscribeGrpc, toEventMessage, UmeGrpcServer } from '../../src/events/grpc';
import type { AnyUmeEvent } from '../../src/events/ume';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { checkRunEvents, validateUme } from '../conformance/events-check';
import { eventually } from '../conformance/pipeline-suite';
import { runCli, type CliResult } from '../helpers/cli';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';

const STUBS = join(__dirname, '..', 'fixtures', 'grpc-stubs');

let conns: TestConnections;
let server: UmeGrpcServer;
let memory: MemoryTransport;
let transport: GrpcTransport;
let backend: TemporalBackend;
let env: Awaited<ReturnType<typeof startTestWorker>>;
const warnings: string[] = [];

beforeAll(async () => {
  conns = await connect();
  server = await new UmeGrpcServer().start();
  memory = new MemoryTransport();
  transport = new GrpcTransport({
    target: server.target,
    outboxDir: mkdtempSync(join(tmpdir(), 'cascadence-outbox-')),
    warn: (line) => warnings.push(line),
  }).start();
  // The worker publishes to both: memory is what the conformance check reads, gRPC what is tested.
  const both: EventBus = {
    publish(event: CascadenceEvent) {
      memory.publish(event);
      transport.publish(event);
    },
  };
  env = await startTestWorker(conns, createDefaultRegistry(), { prefix: 'events-grpc', events: both });
  backend = env.backend;
});
afterAll(async () => {
  await env?.close();
  await transport?.close();
  await server?.stop();
  await conns?.close();
});

/** The events the server holds for `runId`, each checked against its schema. */
function received(runId: string): AnyUmeEvent[] {
  const mine = server.events.filter((e) => e.run_id === runId);
  for (const e of mine) validateUme(e as unknown as Record<string, unknown>);
  return mine;
}

/**
 * Checks that the server holds exactly the events of `runId` the in-memory check expects, in the
 * order they were emitted and ending with the run's one `task_run`, each id once, no raw id.
 */
function expectRunDelivered(runId: string, raw: string): void {
  const expected = checkRunEvents(memory.events, runId, [raw]);
  const got = received(runId);
  const outcomes = got.filter((e) => e.event_type === 'task_run');
  expect(outcomes).toHaveLength(1);
  expect(outcomes[0]).toMatchObject({ task: 'example', state: 'completed' });
  // The check lists the run's outcome after its records (a version listing only the records' is taken too).
  expect(got).toEqual(expected.some((e) => e.event_type === 'task_run') ? expected : [...expected, ...outcomes]);
  const ids = got.map((e) => e.event_id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(JSON.stringify(got)).not.toContain(raw);
}

it('delivers every event of each run to the gRPC server once, as the conformance check expects', async () => {
  const raw = `raw-user-${randomUUID()}`;
  const runIds: string[] = [];
  for (let i = 0; i < 3; i++) runIds.push((await backend.run({ task: 'example', userId: raw, groupId: 'g' })).runId);
  await eventually(
    () => transport.outbox.depth === 0 && runIds.every((id) => received(id).some((e) => e.event_type === 'task_run')),
    'every run to reach the server',
  );
  for (const runId of runIds) expectRunDelivered(runId, raw);
  expect(warnings).toEqual([]);
});

it('keeps events in the outbox while the server is away; runs go on; all arrive once it is back', async () => {
  const raw = `raw-user-${randomUUID()}`;
  const port = server.port;
  await server.stop();
  const runIds: string[] = [];
  for (let i = 0; i < 2; i++) runIds.push((await backend.run({ task: 'example', userId: raw, groupId: 'g' })).runId);
  // Held back for a while: the outbox keeps retrying, nothing reaches the stopped server.
  await new Promise((r) => setTimeout(r, 3000));
  expect(transport.outbox.depth).toBeGreaterThan(0);
  expect(runIds.flatMap(received)).toEqual([]);
  expect(
    warnings.some((w) => w.startsWith('events: gRPC publish failed, keeping events in the outbox and retrying: ')),
  ).toBe(true);
  await server.start(port);
  await eventually(() => transport.outbox.depth === 0, 'the outbox to drain once the server is back', 60_000);
  for (const runId of runIds) expectRunDelivered(runId, raw);
  // The outage is said once when it starts and once when it ends, however many retries it took.
  expect(warnings.filter((w) => w.includes('publish failed'))).toHaveLength(1);
  expect(warnings.filter((w) => w.startsWith('events: gRPC publishing again'))).toHaveLength(1);
});

it('streams live events to a subscriber, filtered by type and task, until it stops', async () => {
  const seen: AnyUmeEvent[] = [];
  const sub = await subscribeGrpc(
    { target: server.target, eventTypes: ['stage_update', 'task_run'], task: 'example' },
    (event) => {
      if (event) seen.push(event);
    },
  );
  expect(server.subscriberCount).toBe(1);
  const { runId } = await backend.run({ task: 'example', userId: 'u', groupId: 'g' });
  await eventually(
    () => seen.some((e) => e.run_id === runId && e.event_type === 'task_run'),
    'the subscriber to see the run end',
  );
  const mine = seen.filter((e) => e.run_id === runId);
  expect(mine).toEqual(received(runId).filter((e) => e.event_type === 'stage_update' || e.event_type === 'task_run'));
  expect(mine.filter((e) => e.event_type === 'stage_update')).toHaveLength(5);
  await sub.stop();
  await sub.done;
  await eventually(() => server.subscriberCount === 0, 'the server to drop the subscription');
});

it('ends a subscription when the server ends it, and refuses to subscribe where no server listens', async () => {
  const other = await new UmeGrpcServer().start();
  const sub = await subscribeGrpc({ target: other.target }, () => undefined);
  await other.stop();
  await expect(sub.done).resolves.toBeUndefined();
  await expect(subscribeGrpc({ target: other.target, connectTimeoutMs: 500 }, () => undefined)).rejects.toMatchObject({
    code: 'CONNECTION',
    message: expect.stringContaining(`cannot subscribe to the UME gRPC server at ${other.target}`),
  });
});

it('stores an event sent twice once and acknowledges both sends, the second as a duplicate', async () => {
  const event = { ...(server.events[0] as AnyUmeEvent), event_id: `dup-${randomUUID()}` };
  const client = createUmeClient(server.target);
  const send = (): Promise<{ event_id: string; duplicate: boolean }> =>
    new Promise((resolve, reject) =>
      (
        client.Send as (
          m: unknown,
          cb: (err: Error | null, ack: { event_id: string; duplicate: boolean }) => void,
        ) => void
      )(toEventMessage(event), (err, ack) => (err ? reject(err) : resolve(ack))),
    );
  try {
    expect(await send()).toEqual({ event_id: event.event_id, duplicate: false });
    expect(await send()).toEqual({ event_id: event.event_id, duplicate: true });
    expect(server.events.filter((e) => e.event_id === event.event_id)).toHaveLength(1);
    const bad = (client.Send as (m: unknown, cb: (err: (Error & { code?: number }) | null) => void) => void).bind(
      client,
    );
    const refused = await new Promise<Error & { code?: number }>((resolve) =>
      bad({ ...toEventMessage(event), json: 'nope' }, (err) => resolve(err as Error & { code?: number })),
    );
    expect(refused.code).toBe(3); // INVALID_ARGUMENT
  } finally {
    client.close();
  }
});

describe('task CLI with --transport grpc', () => {
  /** The CLI's environment: base backend (no Temporal), temp state, outbox and audit files. */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-cli-grpc-'));
    return {
      CASCADENCE_CONFIG: '',
      CASCADENCE_SCHEDULER: 'base',
      CASCADENCE_EVENTS: '',
      UME_TRANSPORT: '',
      UME_GRPC_STUB: '',
      UME_GRPC_METHOD: '',
      CASCADENCE_TASK_MODULES: '',
      CASCADENCE_STATE_PATH: join(dir, 'task-state.json'),
      CASCADENCE_AUDIT_PATH: join(dir, 'audit.jsonl'),
      CASCADENCE_OUTBOX_PATH: join(dir, 'outbox'),
      ...extra,
    };
  };
  const run = (args: string[], extra?: NodeJS.ProcessEnv): Promise<CliResult> =>
    runCli(['run', 'example', '--user-id', 'u', '--group-id', 'g', ...args], env(extra));

  /** Exit 3, nothing on stdout, one `error:` line on stderr matching `message`. */
  function configFailure(res: CliResult, message: string): void {
    expect({ code: res.code, stdout: res.stdout }).toEqual({ code: 3, stdout: '' });
    expect(res.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(`error: ${message}`)]);
  }

  it('publishes a run through an operator stub class and its own method name', async () => {
    const spec = `${relative(process.cwd(), join(STUBS, 'ume-client.js'))}:CountingUme`;
    const res = await run(['--transport', 'grpc', '--grpc-stub', spec.startsWith('.') ? spec : `./${spec}`], {
      UME_GRPC_TARGET: server.target,
      UME_GRPC_METHOD: 'Publish',
    });
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    const runId = /^run-id\t(\S+)$/m.exec(res.stdout)?.[1] ?? '';
    const got = received(runId);
    expect(got.map((e) => e.event_type)).toContain('task_run');
    expect(got).toHaveLength(21); // two per record, ten records, and the run's outcome
  });

  it('refuses a stub without the grpc transport', async () => {
    configFailure(
      await run(['--grpc-stub', './x.js:Y']),
      'a gRPC stub (--grpc-stub / UME_GRPC_STUB) needs the grpc transport, but the transport is "none"',
    );
  });

  it('refuses an unknown transport', async () => {
    configFailure(await run(['--transport', 'bogus']), 'unknown event transport "bogus"; valid transports:');
  });

  it('refuses a stub that cannot be loaded before running anything', async () => {
    const res = await run(['--transport', 'grpc', '--grpc-stub', './missing.js:Stub']);
    configFailure(res, `gRPC stub module ./missing.js not found (${join(process.cwd(), 'missing.js')})`);
    configFailure(
      await run(['--transport', 'grpc', '--grpc-stub', `${join(STUBS, 'stubs.js')}:noSend`]),
      `gRPC stub ${join(STUBS, 'stubs.js')}:noSend has no method Send`,
    );
  });
});
