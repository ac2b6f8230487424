/**
 * gRPC (`@grpc/grpc-js`, `@grpc/proto-loader`; the service is `proto/ume.proto`, package
 * `cascadence.ume.v1`). Publishing: the transport goes through the durable outbox
 * (outbox-transport.ts) and sends each event with the unary `Send`, through the built-in `Ume`
 * client or an operator's own stub (`--grpc-stub module:Export`). Reading: `subscribeGrpc`
 * follows the server-streaming `Subscribe`. `UmeGrpcServer` is the reference server (tests,
 * `task dev`, anyone who needs a receiver). Node-only.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CascadenceError, rootMessage } from '../core/errors';
import type { Subscription } from './nats';
import { OutboxTransport, type OutboxObserver, type Sender } from './outbox-transport';
import type { AnyUmeEvent } from './ume';

/** The `Event` message of `proto/ume.proto`: copies of the event's routing fields and the whole event as JSON. */
export interface UmeEventMessage {
  event_id: string;
  event_type: string;
  schema_version: number;
  task: string;
  run_id: string;
  workflow_id: string;
  time: string;
  /** The full event, a JSON object: the source of truth. */
  json: string;
}

/** The `Ack` message: the acknowledged event and whether the server already held it. */
export interface UmeAck {
  event_id: string;
  duplicate: boolean;
}

/** The `SubscribeRequest` message; empty fields match every event. */
export interface UmeSubscribeRequest {
  event_types: string[];
  task: string;
}

/**
 * A gRPC stub: the built-in `Ume` client, a generated grpc-js client of another service, or any
 * object whose send method (`UME_GRPC_METHOD`, default `Send`) takes an `UmeEventMessage` and
 * answers through a grpc-js style callback `(err, response)` or a promise.
 */
export type GrpcStub = Record<string, unknown>;

/** The default target (`UME_GRPC_TARGET`). */
export const DEFAULT_GRPC_TARGET = 'localhost:50051';
/** How long one call may take. */
export const GRPC_DEADLINE_MS = 5000;
/** How long a send waits for a disconnected channel before trying anyway. */
const CONNECT_WAIT_MS = 1000;

/** Found from `src/events` (ts-jest) and from `dist/events` (the build) alike. */
const PROTO_PATH = join(__dirname, '..', '..', 'proto', 'ume.proto');
/** `module:Export`, as the configuration checks it (a dotted path into the module's exports allowed). */
const STUB_SPEC = /^([^:]+):([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)$/;
/**
 * Reconnect quickly once a server is back: grpc-js backs off up to 120 s by default, while the
 * outbox retries every half second and a short outage should only delay events briefly.
 */
const CHANNEL_OPTIONS: Partial<grpc.ChannelOptions> = {
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 2000,
};

/** The loaded `proto/ume.proto`: the generated `Ume` client and its service definition. */
export interface UmeProto {
  /** Constructor of the `cascadence.ume.v1.Ume` client, `new Ume(target, credentials)`. */
  Ume: grpc.ServiceClientConstructor;
  service: grpc.ServiceDefinition;
  /** Where the proto was read from. */
  path: string;
}

let proto: UmeProto | undefined;

/**
 * Loads `proto/ume.proto` (once per process).
 * @throws CascadenceError CONFIG when the file is missing or does not parse (a broken install).
 */
export function loadUmeProto(): UmeProto {
  if (proto) return proto;
  let definition: protoLoader.PackageDefinition;
  try {
    definition = protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: Number, enums: String, defaults: true });
  } catch (err) {
    throw new CascadenceError('CONFIG', `cannot load ${PROTO_PATH}: ${firstLine(err)}`, {
      hint: 'the cascadence package ships proto/ume.proto; reinstall it',
      cause: err,
    });
  }
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    cascadence: { ume: { v1: { Ume: grpc.ServiceClientConstructor } } };
  };
  const Ume = pkg.cascadence.ume.v1.Ume;
  proto = { Ume, service: Ume.service, path: PROTO_PATH };
  return proto;
}

