/**
 * The NATS JetStream transport (nats.js: `@nats-io/transport-node` and `@nats-io/jetstream`, the
 * maintained successors of the `nats` package). Events go through the durable outbox: appended as
 * runs record them, published with acknowledgements and `msgID = event_id` (JetStream drops a
 * second publish of one event within the stream's duplicate window), and removed only once
 * acknowledged. A broker outage only delays them; a stage never waits on it. Node-only.
 */
import type { connect } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { rootMessage } from '../core/errors';
import type { CascadenceEvent, EventBus } from './bus';
import { Outbox } from './outbox';
import { subjectOf, toUmeEvents } from './ume';

/** Settings of the NATS transport. */
export interface NatsTransportOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Subject prefix (`UME_NATS_SUBJECT`, default `cascadence`); the stream holds `<prefix>.>`. */
  subject?: string;
  /** JetStream stream name (default: the prefix upper-cased, e.g. `CASCADENCE`). */
  stream?: string;
  /** Folder of the durable outbox. */
  outboxDir: string;
  /** How long JetStream remembers event ids to drop duplicates (default 10 minutes). */
  duplicateWindowMs?: number;
  /** Where problems go (default: stderr). */
  warn?: (line: string) => void;
}

type NatsConnection = Awaited<ReturnType<typeof connect>>;

const BATCH = 256;
const RETRY_MS = 500;

/** Publishes versioned events to JetStream through a durable outbox. */
export class NatsTransport implements EventBus {
  readonly outbox: Outbox;
  readonly subject: string;
  readonly stream: string;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly warn: (line: string) => void;
  /** Events JetStream acknowledged since start. */
  published = 0;

  constructor(private readonly options: NatsTransportOptions) {
    this.subject = options.subject ?? 'cascadence';
    this.stream = options.stream ?? this.subject.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase();
    this.warn = options.warn ?? ((line) => process.stderr.write(`${line}\n`));
    this.outbox = new Outbox({ dir: options.outboxDir, warn: this.warn });
  }

  /** Starts sending (what an earlier process left first); connects in the background, retrying while the broker is away. */
  start(): this {
    this.kick();
    return this;
  }

  publish(event: CascadenceEvent): void {
    if (!event.source) return; // only records of runs become versioned events
    this.outbox.append(toUmeEvents(event.record, event.source));
    this.kick();
  }

  private kick(): void {
    if (this.closed || this.sending) return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
      if (this.outbox.depth > 0 && !this.closed) setTimeout(() => this.kick(), RETRY_MS).unref();
    });
  }

  /** Sends what the outbox holds, oldest first, acknowledging as JetStream does. */
  private async drain(): Promise<void> {
    try {
      const js = await this.client();
      while (!this.closed && this.outbox.depth > 0) {
        const batch = this.outbox.peek(BATCH);
        const acks = await Promise.allSettled(
          batch.map((e) => js.publish(subjectOf(this.subject, e), JSON.stringify(e), { msgID: e.event_id })),
        );
        const ok = acks.findIndex((a) => a.status === 'rejected');
        const done = ok < 0 ? batch.length : ok;
        if (done > 0) {
          this.outbox.ack(done);
          this.published += done;
        }
        if (ok >= 0) throw (acks[ok] as PromiseRejectedResult).reason;
      }
    } catch (err) {
      if (!this.closed) this.warn(`events: NATS publish failed, retrying: ${rootMessage(err).split('\n')[0]}`);
    }
  }

  /** The JetStream client, connecting (and creating or checking the stream) on first use. */
  private async client(): Promise<JetStreamClient> {
    if (this.js && this.nc && !this.nc.isClosed()) return this.js;
    const [{ connect }, { jetstream, jetstreamManager }] = await Promise.all([
      import('@nats-io/transport-node'),
      import('@nats-io/jetstream'),
    ]);
    const nc = await connect({
      servers: this.options.servers,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 2000,
    });
    const jsm = await jetstreamManager(nc);
    const config = {
      name: this.stream,
      subjects: [`${this.subject}.>`],
      duplicate_window: (this.options.duplicateWindowMs ?? 10 * 60_000) * 1_000_000,
    };
    try {
      await jsm.streams.info(this.stream);
    } catch {
      await jsm.streams.add(config);
    }
    this.nc = nc;
    this.js = jetstream(nc);
    return this.js;
  }

  /** Tries to send what is left (for at most `graceMs`), then disconnects; the rest stays on disk for the next start. */
  async close(graceMs = 2000): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.outbox.depth > 0 && Date.now() < deadline && this.nc && !this.nc.isClosed()) {
      this.kick();
      await new Promise((r) => setTimeout(r, 50));
    }
    this.closed = true;
    await this.sending?.catch(() => undefined);
    await this.nc?.close().catch(() => undefined);
  }
}
