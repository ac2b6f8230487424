/**
 * The event port: where audit records (and, later, other events) are published. Transports
 * here: in memory (tests, embedding) and log (JSON lines to a stream). NATS comes with the
 * Events feature and plugs into the same interface.
 */
import type { Writable } from 'node:stream';
import type { AuditRecord, RecordSource } from '../core/pipeline';
import { toUmeEvents } from './ume';

/** An event Cascadence publishes: an audit record and where it comes from (its run and place in the trail). */
export type CascadenceEvent = { type: 'audit'; record: AuditRecord; source?: RecordSource };

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
    const lines = event.source ? toUmeEvents(event.record, event.source) : [event];
    this.out.write(lines.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}