/** A built-in `Ume` client to `target`, without TLS. */
export function createUmeClient(target: string): grpc.Client & GrpcStub {
  const { Ume } = loadUmeProto();
  return new Ume(target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as grpc.Client & GrpcStub;
}

/** The `Event` message of `event`. */
export function toEventMessage(event: AnyUmeEvent): UmeEventMessage {
  return {
    event_id: event.event_id,
    event_type: event.event_type,
    schema_version: event.schema_version,
    task: event.task,
    run_id: event.run_id,
    workflow_id: event.workflow_id,
    time: event.time,
    json: JSON.stringify(event),
  };
}

/** The event a message carries (its `json`), or undefined when that is not an event object. */
export function fromEventMessage(message: Pick<UmeEventMessage, 'json'>): AnyUmeEvent | undefined {
  try {
    const value: unknown = JSON.parse(message.json);
    const e = value as Record<string, unknown> | null;
    return e && typeof e === 'object' && typeof e.event_id === 'string' && typeof e.event_type === 'string'
      ? (value as AnyUmeEvent)
      : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(err: unknown): string {
  return rootMessage(err).split('\n')[0] ?? '';
}

/** A generated grpc-js client (from any copy of grpc-js), which takes call options with a deadline. */
function isGrpcClient(stub: GrpcStub): boolean {
  return typeof stub.getChannel === 'function' && typeof stub.waitForReady === 'function';
}

type Callback = (err: unknown, value?: unknown) => void;
type StubMethod = (this: GrpcStub, ...args: unknown[]) => unknown;

/**
 * Calls `stub[method](message, callback)` (a grpc-js client also gets a deadline) and settles on
 * the callback or on a returned promise, whichever comes first; gives up after `deadlineMs`.
 */
function callUnary(stub: GrpcStub, method: string, message: unknown, deadlineMs: number): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    let call: unknown;
    const settle: Callback = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Error(`${method} failed: ${String(err)}`));
      else resolvePromise(value);
    };
    const timer = setTimeout(() => {
      (call as { cancel?: () => void } | undefined)?.cancel?.();
      settle(new Error(`${method} got no answer within ${deadlineMs} ms`));
    }, deadlineMs + 250);
    const fn = stub[method] as StubMethod;
    try {
      call = isGrpcClient(stub)
        ? fn.call(stub, message, { deadline: Date.now() + deadlineMs }, settle)
        : fn.call(stub, message, settle);
    } catch (err) {
      settle(err);
      return;
    }
    if (call && typeof (call as PromiseLike<unknown>).then === 'function') {
      (call as PromiseLike<unknown>).then(
        (value) => settle(null, value),
        (err: unknown) => settle(err ?? new Error(`${method} was rejected`)),
      );
    }
  });
}

/** The grpc-js a stub module would use itself (its own copy, so credentials pass its checks), else ours. */
function grpcFor(file: string): typeof grpc {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(require.resolve('@grpc/grpc-js', { paths: [dirname(file)] })) as typeof grpc;
  } catch {
    return grpc;
  }
}

/** Where a stub is built for: the target a class is constructed with, and the method it must have. */
export interface GrpcStubOptions {
  /** Passed to a stub class, `new Export(target, credentials)` (default `localhost:50051`). */
  target?: string;
  /** The method the stub must have (default `Send`). */
  method?: string;
}

/**
 * Loads an operator's stub, `module:Export`: the module is a file path (relative to `cwd`, or
 * absolute) or a package resolvable from `cwd`, loaded with `require` (CommonJS); `Export` may be
 * a dotted path into its exports. A class (or constructor function) is instantiated as grpc-js
 * generated clients are, `new Export(target, grpc.credentials.createInsecure())`; an object is
 * used as it is. Either must have the method `options.method` (default `Send`). The spec comes
 * from the operator's flag or environment only.
 * @throws CascadenceError CONFIG, with one line saying what is wrong, when the spec is not
 *   `module:Export`, the module is not found or fails to load, the export is missing or not a
 *   class or object, constructing it fails, or the method is missing.
 */
