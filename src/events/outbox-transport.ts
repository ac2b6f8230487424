/**
 * A transport that goes through the worker's durable outbox: events are appended to the outbox
 * as runs record them (a local write: the stage never waits on the network) and a background
 * loop hands them to a `Sender` (NATS JetStream, gRPC), oldest first, removing each only once
 * the sender acknowledged it. A broker outage only delays them; what a crashed process left is
 * sent by the next. Node-only.
 */
import { rootMessage } from '../core/errors';
import { umeEventsOf, type CascadenceEvent, type EventBus } from './bus';
import { Outbox } from './outbox';
import type { AnyUmeEvent } from './ume';

/** What an outbox transport sends through. */
export interface Sender {
  /** Name for messages (`NATS`, `gRPC`). */
  readonly name: string;
  /**
   * Sends `batch` in order; answers how many of its oldest events the far side acknowledged and,
   * when that is not all of them, why the next one failed.
   */
  send(batch: AnyUmeEvent[]): Promise<{ acked: number; error?: unknown }>;
  close(): Promise<void>;
}

/** What an outbox transport reports (the metrics feed on it). */
export interface OutboxObserver {
  /** `count` events acknowledged after `seconds` in flight. */
  sent(count: number, seconds: number): void;
  /** A send failed (it is retried). */
  failed(): void;
}

/** Settings of an outbox transport. */
export interface OutboxTransportOptions {
  /** Folder of the durable outbox. */
  outboxDir: string;
  /** Largest size of unsent events (default: the outbox's, 64 MiB). */
  maxBytes?: number;
  /** Where problems go (default: stderr). */
  warn?: (line: string) => void;
  observer?: OutboxObserver;
}

const BATCH = 256;
const RETRY_MS = 500;
/**
 * How long a send waits for more events to join its batch: the records of a run's workflow task
 * (and of the runs beside it) go as one batch, with one acknowledgement write, instead of one each.
 */
const GATHER_MS = 5;

/** Publishes versioned events through a durable outbox and a sender. */
export class OutboxTransport implements EventBus {
  readonly outbox: Outbox;
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly warn: (line: string) => void;
  /** Events the sender acknowledged since start. */
  published = 0;
  /** Whether the last send failed: an outage is said once when it starts and once when it ends. */
  private failing = false;

  constructor(
    readonly sender: Sender,
    private readonly options: OutboxTransportOptions,
  ) {
    this.warn = options.warn ?? ((line) => process.stderr.write(`${line}\n`));
    this.outbox = new Outbox({
      dir: options.outboxDir,
      warn: this.warn,
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    });
  }

  /** Starts sending (what an earlier process left first); the sender connects in the background. */
  start(): this {
    this.kick();
    return this;
  }

  publish(event: CascadenceEvent): void {
    const events = umeEventsOf(event);
    if (events.length === 0) return; // only records of runs become versioned events
    this.outbox.append(events);
    this.kick();
  }

  private kick(): void {
    if (this.closed || this.sending) return;
    this.sending = new Promise((r) => setTimeout(r, GATHER_MS).unref())
      .then(() => this.drain())
      .finally(() => {
        this.sending = undefined;
        if (this.outbox.depth > 0 && !this.closed) setTimeout(() => this.kick(), RETRY_MS).unref();
      });
  }

  /** Sends what the outbox holds, oldest first, acknowledging as the sender does. */
  private async drain(): Promise<void> {
    try {
      while (!this.closed && this.outbox.depth > 0) {
        // While the far side is away, probe with one event rather than pile a batch into the client's buffer.
        const batch = this.outbox.peek(this.failing ? 1 : BATCH);
        const began = process.hrtime.bigint();
        const { acked, error } = await this.sender.send(batch);
        if (acked > 0) {
          if (this.failing) {
            this.failing = false;
            this.warn(`events: ${this.sender.name} publishing again (${this.outbox.depth} events queued)`);
          }
          this.outbox.ack(acked);
          this.published += acked;
          this.options.observer?.sent(acked, Number(process.hrtime.bigint() - began) / 1e9);
        }
        if (acked < batch.length) throw error ?? new Error(`${this.sender.name} took ${acked} of ${batch.length}`);
      }
    } catch (err) {
      this.options.observer?.failed();
      if (!this.closed && !this.failing) {
        this.warn(
          `events: ${this.sender.name} publish failed, keeping events in the outbox and retrying: ${rootMessage(err).split('\n')[0]}`,
        );
      }
      this.failing = true;
    }
  }

  /** Tries to send what is left (for at most `graceMs`), then disconnects; the rest stays on disk for the next start. */
  async close(graceMs = 2000): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.outbox.depth > 0 && Date.now() < deadline) {
      this.kick();
      await new Promise((r) => setTimeout(r, 50));
    }
    this.closed = true;
    await this.sending?.catch(() => undefined);
    await this.sender.close().catch(() => undefined);
  }
}
