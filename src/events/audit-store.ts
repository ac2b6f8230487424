/**
 * The on-disk audit store of the non-Temporal modes: JSON Lines, append-only, so the cost of a
 * record does not grow with the size of the file (the original rewrote one YAML file per event).
 * On Temporal the durable record is the workflow itself (its history and its audit query).
 */
import { closeSync, createReadStream, existsSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditRecord } from '../core/pipeline';

/** Reads and appends audit records. */
export interface AuditStore {
  append(record: AuditRecord): void;
  /** Records of `task` (and of one run, if given), oldest first. */
  read(task: string, runId?: string): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/** Audit records in memory. */
export class MemoryAuditStore implements AuditStore {
  readonly records: AuditRecord[] = [];

  append(record: AuditRecord): void {
    this.records.push(record);
  }

  async read(task: string, runId?: string): Promise<AuditRecord[]> {
    return this.records.filter((r) => r.task === task && (runId === undefined || r.run_id === runId));
  }

  async close(): Promise<void> {}
}

/** True when the file exists, is not empty and its last byte is not a newline. */
function endsWithoutNewline(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const { size } = fstatSync(fd);
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * How much text is buffered before it is written synchronously: the store's backpressure. The
 * caller of `append` waits for the write, so however it loops (even a tight loop that never
 * gives the event loop a turn) the store holds at most this much plus one record unwritten.
 */
export const AUDIT_FLUSH_BYTES = 64 * 1024;

/**
 * Audit records as JSON Lines in one append-only file. Lines are buffered and written in
 * batches: at the end of the current tick, or at once (synchronously) when 64 KiB are waiting,
 * so memory stays bounded and the cost per record stays flat however fast records come.
 */
export class JsonlAuditStore implements AuditStore {
  private fd: number | undefined;
  private buffer: string[] = [];
  private buffered = 0;
  private scheduled = false;

  constructor(readonly path: string) {}

  /** Bytes of records appended but not written yet (at most `AUDIT_FLUSH_BYTES` plus one record). */
  get pendingBytes(): number {
    return this.buffered;
  }

  append(record: AuditRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.buffer.push(line);
    this.buffered += line.length;
    if (this.buffered >= AUDIT_FLUSH_BYTES) this.flushSync();
    else if (!this.scheduled) {
      // One pending flush at a time, whatever flushes in between: a loop that never yields
      // would otherwise queue one more setImmediate after every synchronous flush.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flushSync();
      });
    }
  }

  private open(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      // A crash mid-write can leave a torn last line; start on a fresh line so no record is glued to it.
      const torn = endsWithoutNewline(this.path);
      this.fd = openSync(this.path, 'a');
      if (torn) writeSync(this.fd, '\n');
    }
    return this.fd;
  }

  /** Writes everything appended so far. */
  flushSync(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    this.buffered = 0;
    writeSync(this.open(), text);
  }

  async read(task: string, runId?: string): Promise<AuditRecord[]> {
    this.flushSync();
    if (!existsSync(this.path)) return [];
    const out: AuditRecord[] = [];
    const lines = createInterface({ input: createReadStream(this.path, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      let rec: AuditRecord;
      try {
        rec = JSON.parse(line) as AuditRecord;
      } catch {
        continue; // a torn last line after a crash; every complete line is still readable
      }
      if (rec.task === task && (runId === undefined || rec.run_id === runId)) out.push(rec);
    }
    return out;
  }

  /** Waits until everything appended so far is written. */
  async flush(): Promise<void> {
    this.flushSync();
  }

  async close(): Promise<void> {
    this.flushSync();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
