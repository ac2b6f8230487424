/**
 * The on-disk audit store of the non-Temporal modes: JSON Lines, append-only, so the cost of a
 * record does not grow with the size of the file (the original rewrote one YAML file per event).
 * On Temporal the durable record is the workflow itself (its history and its audit query).
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  type WriteStream,
} from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditRecord } from '../core/pipeline';
import type { CascadenceEvent, EventBus } from './bus';

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

/** Audit records as JSON Lines in one append-only file. */
export class JsonlAuditStore implements AuditStore {
  private stream: WriteStream | undefined;
  private pending = 0;
  private idle: Array<() => void> = [];

  constructor(readonly path: string) {}

  append(record: AuditRecord): void {
    let prefix = '';
    if (!this.stream) {
      mkdirSync(dirname(this.path), { recursive: true });
      // A crash mid-write can leave a torn last line; start on a fresh line so no record is glued to it.
      prefix = endsWithoutNewline(this.path) ? '\n' : '';
      this.stream = createWriteStream(this.path, { flags: 'a' });
    }
    this.pending++;
    this.stream.write(`${prefix}${JSON.stringify(record)}\n`, () => {
      if (--this.pending === 0) for (const done of this.idle.splice(0)) done();
    });
  }

  async read(task: string, runId?: string): Promise<AuditRecord[]> {
    await this.flush();
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
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(() => resolve()));
  }
}

/** An event bus that appends audit events to a store. */
export class AuditStoreTransport implements EventBus {
  constructor(private readonly store: AuditStore) {}

  publish(event: CascadenceEvent): void {
    if (event.type === 'audit') this.store.append(event.record);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
