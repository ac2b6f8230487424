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
  /** Plugin modules registered at run time (`POST /tasks?path=`), oldest first. */
  plugins?: PluginRecord[];
}

/**
 * A plugin module registered at run time, as every client and worker of a task queue learns of
 * it: the module as the caller named it (an absolute path or a package name), each machine
 * loading it only when its own plugin allowlist permits.
 */
export interface PluginRecord {
  module: string;
  /** Who registered it (a user hash). */
  by?: string;
  registered_at: string;
}

/** Where run-time plugin registrations are kept: the catalogue on Temporal, the task store elsewhere. */
export interface PluginRecordStore {
  /** Every registered plugin module, oldest first. */
  plugins(): Promise<PluginRecord[]>;
  /** Records a registration; a module registered before stays as it was (`added: false`). */
  addPlugin(record: Omit<PluginRecord, 'registered_at'>): Promise<{ added: boolean }>;
}

/** @throws CascadenceError VALIDATION unless `record` names a module. */
export function validatePluginRecord(record: unknown): asserts record is Omit<PluginRecord, 'registered_at'> {
  const r = record as Partial<Record<string, unknown>> | null;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    typeof r.module === 'string' &&
    r.module.length > 0 &&
    r.module.length <= 4096 &&
    (r.by === undefined || typeof r.by === 'string');
  if (!ok)
    throw new CascadenceError('VALIDATION', 'a plugin registration is {module, by?} with a module path or package');
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
