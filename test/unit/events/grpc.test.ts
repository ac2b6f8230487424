/**
 * The gRPC transport without a server: loading an operator's stub (`module:Export`) and its
 * one-line CONFIG errors, sending through stubs in order with exact acknowledgement counts, and
 * the proto's messages.
 */
import { join } from 'node:path';
import { isCascadenceError } from '../../../src/core/errors';
import {
  fromEventMessage,
  GrpcSender,
  loadGrpcStub,
  loadUmeProto,
  toEventMessage,
  type GrpcStub,
} from '../../../src/events/grpc';
import { SCHEMA_VERSION, type AnyUmeEvent } from '../../../src/events/ume';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'grpc-stubs');

/** The CascadenceError `fn` throws; fails the test when it throws none or another error. */
function configError(fn: () => unknown): { message: string; hint: string | undefined } {
  try {
    fn();
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    expect(err.code).toBe('CONFIG');
    expect(err.message).not.toContain('\n');
    expect(err.hint).toBeTruthy();
    return { message: err.message, hint: err.hint };
  }
  throw new Error('expected a CONFIG error');
}

const event = (n: number, task = 'example'): AnyUmeEvent => ({
  event_type: 'stage_update',
  schema_version: SCHEMA_VERSION,
  event_id: `${task}-r1#${n}:stage_update`,
  time: '2024-01-01T00:00:00.000Z',
  task,
  run_id: 'r1',
  workflow_id: `${task}-r1`,
  user_hash: 'u'.repeat(64),
  group_hash: 'g'.repeat(64),
  stage: 'plan',
  status: 'success',
});

describe('loadGrpcStub', () => {
  it('refuses a module that does not exist, naming where it looked', () => {
    const { message } = configError(() => loadGrpcStub('./missing.js:Stub', FIXTURES));
    expect(message).toBe(`gRPC stub module ./missing.js not found (${join(FIXTURES, 'missing.js')})`);
    expect(configError(() => loadGrpcStub('no-such-package-xyz:Stub', FIXTURES)).message).toBe(
      `gRPC stub module no-such-package-xyz not found (no package no-such-package-xyz from ${FIXTURES})`,
    );
  });

  it('refuses a module that fails to load, with the first line of its error', () => {
    expect(configError(() => loadGrpcStub('./throws.js:Stub', FIXTURES)).message).toBe(
      'gRPC stub module ./throws.js failed to load: stub module exploded',
    );
  });

  it('refuses a missing export and lists the exports there are', () => {
    const { message, hint } = configError(() => loadGrpcStub('./stubs.js:Nope', FIXTURES));
    expect(message).toBe('gRPC stub module ./stubs.js has no export Nope');
    expect(hint).toContain('objectStub, ClassStub');
    expect(configError(() => loadGrpcStub('./stubs.js:nested.Nope', FIXTURES)).message).toBe(
      'gRPC stub module ./stubs.js has no export nested.Nope',
    );
  });

  it('refuses a stub without the send method, naming the method', () => {
    expect(configError(() => loadGrpcStub('./stubs.js:noSend', FIXTURES)).message).toBe(
      'gRPC stub ./stubs.js:noSend has no method Send',
    );
    // The class has Publish, not Send.
    expect(configError(() => loadGrpcStub('./stubs.js:ClassStub', FIXTURES)).message).toBe(
      'gRPC stub ./stubs.js:ClassStub has no method Send',
    );
  });

  it('refuses exports that are neither a class nor an object, and a constructor that throws', () => {
    expect(configError(() => loadGrpcStub('./stubs.js:count', FIXTURES)).message).toBe(
      'gRPC stub ./stubs.js:count is a number, not a class or an object',
    );
    expect(configError(() => loadGrpcStub('./stubs.js:Broken', FIXTURES)).message).toBe(
      'gRPC stub ./stubs.js:Broken could not be constructed: no channel for you',
    );
  });

  it('refuses a spec that is not module:Export', () => {
    for (const spec of ['./stubs.js', './stubs.js:', ':Stub', './stubs.js:1abc', 'a:b:c']) {
      expect(configError(() => loadGrpcStub(spec, FIXTURES)).message).toBe(
        `gRPC stub ${JSON.stringify(spec)} is not module:Export`,
      );
    }
  });

  it('uses an object export as it is, also one reached by a dotted path', async () => {
    const stubs = (await import(join(FIXTURES, 'stubs.js'))) as { objectStub: GrpcStub };
    expect(loadGrpcStub('./stubs.js:objectStub', FIXTURES)).toBe(stubs.objectStub);
    expect(loadGrpcStub('./stubs.js:nested.Stub', FIXTURES)).toBe(stubs.objectStub);
    expect(loadGrpcStub(`${join(FIXTURES, 'stubs.js')}:objectStub`, '/')).toBe(stubs.objectStub);
  });

  it('instantiates a class as a generated grpc-js client, with the target and insecure credentials', () => {
    const stub = loadGrpcStub('./stubs.js:ClassStub', FIXTURES, { target: 'ume.internal:7000', method: 'Publish' });
    expect(stub.target).toBe('ume.internal:7000');
    expect((stub.credentials as { _isSecure(): boolean })._isSecure()).toBe(false);
    expect(typeof stub.Publish).toBe('function');
  });

  it('loads a package by name from cwd (the generated client of @grpc/grpc-js here)', () => {
    // grpc-js's `Client` is a class: it is constructed (target, credentials), and lacks Send.
    expect(configError(() => loadGrpcStub('@grpc/grpc-js:Client', process.cwd())).message).toBe(
      'gRPC stub @grpc/grpc-js:Client has no method Send',
    );
    const stub = loadGrpcStub('@grpc/grpc-js:Client', process.cwd(), { method: 'close' });
    (stub.close as () => void)();
  });
});

