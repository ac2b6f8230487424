/**
 * The `cron` backend's schedules: a schedules.yml (hashed ids only) written atomically under a
 * file lock, plus a sidecar `<file>.runs.json` with each schedule's last run.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ScheduleRequest } from './model';
import { lockedUpdate } from '../runtime/locked-file';
import { formatSchedulesFile, parseSchedulesFile, type ScheduleEntry } from './file';

/** The last run of a schedule. */
export interface LastRun {
  runId: string;
  startedAt: string;
  status: string;
}

function toEntry(r: ScheduleRequest): ScheduleEntry {
  return {
    name: r.task,
    cron: r.cron,
    timezone: r.timezone ?? 'UTC',
    userHash: r.userHash ?? '',
    groupHash: r.groupHash ?? '',
    overlap: r.overlap ?? 'skip',
    paused: r.paused ?? false,
    ...(r.note ? { note: r.note } : {}),
    ...(r.input === undefined ? {} : { input: r.input }),
  };
}

/** The schedules file of the `cron` backend. */
export class ScheduleStore {
  constructor(readonly path: string) {}

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
    return parseSchedulesFile(text, this.path, { knownTasks: 'any', defaultTimezone: 'UTC' }).map(toEntry);
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