export function loadGrpcStub(spec: string, cwd = process.cwd(), options: GrpcStubOptions = {}): GrpcStub {
  const method = options.method ?? 'Send';
  const match = STUB_SPEC.exec(spec);
  if (!match) {
    throw new CascadenceError('CONFIG', `gRPC stub ${JSON.stringify(spec)} is not module:Export`, {
      hint: 'name a module and its exported stub, e.g. ./my-stub.js:UmeStub',
    });
  }
  const mod = match[1] as string;
  const exportPath = match[2] as string;
  const isPath = mod.startsWith('.') || isAbsolute(mod);
  let file: string;
  try {
    file = isPath ? require.resolve(resolve(cwd, mod)) : require.resolve(mod, { paths: [cwd] });
  } catch {
    throw new CascadenceError(
      'CONFIG',
      `gRPC stub module ${mod} not found (${isPath ? resolve(cwd, mod) : `no package ${mod} from ${cwd}`})`,
      { hint: 'give a file path relative to the working directory, e.g. ./stubs/ume.js, or an installed package name' },
    );
  }
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(file);
  } catch (err) {
    throw new CascadenceError('CONFIG', `gRPC stub module ${mod} failed to load: ${firstLine(err)}`, {
      hint: 'it must be a CommonJS module that loads without errors',
      cause: err,
    });
  }
  let value = exported;
  for (const key of exportPath.split('.')) {
    const holder = value as Record<string, unknown> | null | undefined;
    value =
      holder !== null && (typeof holder === 'object' || typeof holder === 'function') && key in holder
        ? holder[key]
        : undefined;
    if (value === undefined) {
      const names =
        exported !== null && (typeof exported === 'object' || typeof exported === 'function')
          ? Object.keys(exported)
          : [];
      throw new CascadenceError('CONFIG', `gRPC stub module ${mod} has no export ${exportPath}`, {
        hint: names.length > 0 ? `it exports ${names.join(', ')}` : 'it exports nothing by name',
      });
    }
  }
  let stub: GrpcStub;
  if (typeof value === 'function') {
    const Ctor = value as new (target: string, credentials: grpc.ChannelCredentials) => GrpcStub;
    try {
      stub = new Ctor(options.target ?? DEFAULT_GRPC_TARGET, grpcFor(file).credentials.createInsecure());
    } catch (err) {
      throw new CascadenceError('CONFIG', `gRPC stub ${spec} could not be constructed: ${firstLine(err)}`, {
        hint: `it is called as new ${exportPath}(target, credentials), like a generated grpc-js client`,
        cause: err,
      });
    }
  } else if (value !== null && typeof value === 'object') {
    stub = value as GrpcStub;
  } else {
    throw new CascadenceError(
      'CONFIG',
      `gRPC stub ${spec} is a ${value === null ? 'null' : typeof value}, not a class or an object`,
      {
        hint: 'export a grpc-js client class or an object with the send method',
      },
    );
  }
  if (stub === null || (typeof stub !== 'object' && typeof stub !== 'function') || typeof stub[method] !== 'function') {
    throw new CascadenceError('CONFIG', `gRPC stub ${spec} has no method ${method}`, {
      hint: `give it a ${method}(event, callback) method or one returning a promise, or name its method with UME_GRPC_METHOD`,
    });
  }
  return stub;
}

/** Settings of a gRPC sender. */
export interface GrpcSenderOptions {
  /** host:port of the server (`UME_GRPC_TARGET`). */
  target: string;
  /** An operator's stub (`loadGrpcStub`) instead of the built-in `Ume` client. */
  stub?: GrpcStub | undefined;
  /** The stub's unary send method (`UME_GRPC_METHOD`, default `Send`). */
  method?: string | undefined;
  /** How long one call may take (default 5 s). */
  deadlineMs?: number;
}

