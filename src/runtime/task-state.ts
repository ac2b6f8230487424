/**
 * Task-level flags (disabled, paused) of the single-machine modes (`base`, `cron`), kept in a
 * small JSON file written atomically under a file lock, so concurrent CLI processes never lose
 * an update. On Temporal the flags live in the catalogue workflow instead
 * (`backends/temporal/catalogue.ts`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { CascadenceError } from '../core/errors';
import {
  applyFlagsPatch,
  assertFlagsAllowRun,
  NO_FLAGS,
  type TaskFlags,
  type TaskFlagsChange,
  type TaskFlagsPatch,
  type TaskFlagStore,
} from '../core/task-flags';
import { lockedUpdate } from './locked-file';

export type { TaskFlags };
const CACHE_MS = 250;

/** The task-state file. */
export class TaskStateStore implements TaskFlagStore {
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
    return { ...NO_FLAGS, ...this.all()[task] };
  }

  async allFlags(): Promise<Record<string, TaskFlags>> {
    return this.all();
  }

  async flagsOf(task: string): Promise<TaskFlags> {
    return this.get(task);
  }

  /** Changes some flags of one task under the file lock. */
  async setFlags(patch: TaskFlagsPatch): Promise<TaskFlagsChange> {
    return lockedUpdate(this.path, '{}\n', () => {
      const all = { ...this.readFlags() };
      const change = applyFlagsPatch(all, patch);
      this.cache = { at: Date.now(), flags: all };
      return { text: `${JSON.stringify(all, null, 2)}\n`, value: change };
    });
  }

  /**
   * Refuses a run of a disabled or paused task.
   * @throws CascadenceError TASK_DISABLED or TASK_PAUSED.
   */
  assertRunnable(task: string): void {
    assertFlagsAllowRun(task, this.get(task));
  }
}
