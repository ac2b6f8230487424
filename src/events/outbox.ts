/**
 * The worker's durable outbox: events are appended to a file on the worker's disk as runs
 * record them and leave it only once the broker acknowledged them, so a broker outage or a worker
 * crash loses nothing (what is still there is sent on restart). Appending is a local write: a
 * stage never waits on the network. The file is bounded: past `maxBytes`, new events are dropped
 * and counted. Node-only.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyUmeEvent as UmeEvent } from './ume';

/** Options of an outbox. */
export interface OutboxOptions {
  /** Folder of the outbox files (`events.jsonl`, `acked`). */
  dir: string;
  /** Largest size of unsent events (default 64 MiB). */
  maxBytes?: number;
  /** Told once per burst of drops. */
  warn?: (line: string) => void;
  /** Rewrite the file once everything is sent and it holds this many lines (default 10,000). */
  compactLines?: number;
}

/** A durable, bounded queue of events on disk. */
export class Outbox {
  private readonly file: string;
  private readonly ackFile: string;
  private readonly maxBytes: number;
  private readonly warn: (line: string) => void;
  /** Events appended and not yet acknowledged, oldest first (the file's tail, from `acked` on). */
  private readonly queue: UmeEvent[] = [];
  /** Bytes each queued event takes in the file (its line), in queue order. */
  private readonly sizes: number[] = [];
  private bytes = 0;
  /** Lines of the file already acknowledged. */
  private acked = 0;
  private total = 0;
  /** Events dropped because the outbox was full. */
  dropped = 0;
  /** Ids of recent events (a replayed workflow emits its records again: they are not queued twice). */
  private readonly seen = new Set<string>();
  private readonly maxSeen = 100_000;
  private warnedFull = false;
  private readonly compactLines: number;

  constructor(options: OutboxOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.file = join(options.dir, 'events.jsonl');
    this.ackFile = join(options.dir, 'acked');
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.warn = options.warn ?? ((line) => process.stderr.write(`${line}\n`));
    this.compactLines = options.compactLines ?? 10_000;
    this.load();
  }

  /** What a previous process left: every event after the acknowledged ones (a torn last line is skipped). */
  private load(): void {
    if (!existsSync(this.file)) return;
    const text = readFileSync(this.file, 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    let torn = text.length > 0 && !text.endsWith('\n');
    this.total = lines.length;
    this.acked = existsSync(this.ackFile) ? Math.min(Number(readFileSync(this.ackFile, 'utf8')) || 0, lines.length) : 0;
    for (const line of lines.slice(this.acked)) {
      try {
        const event = JSON.parse(line) as UmeEvent;
        this.queue.push(event);
        this.sizes.push(line.length + 1);
        this.remember(event.event_id);
        this.bytes += line.length + 1;
      } catch {
        // A line torn by a crash mid-write: never acknowledged, so nothing is lost but that partial write.
        torn = true;
      }
    }
    // Appending after a torn line would glue the next event to it: start the file afresh with what is unsent.
    if (torn) this.rewrite();
  }

  /** Rewrites the file with the unsent events only (atomically: a temporary file renamed over it). */
  private rewrite(): void {
    writeFileSync(`${this.file}.tmp`, this.queue.map((e) => `${JSON.stringify(e)}\n`).join(''));
    renameSync(`${this.file}.tmp`, this.file);
    writeFileSync(this.ackFile, '0');
    this.acked = 0;
    this.total = this.queue.length;
  }

  /** Events waiting to be sent. */
  get depth(): number {
    return this.queue.length;
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > this.maxSeen) this.seen.delete(this.seen.values().next().value as string);
  }

  /**
   * Appends events durably, skipping those this outbox already took (a replay emits them again);
   * drops them (counted, said once) when the outbox is full.
   */
  append(all: UmeEvent[]): void {
    const events = all.filter((e) => !this.seen.has(e.event_id));
    if (events.length === 0) return;
    const lines = events.map((e) => `${JSON.stringify(e)}\n`);
    const text = lines.join('');
    if (this.bytes + text.length > this.maxBytes) {
      this.dropped += events.length;
      if (!this.warnedFull) {
        this.warnedFull = true;
        this.warn(
          `event outbox ${this.file} is full (${this.maxBytes} bytes): dropping events until the broker takes some`,
        );
      }
      return;
    }
    appendFileSync(this.file, text);
    for (const e of events) this.remember(e.event_id);
    this.queue.push(...events);
    this.sizes.push(...lines.map((l) => l.length));
    this.bytes += text.length;
    this.total += events.length;
  }

  /** The oldest unsent events, at most `max`. */
  peek(max: number): UmeEvent[] {
    return this.queue.slice(0, max);
  }

  /**
   * Marks the `count` oldest events as acknowledged (one small write); once everything is sent and
   * the file has grown past `compactLines`, starts it afresh.
   */
  ack(count: number): void {
    this.queue.splice(0, count);
    for (const size of this.sizes.splice(0, count)) this.bytes -= size;
    this.acked += count;
    this.warnedFull = false;
    if (this.queue.length === 0 && this.total >= this.compactLines) {
      // Everything sent: start the file afresh (the acknowledged count first, so a crash in between re-sends nothing new).
      writeFileSync(`${this.file}.tmp`, '');
      renameSync(`${this.file}.tmp`, this.file);
      writeFileSync(this.ackFile, '0');
      this.acked = 0;
      this.total = 0;
      this.bytes = 0;
    } else {
      writeFileSync(this.ackFile, String(this.acked));
    }
  }

  /** Size of the outbox file (for tests and metrics). */
  fileBytes(): number {
    return existsSync(this.file) ? statSync(this.file).size : 0;
  }
}
