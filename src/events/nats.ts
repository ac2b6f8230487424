/**
 * NATS JetStream (nats.js: `@nats-io/transport-node` and `@nats-io/jetstream`, the maintained
 * successors of the `nats` package). Publishing: the transport goes through the durable outbox
 * (outbox-transport.ts) and publishes with acknowledgements and `msgID = event_id`, so JetStream
 * drops a second publish of one event within the stream's duplicate window. Reading:
 * `subscribeNats` follows the stream, from a durable consumer (a restarted reader resumes after
 * the last event it acknowledged) or an ordered one (live watching). Node-only.
 */
import type { connect } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { OutboxTransport, type OutboxObserver, type Sender } from './outbox-transport';
import { subjectOf, type AnyUmeEvent } from './ume';

type NatsConnection = Awaited<ReturnType<typeof connect>>;

/** Where a stream lives: server(s), subject prefix and stream name. */
export interface NatsStreamOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Subject prefix (`UME_NATS_SUBJECT`, default `cascadence`); the stream holds `<prefix>.>`. */
  subject?: string;
  /** JetStream stream name (default: the prefix upper-cased, e.g. `CASCADENCE`). */
  stream?: string;
  /** How long JetStream remembers event ids to drop duplicates (default 10 minutes). */
  duplicateWindowMs?: number;
}

/** Settings of the NATS transport. */
export interface NatsTransportOptions extends NatsStreamOptions {
  /** Folder of the durable outbox. */
  outboxDir: string;
  /** Largest size of unsent events. */
  maxBytes?: number;
  /** Where problems go (default: stderr). */
  warn?: (line: string) => void;
  observer?: OutboxObserver;
}

/** The stream name of a subject prefix. */
export function streamOf(options: NatsStreamOptions): string {
  return options.stream ?? (options.subject ?? 'cascadence').replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase();
}

/** Connects (retrying forever once connected) and creates the stream when it does not exist. */
async function open(options: NatsStreamOptions): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const [{ connect }, { jetstreamManager }] = await Promise.all([
    import('@nats-io/transport-node'),
    import('@nats-io/jetstream'),
  ]);
  const nc = await connect({
    servers: options.servers,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 2000,
  });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = streamOf(options);
    try {
      await jsm.streams.info(stream);
    } catch {
      await jsm.streams.add({
        name: stream,
        subjects: [`${options.subject ?? 'cascadence'}.>`],
        duplicate_window: (options.duplicateWindowMs ?? 10 * 60_000) * 1_000_000,
      });
    }
    return { nc, jsm };
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw err;
  }
}

/** Sends batches to JetStream, connecting (and creating or checking the stream) on first use. */
export class NatsSender implements Sender {
  readonly name = 'NATS';
  readonly subject: string;
  readonly stream: string;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;

  constructor(private readonly options: NatsStreamOptions) {
    this.subject = options.subject ?? 'cascadence';
    this.stream = streamOf(options);
  }

  private async client(): Promise<JetStreamClient> {
    if (this.js && this.nc && !this.nc.isClosed()) return this.js;
    const [{ nc }, { jetstream }] = await Promise.all([open(this.options), import('@nats-io/jetstream')]);
    this.nc = nc;
    this.js = jetstream(nc);
    return this.js;
  }

  async send(batch: AnyUmeEvent[]): Promise<{ acked: number; error?: unknown }> {
    const js = await this.client();
    const acks = await Promise.allSettled(
      batch.map((e) => js.publish(subjectOf(this.subject, e), JSON.stringify(e), { msgID: e.event_id })),
    );
    const failed = acks.findIndex((a) => a.status === 'rejected');
    if (failed < 0) return { acked: batch.length };
    return { acked: failed, error: (acks[failed] as PromiseRejectedResult).reason };
  }

  async close(): Promise<void> {
    await this.nc?.close().catch(() => undefined);
  }
}

/** Publishes versioned events to JetStream through a durable outbox. */
export class NatsTransport extends OutboxTransport {
  readonly subject: string;
  readonly stream: string;

