/**
 * The `cron` backend's schedules: a schedules.yml (hashed ids only) written atomically under a
 * file lock, plus a sidecar `<file>.runs.json` with each schedule's last run. A file the original
 * Cascadence wrote, with plaintext ids, is read with the ids hashed and rewritten once with
 * hashes only, every other entry and key kept as written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import { hashId } from '../events/hash';
import type { ScheduleRequest } from './model';
import { lockedUpdate } from '../runtime/locked-file';
import { formatSchedulesFile, parseSchedulesFile, type ScheduleEntry } from './file';

/** The last run of a schedule. */
export interface LastRun {
  runId: string;
  startedAt: string;
  status: string;
}

const HASH = /^[0-9a-f]{64}$/;

/** The ids keys of an entry (and of its `calendar_event`) that may hold plaintext, and where their hashes go. */
const ID_KEYS = [
  ['user_id', 'user_hash'],
  ['group_id', 'group_hash'],
] as const;

/** The schedules file of the `cron` backend. */
export class ScheduleStore {
  private migrating: Promise<void> | undefined;

  /**
   * @param hashSecret key of the id hashes (plaintext ids of older files are hashed with it)
   * @param warn where the one-line notice of a rewritten file goes (default: stderr)
   */
  constructor(
    readonly path: string,
    private readonly hashSecret = '',
    private readonly warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  private toEntry(r: ScheduleRequest): ScheduleEntry {
    return {
      name: r.task,
      cron: r.cron,
      timezone: r.timezone ?? 'UTC',
      userHash: r.userHash ?? hashId(r.userId ?? '', this.hashSecret),
      groupHash: r.groupHash ?? hashId(r.groupId ?? '', this.hashSecret),
      overlap: r.overlap ?? 'skip',
      paused: r.paused ?? false,
      ...(r.note ? { note: r.note } : {}),
      ...(r.recurrence === undefined ? {} : { recurrence: r.recurrence }),
      ...(r.input === undefined ? {} : { input: r.input }),
    };
  }

  private get runsPath(): string {
    return `${this.path}.runs.json`;
  }

  /**
   * Every stored schedule, in file order. Entries for tasks that no longer exist are kept (the
   * scheduler skips them), so a removed task module never makes the file unreadable.
   * @throws CascadenceError VALIDATION if the file was edited into something invalid.
   */
  read(): ScheduleEntry[] {
    if (!existsSync(this.path)) return [];
    const text = readFileSync(this.path, 'utf8');
    const requests = parseSchedulesFile(text, this.path, { knownTasks: 'any', defaultTimezone: 'UTC' });
    if (requests.some((r) => r.userId !== undefined || r.groupId !== undefined)) void this.migrate();
    return requests.map((r) => this.toEntry(r));
  }

  /**
   * Rewrites a file holding plaintext ids with their hashes, in place (comments, other entries and
   * keys kept), atomically under the lock; says so once. Resolves when done (at most one at a time).
   */
  migrate(): Promise<void> {
    this.migrating ??= lockedUpdate(this.path, formatSchedulesFile([]), () => {
      const doc = parseDocument(readFileSync(this.path, 'utf8'));
      let hashed = 0;
      const text = (n: unknown): string | undefined =>
        isScalar(n) && n.value !== null && n.value !== undefined ? String(n.source ?? n.value) : undefined;
      // Plaintext ids of `from` (the entry, or its calendar_event) become the entry's hashes.
      const hashIds = (entry: YAMLMap, from: YAMLMap): void => {
        for (const [plainKey, hashKey] of ID_KEYS) {
          const stored = text(from.get(hashKey, true));
          const raw =
            text(from.get(plainKey, true)) ?? (stored !== undefined && !HASH.test(stored) ? stored : undefined);
          if (raw === undefined) continue;
          from.delete(plainKey);
          if (from !== entry) from.delete(hashKey);
          if (from === entry || !entry.has(hashKey)) entry.set(hashKey, hashId(raw, this.hashSecret));
          hashed++;
        }
      };
      if (isMap(doc.contents)) {
        for (const pair of doc.contents.items) {
          if (!isMap(pair.value)) continue;
          const calendar = pair.value.get('calendar_event', true);
          hashIds(pair.value, pair.value);
          if (isMap(calendar)) hashIds(pair.value, calendar);
        }
      }
      return { text: doc.toString(), value: hashed };
    })
      .then((hashed) => {
        if (hashed > 0) {
          this.warn(`${this.path}: ${hashed} plaintext id(s) replaced by their hashes; the file now holds hashes only`);
        }
      })
      .finally(() => (this.migrating = undefined));
    return this.migrating;
  }

  get(task: string): ScheduleEntry | undefined {
    return this.read().find((e) => e.name === task);
  }

  /** Adds or replaces the schedule of `entry.name`. */
  async put(entry: ScheduleEntry): Promise<void> {
    await this.change((entries) => {
      const i = entries.findIndex((e) => e.name === entry.name);
      if (i >= 0) entries[i] = entry;
      else entries.push(entry);
      return true;
    });
  }

  /** Removes the schedule of `task`; false if there was none. */
  remove(task: string): Promise<boolean> {
    return this.change((entries) => {
      const i = entries.findIndex((e) => e.name === task);
      if (i < 0) return false;
      entries.splice(i, 1);
      return true;
    });
  }

  private change(fn: (entries: ScheduleEntry[]) => boolean): Promise<boolean> {
    return lockedUpdate(this.path, formatSchedulesFile([]), () => {
      const entries = this.read();
      const changed = fn(entries);
      return { text: formatSchedulesFile(entries), value: changed };
    });
  }

  /** Last runs by task. */
  lastRuns(): Record<string, LastRun> {
    if (!existsSync(this.runsPath)) return {};
    try {
      return JSON.parse(readFileSync(this.runsPath, 'utf8')) as Record<string, LastRun>;
    } catch {
      return {}; // only informative; a damaged file is rewritten by the next run
    }
  }

  /** Records the last run of `task`. */
  async recordRun(task: string, run: LastRun): Promise<void> {
    await lockedUpdate(this.runsPath, '{}\n', () => {
      const runs = this.lastRuns();
      runs[task] = run;
      return { text: `${JSON.stringify(runs, null, 2)}\n`, value: undefined };
    });
  }
}