/**
 * Sends batches with one unary call per event, one after the other, so the server takes them in
 * the outbox's order and the acknowledged count is exact.
 */
export class GrpcSender implements Sender {
  readonly name = 'gRPC';
  readonly target: string;
  readonly method: string;
  private readonly stub: GrpcStub;
  private readonly deadlineMs: number;

  /** @throws CascadenceError CONFIG when the stub (or the built-in client) has no such method. */
  constructor(options: GrpcSenderOptions) {
    this.target = options.target;
    this.method = options.method ?? 'Send';
    this.deadlineMs = options.deadlineMs ?? GRPC_DEADLINE_MS;
    this.stub = options.stub ?? createUmeClient(options.target);
    if (typeof this.stub[this.method] !== 'function') {
      if (!options.stub) (this.stub.close as StubMethod).call(this.stub);
      throw new CascadenceError(
        'CONFIG',
        `the ${options.stub ? 'gRPC stub' : 'built-in UME client'} has no method ${this.method}`,
        {
          hint: options.stub
            ? 'set UME_GRPC_METHOD to its send method'
            : 'the built-in client has only Send; unset UME_GRPC_METHOD, or give your own stub with --grpc-stub',
        },
      );
    }
  }

  async send(batch: AnyUmeEvent[]): Promise<{ acked: number; error?: unknown }> {
    if (isGrpcClient(this.stub)) {
      // A channel that is not connected fails calls at once; give it a moment to (re)connect
      // first, so an outage means one attempt a second rather than one per outbox retry. The
      // call below still runs and reports why it fails when the server stays away.
      await waitReady(this.stub, CONNECT_WAIT_MS).catch(() => undefined);
    }
    for (let i = 0; i < batch.length; i++) {
      try {
        await callUnary(this.stub, this.method, toEventMessage(batch[i] as AnyUmeEvent), this.deadlineMs);
      } catch (error) {
        return { acked: i, error };
      }
    }
    return { acked: batch.length };
  }

  async close(): Promise<void> {
    if (typeof this.stub.close === 'function') (this.stub.close as StubMethod).call(this.stub);
  }
}

/** Settings of the gRPC transport. */
export interface GrpcTransportOptions {
  /** host:port of the server (`UME_GRPC_TARGET`). */
  target: string;
  /** An operator's stub (`loadGrpcStub`) instead of the built-in `Ume` client. */
  stub?: GrpcStub | undefined;
  /** The stub's unary send method (`UME_GRPC_METHOD`, default `Send`). */
  method?: string | undefined;
  /** Folder of the durable outbox. */
  outboxDir: string;
  /** Largest size of unsent events. */
  maxBytes?: number;
  /** Where problems go (default: stderr). */
  warn?: (line: string) => void;
  observer?: OutboxObserver;
}

/** Publishes versioned events to a UME gRPC server through a durable outbox. */
export class GrpcTransport extends OutboxTransport {
  readonly target: string;

  /** @throws CascadenceError CONFIG when the stub (or the built-in client) lacks the method. */
  constructor(options: GrpcTransportOptions) {
    const sender = new GrpcSender({ target: options.target, stub: options.stub, method: options.method });
    super(sender, {
      outboxDir: options.outboxDir,
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.warn ? { warn: options.warn } : {}),
      ...(options.observer ? { observer: options.observer } : {}),
    });
    this.target = options.target;
  }
}

/** Which events a gRPC subscription reads and from where. */
export interface GrpcSubscribeOptions {
  /** host:port of the server (`UME_GRPC_TARGET`). */
  target: string;
  /** An operator's stub whose `method` returns a grpc-js readable stream. */
  stub?: GrpcStub | undefined;
  /** The server-streaming method (default `Subscribe`). */
  method?: string;
  /** Only events of these types (default: all). */
  eventTypes?: string[];
  /** Only events of this task (default: all). */
  task?: string;
  /** How long to wait for the server (default 5 s). */
  connectTimeoutMs?: number;
}

