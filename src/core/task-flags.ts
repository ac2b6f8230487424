/**
 * Task flags (disabled, paused): what every client and every run must agree on before a run of
 * a task starts. The model and its rules live here; the stores are a local file (`base`,
 * `cron`) and, on Temporal, the catalogue workflow. Workflow-safe.
 */
import { CascadenceError } from './errors';

/** Flags of one task. */
export interface TaskFlags {
  disabled: boolean;
  paused: boolean;
}

/** A task that was never flagged. */
export const NO_FLAGS: Readonly<TaskFlags> = Object.freeze({ disabled: false, paused: false });

/** A change of one task's flags; unset fields stay as they are. */
export interface TaskFlagsPatch {
  task: string;
  disabled?: boolean;
  paused?: boolean;
}

/** What a change answers: the task's flags after it, and whether anything changed. */
export interface TaskFlagsChange {
  flags: TaskFlags;
  changed: boolean;
}

/** Every flagged task's flags (tasks never flagged, or flagged back, are absent), with a version that grows on each change. */
export interface CatalogueSnapshot {
  version: number;
  flags: Record<string, TaskFlags>;
}

/** A store of task flags: the same operations whether they live in a local file or in Temporal. */
export interface TaskFlagStore {
  /** Every flagged task's flags. */
  allFlags(): Promise<Record<string, TaskFlags>>;
  /** One task's flags. */
  flagsOf(task: string): Promise<TaskFlags>;
  /** Changes some of one task's flags. */
  setFlags(patch: TaskFlagsPatch): Promise<TaskFlagsChange>;
}

/**
 * Applies `patch` to `all` in place (a task back to no flags is removed) and says what changed.
 * @throws CascadenceError VALIDATION for a malformed patch.
 */
export function applyFlagsPatch(all: Record<string, TaskFlags>, patch: TaskFlagsPatch): TaskFlagsChange {
  validateFlagsPatch(patch);
  const before = all[patch.task] ?? NO_FLAGS;
  const after: TaskFlags = {
    disabled: patch.disabled ?? before.disabled,
    paused: patch.paused ?? before.paused,
  };
  const changed = after.disabled !== before.disabled || after.paused !== before.paused;
  if (!after.disabled && !after.paused) delete all[patch.task];
  else all[patch.task] = after;
  return { flags: after, changed };
}

/** @throws CascadenceError VALIDATION unless `patch` names a task and sets only booleans. */
export function validateFlagsPatch(patch: unknown): asserts patch is TaskFlagsPatch {
  const p = patch as Partial<Record<string, unknown>> | null;
  const ok =
    typeof p === 'object' &&
    p !== null &&
    typeof p.task === 'string' &&
    p.task.length > 0 &&
    (p.disabled === undefined || typeof p.disabled === 'boolean') &&
    (p.paused === undefined || typeof p.paused === 'boolean');
  if (!ok) throw new CascadenceError('VALIDATION', 'a task flags change is {task, disabled?, paused?} with booleans');
}

/** Why a run of `task` may not start now (`task disabled`, `task paused`), or undefined when it may. */
export function refusalReason(flags: TaskFlags): string | undefined {
  if (flags.disabled) return 'task disabled';
  if (flags.paused) return 'task paused';
  return undefined;
}

/**
 * Refuses a run of a disabled or paused task.
 * @throws CascadenceError TASK_DISABLED or TASK_PAUSED, with the command that lifts it.
 */
export function assertFlagsAllowRun(task: string, flags: TaskFlags): void {
  if (flags.disabled) {
    throw new CascadenceError('TASK_DISABLED', `task ${task} is disabled`, { hint: `run \`task enable ${task}\`` });
  }
  if (flags.paused) {
    throw new CascadenceError('TASK_PAUSED', `task ${task} is paused`, { hint: `run \`task resume ${task}\`` });
  }
}