describe('GrpcSender with a stub', () => {
  it('sends each event in order as an Event message and counts the acknowledged ones', async () => {
    const stub = loadGrpcStub('./stubs.js:promiseStub', FIXTURES) as GrpcStub & { sent: unknown[] };
    stub.sent.length = 0;
    const sender = new GrpcSender({ target: 'unused:1', stub });
    expect(sender.name).toBe('gRPC');
    const batch = [event(0), event(1), event(2, 'refused'), event(3)];
    const { acked, error } = await sender.send(batch);
    expect(acked).toBe(2);
    expect(String(error)).toContain('refused by the stub');
    expect(stub.sent).toEqual([toEventMessage(batch[0] as AnyUmeEvent), toEventMessage(batch[1] as AnyUmeEvent)]);
    expect(await sender.send([event(4)])).toEqual({ acked: 1 });
  });

  it('takes callback-style stubs and a configured method name', async () => {
    const stub = loadGrpcStub('./stubs.js:ClassStub', FIXTURES, { method: 'Publish' }) as GrpcStub & {
      sent: Array<{ event_id: string }>;
    };
    const sender = new GrpcSender({ target: 'unused:1', stub, method: 'Publish' });
    expect(await sender.send([event(0), event(1)])).toEqual({ acked: 2 });
    expect(stub.sent.map((m) => m.event_id)).toEqual([event(0).event_id, event(1).event_id]);
  });

  it('gives up on a stub that never answers, after the deadline', async () => {
    const stub: GrpcStub = { Send: () => undefined };
    const sender = new GrpcSender({ target: 'unused:1', stub, deadlineMs: 50 });
    const { acked, error } = await sender.send([event(0)]);
    expect(acked).toBe(0);
    expect(String(error)).toContain('Send got no answer within 50 ms');
  });

  it('refuses a method the built-in client does not have, as CONFIG', () => {
    expect(configError(() => new GrpcSender({ target: 'localhost:1', method: 'Publish' })).message).toBe(
      'the built-in UME client has no method Publish',
    );
  });
});

describe('the proto', () => {
  it('loads cascadence.ume.v1.Ume with a unary Send and a server-streaming Subscribe', () => {
    const { service, path } = loadUmeProto();
    expect(path).toBe(join(__dirname, '..', '..', '..', 'proto', 'ume.proto'));
    expect(service.Send?.path).toBe('/cascadence.ume.v1.Ume/Send');
    expect([service.Send?.requestStream, service.Send?.responseStream]).toEqual([false, false]);
    expect(service.Subscribe?.path).toBe('/cascadence.ume.v1.Ume/Subscribe');
    expect([service.Subscribe?.requestStream, service.Subscribe?.responseStream]).toEqual([false, true]);
  });

  it('round-trips an event through the Event message (serialised) without losing a field', () => {
    const { service } = loadUmeProto();
    const e = { ...event(7), output: 'línea\n"quoted"' } as AnyUmeEvent;
    const send = service.Send as NonNullable<typeof service.Send>;
    const decoded = send.requestDeserialize(send.requestSerialize(toEventMessage(e))) as ReturnType<
      typeof toEventMessage
    >;
    expect(decoded).toEqual(toEventMessage(e));
    expect(fromEventMessage(decoded)).toEqual(e);
    expect(fromEventMessage({ json: 'not json' })).toBeUndefined();
    expect(fromEventMessage({ json: '[1]' })).toBeUndefined();
  });
});