/** A server-streaming call as grpc-js returns it. */
type ReadableCall = AsyncIterable<unknown> & {
  cancel?: () => void;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
};

/** Resolves once the client's channel is connected (stubs without `waitForReady` are taken as ready). */
function waitReady(stub: GrpcStub, timeoutMs: number): Promise<void> {
  if (typeof stub.waitForReady !== 'function') return Promise.resolve();
  return new Promise((resolvePromise, reject) =>
    (stub.waitForReady as StubMethod).call(stub, Date.now() + timeoutMs, (err?: Error) =>
      err ? reject(err) : resolvePromise(),
    ),
  );
}

/**
 * Resolves once the server answered the call with its headers (the reference server sends them
 * once the subscriber is registered, so no later event is missed) or, for a server that holds
 * them back, after `fallbackMs`; rejects when the call fails first.
 */
function started(call: ReadableCall, fallbackMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const finish = (err?: unknown): void => {
      clearTimeout(timer);
      call.off('metadata', onMetadata);
      call.off('error', onError);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolvePromise();
    };
    const onMetadata = (): void => finish();
    const onError = (err: unknown): void => finish(err ?? new Error('Subscribe failed'));
    const timer = setTimeout(() => finish(), fallbackMs);
    call.once('metadata', onMetadata);
    call.once('error', onError);
  });
}

/**
 * Calls `handler` for each event the server streams from now on that matches the filter, in
 * order, one at a time; a message whose `json` is not an event is passed as `undefined` with the
 * raw message. The stream is live only (events sent while nobody listens are not replayed).
 * @throws CascadenceError CONNECTION when the server cannot be reached or refuses the call,
 *   CONFIG when the stub has no such method or it returns no stream.
 */
export async function subscribeGrpc(
  options: GrpcSubscribeOptions,
  handler: (event: AnyUmeEvent | undefined, raw: UmeEventMessage) => Promise<void> | void,
): Promise<Subscription> {
  const method = options.method ?? 'Subscribe';
  const timeoutMs = options.connectTimeoutMs ?? GRPC_DEADLINE_MS;
  const owned = !options.stub;
  const stub = options.stub ?? createUmeClient(options.target);
  const close = (): void => {
    if (owned) (stub.close as StubMethod).call(stub);
  };
  if (typeof stub[method] !== 'function') {
    close();
    throw new CascadenceError('CONFIG', `the gRPC stub has no method ${method}`, {
      hint: 'subscribing needs a server-streaming method, Subscribe in proto/ume.proto',
    });
  }
  const unreachable = (err: unknown): CascadenceError =>
    new CascadenceError(
      'CONNECTION',
      `cannot subscribe to the UME gRPC server at ${options.target}: ${firstLine(err)}`,
      {
        hint: 'start the server, or set UME_GRPC_TARGET to where it listens',
        cause: err,
      },
    );
  try {
    await waitReady(stub, timeoutMs);
  } catch (err) {
    close();
    throw unreachable(err);
  }
  const request: UmeSubscribeRequest = { event_types: options.eventTypes ?? [], task: options.task ?? '' };
  const call = (stub[method] as StubMethod).call(stub, request) as ReadableCall | undefined;
  if (!call || typeof call[Symbol.asyncIterator] !== 'function' || typeof call.once !== 'function') {
    close();
    throw new CascadenceError('CONFIG', `the gRPC stub's ${method} returned no stream`, {
      hint: `${method} must be server-streaming and return a grpc-js readable stream`,
    });
  }
  try {
    await started(call, 1000);
  } catch (err) {
    close();
    throw unreachable(err);
  }
  let stopping = false;
  const done = (async () => {
    try {
      for await (const message of call) {
        const raw = message as UmeEventMessage;
        await handler(fromEventMessage(raw), raw);
      }
    } catch (err) {
      if (stopping) return; // the cancellation stop() asked for
      throw err;
    } finally {
      call.cancel?.();
    }
  })();
  return {
    done: done.finally(close),
    async stop() {
      stopping = true;
      call.cancel?.();
      await done.catch(() => undefined);
      close();
    },
  };
}

