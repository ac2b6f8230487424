/**
 * The event port: where audit records and other events are published. Transports here: in
 * memory (tests, embedding) and log (JSON lines to a stream); NATS and gRPC (nats.ts, grpc.ts)
 * go through the durable outbox (outbox-transport.ts).
 */
import type { Writable } from 'node:stream';
import type { AuditRecord, RecordSource, RunOutcome } from '../core/pipeline';
import { runEvent, toUmeEvents, type AnyUmeEvent } from './ume';

/**
 * An event Cascadence publishes: an audit record and where it comes from (its run and place in
 * the trail), or a versioned event no run records (a pointer update, an idea seed).
 */
export type CascadenceEvent =
  | { type: 'audit'; record: AuditRecord; source?: RecordSource }
  | { type: 'run'; outcome: RunOutcome; source: RecordSource }
  | { type: 'ume'; event: AnyUmeEvent };

/** A record's event. */
export type AuditBusEvent = Extract<CascadenceEvent, { type: 'audit' }>;

/** The record events among `events`. */
export function auditEventsOf(events: readonly CascadenceEvent[]): AuditBusEvent[] {
  return events.filter((e): e is AuditBusEvent => e.type === 'audit');
}

/** The versioned events `event` stands for (none for a record without its source). */
export function umeEventsOf(event: CascadenceEvent): AnyUmeEvent[] {
  if (event.type === 'ume') return [event.event];
  if (event.type === 'run') return [runEvent(event.outcome, event.source)];
  return event.source ? toUmeEvents(event.record, event.source) : [];
}

/** Somewhere events go. `publish` must not throw or block the caller for long. */
export interface EventBus {
  publish(event: CascadenceEvent): void;
  close?(): Promise<void>;
}

/** Keeps events in memory and calls subscribers synchronously. */
export class MemoryTransport implements EventBus {
  readonly events: CascadenceEvent[] = [];
  private readonly subscribers = new Set<(event: CascadenceEvent) => void>();

  publish(event: CascadenceEvent): void {
    this.events.push(event);
    for (const fn of this.subscribers) fn(event);
  }

  /** Calls `fn` for each later event; returns an unsubscribe function. */
  subscribe(fn: (event: CascadenceEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

/**
 * Writes each event as one JSON line (default: stderr, so stdout stays for command output): the
 * versioned UME events of a record with its source, the bare record otherwise.
 */
export class LogTransport implements EventBus {
  constructor(private readonly out: Writable = process.stderr) {}

  publish(event: CascadenceEvent): void {
    const ume = umeEventsOf(event);
    const lines = ume.length > 0 ? ume : [event];
    this.out.write(lines.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}