  constructor(options: NatsTransportOptions) {
    const sender = new NatsSender(options);
    super(sender, {
      outboxDir: options.outboxDir,
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.warn ? { warn: options.warn } : {}),
      ...(options.observer ? { observer: options.observer } : {}),
    });
    this.subject = sender.subject;
    this.stream = sender.stream;
  }
}

/** A NATS subject filter (`*` one token, `>` the rest) as a regular expression. */
export function subjectPattern(filter: string): RegExp {
  const tokens = filter
    .split('.')
    .map((t) => (t === '*' ? '[^.]+' : t === '>' ? '.+' : t.replace(/[$()*+?[\\\]^{|}]/g, '\\$&')));
  return new RegExp(`^${tokens.join('\\.')}$`);
}

/** Which events a subscription reads and from where. */
export interface NatsSubscribeOptions extends NatsStreamOptions {
  /** Subject filters under the prefix, e.g. `['run.>']` (default: every event). */
  filter?: string[];
  /**
   * A durable consumer's name: the server remembers what was acknowledged, so a reader that
   * restarts resumes after it (at-least-once; handlers are keyed by event id). Without one the
   * subscription is ordered and ephemeral.
   */
  durable?: string;
  /** Where a new consumer starts: every stored event (`all`, default) or only later ones (`new`). */
  from?: 'all' | 'new';
}

/** A running subscription. */
export interface Subscription {
  stop(): Promise<void>;
  /** Settles when the subscription ends (stopped, or the handler threw). */
  done: Promise<void>;
}

/**
 * Calls `handler` for each event of the stream, in order; an event is acknowledged once the
 * handler resolved. A message that is not an event is passed as `undefined` with its raw text.
 */
export async function subscribeNats(
  options: NatsSubscribeOptions,
  handler: (
    event: AnyUmeEvent | undefined,
    raw: { subject: string; seq: number; text: string },
  ) => Promise<void> | void,
): Promise<Subscription> {
  const [{ nc, jsm }, { jetstream, AckPolicy, DeliverPolicy }] = await Promise.all([
    open(options),
    import('@nats-io/jetstream'),
  ]);
  const prefix = options.subject ?? 'cascadence';
  const stream = streamOf(options);
  const filters = (options.filter ?? ['>']).map((f) => `${prefix}.${f}`);
  // Servers before 2.10 (Debian's 2.9) take one filter subject: several are read as `<prefix>.>`, matched here.
  const serverFilter = filters.length === 1 ? (filters[0] as string) : `${prefix}.>`;
  const wanted = filters.length === 1 ? undefined : filters.map(subjectPattern);
  const deliver = options.from === 'new' ? DeliverPolicy.New : DeliverPolicy.All;
  const js = jetstream(nc);
  let messages;
  try {
    let consumer;
    if (options.durable) {
      try {
        await jsm.consumers.info(stream, options.durable);
      } catch {
        await jsm.consumers.add(stream, {
          durable_name: options.durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: deliver,
          filter_subject: serverFilter,
        });
      }
      consumer = await js.consumers.get(stream, options.durable);
    } else {
      consumer = await js.consumers.get(stream, { filter_subjects: serverFilter, deliver_policy: deliver });
    }
    messages = await consumer.consume();
  } catch (err) {
    // A reader that cannot start must not keep the process alive on an open connection.
    await nc.close().catch(() => undefined);
    throw err;
  }
  const done = (async () => {
    for await (const m of messages) {
      if (wanted && !wanted.some((re) => re.test(m.subject))) {
        if (options.durable) m.ack();
        continue;
      }
      const text = m.string();
      let event: AnyUmeEvent | undefined;
      try {
        event = JSON.parse(text) as AnyUmeEvent;
      } catch {
        event = undefined;
      }
      await handler(event, { subject: m.subject, seq: m.seq, text });
      if (options.durable) m.ack();
    }
  })();
  return {
    done: done.finally(() => nc.close().catch(() => undefined)),
    async stop() {
      await messages.close();
      await done.catch(() => undefined);
      await nc.close().catch(() => undefined);
    },
  };
}
