/**
 * Task-level flags (disabled, paused), kept in a small JSON file written atomically under a
 * file lock, so concurrent CLI processes never lose an update. Clients check the flags
 * before they start a run; `task list` shows them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CascadenceError } from '../core/errors';
import { lockedUpdate } from './locked-file';

/** Flags of one task. */
export interface TaskFlags {
  disabled: boolean;
  paused: boolean;
}

const NONE: TaskFlags = { disabled: false, paused: false };
const CACHE_MS = 250;

/** The task-state file. */
export class TaskStateStore {
  constructor(readonly path: string) {}

  private cache: { at: number; flags: Record<string, TaskFlags> } | undefined;

  /**
   * Every task's flags (tasks never flagged are absent). Read at most every 250 ms: a check
   * before each of thousands of in-process runs must not cost a file read each; a flag set by
   * another process takes effect within that time.
   */
  all(): Record<string, TaskFlags> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache.flags;
    const flags = this.readFlags();
    this.cache = { at: now, flags };
    return flags;
  }

  private readFlags(): Record<string, TaskFlags> {
    if (!existsSync(this.path)) return {};
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not an object');
      return data as Record<string, TaskFlags>;
    } catch (err) {
      throw new CascadenceError('CONFIG', `task state file ${this.path} is corrupt: ${(err as Error).message}`, {
        hint: 'fix or delete the file (it only holds disabled/paused flags)',
      });
    }
  }

  get(task: string): TaskFlags {
    return { ...NONE, ...this.all()[task] };
  }

  /** Changes some flags of `task`; returns the new flags. */
  async update(task: string, patch: Partial<TaskFlags>): Promise<TaskFlags> {
    return lockedUpdate(this.path, '{}\n', () => {
      const all = { ...this.readFlags() };
      const next = { ...NONE, ...all[task], ...patch };
      if (!next.disabled && !next.paused) delete all[task];
      else all[task] = next;
      this.cache = { at: Date.now(), flags: all };
      return { text: `${JSON.stringify(all, null, 2)}\n`, value: next };
    });
  }

  /**
   * Refuses a run of a disabled or paused task.
   * @throws CascadenceError TASK_DISABLED or TASK_PAUSED.
   */
  assertRunnable(task: string): void {
    const flags = this.get(task);
    if (flags.disabled) {
      throw new CascadenceError('TASK_DISABLED', `task ${task} is disabled`, { hint: `run \`task enable ${task}\`` });
    }
    if (flags.paused) {
      throw new CascadenceError('TASK_PAUSED', `task ${task} is paused`, { hint: `run \`task resume ${task}\`` });
    }
  }
}