interface Subscriber {
  call: grpc.ServerWritableStream<UmeSubscribeRequest, UmeEventMessage>;
  eventTypes: Set<string>;
  task: string;
}

/**
 * A small in-memory UME gRPC server on 127.0.0.1 without TLS (tests, `task dev`, a reference for
 * other implementations): keeps every event it takes, once per event id (a re-sent event is
 * acknowledged again, not stored twice), and streams later events to subscribers. Stopping and
 * starting it again keeps what it holds.
 */
export class UmeGrpcServer {
  /** Every event taken, in arrival order, each id once. */
  readonly events: AnyUmeEvent[] = [];
  private readonly ids = new Set<string>();
  private readonly subscribers = new Set<Subscriber>();
  private server: grpc.Server | undefined;
  private boundPort = 0;

  /** The port it listens on (0 before the first start). */
  get port(): number {
    return this.boundPort;
  }

  /** `127.0.0.1:<port>`, for `UME_GRPC_TARGET`. */
  get target(): string {
    return `127.0.0.1:${this.boundPort}`;
  }

  /** How many subscriptions are open. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Listens on 127.0.0.1:`port` (0: a free port; `port` after a stop: the same one again).
   * @throws Error when the port cannot be bound or the server runs already.
   */
  async start(port = 0): Promise<this> {
    if (this.server) throw new Error(`the UME gRPC server already listens on ${this.target}`);
    const server = new grpc.Server();
    server.addService(loadUmeProto().service, {
      Send: (call: grpc.ServerUnaryCall<UmeEventMessage, UmeAck>, callback: grpc.sendUnaryData<UmeAck>) =>
        this.onSend(call, callback),
      Subscribe: (call: grpc.ServerWritableStream<UmeSubscribeRequest, UmeEventMessage>) => this.onSubscribe(call),
    });
    this.boundPort = await new Promise<number>((resolvePromise, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolvePromise(bound),
      ),
    );
    this.server = server;
    return this;
  }

  /** Ends every subscription and stops listening (forcibly after `graceMs`); what it holds stays. */
  async stop(graceMs = 1000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.subscribers) s.call.end();
    this.subscribers.clear();
    await new Promise<void>((resolvePromise) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolvePromise();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolvePromise();
      });
    });
  }

  private onSend(call: grpc.ServerUnaryCall<UmeEventMessage, UmeAck>, callback: grpc.sendUnaryData<UmeAck>): void {
    const event = fromEventMessage(call.request);
    if (!event) {
      callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'json is not a UME event (a JSON object with event_id and event_type)',
      });
      return;
    }
    if (this.ids.has(event.event_id)) {
      callback(null, { event_id: event.event_id, duplicate: true });
      return;
    }
    this.ids.add(event.event_id);
    this.events.push(event);
    const message = toEventMessage(event);
    for (const s of this.subscribers) {
      if ((s.eventTypes.size === 0 || s.eventTypes.has(event.event_type)) && (!s.task || s.task === event.task))
        s.call.write(message);
    }
    callback(null, { event_id: event.event_id, duplicate: false });
  }

  private onSubscribe(call: grpc.ServerWritableStream<UmeSubscribeRequest, UmeEventMessage>): void {
    const subscriber: Subscriber = {
      call,
      eventTypes: new Set(call.request.event_types ?? []),
      task: call.request.task ?? '',
    };
    this.subscribers.add(subscriber);
    const remove = (): void => {
      this.subscribers.delete(subscriber);
    };
    call.on('cancelled', remove);
    call.on('close', remove);
    call.on('error', remove);
    // Headers now: the client knows it is registered and misses no later event.
    call.sendMetadata(new grpc.Metadata());
  }
}
