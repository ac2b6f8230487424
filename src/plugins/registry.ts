/**
 * The task registry: tasks registered under names, and their serialisable descriptions.
 * Node-side (it holds live task objects); never imported by workflows.
 */
import {
  CascadenceError,
  isValidTaskName,
  prerequisiteOrder,
  validateStageModes,
  type StepName,
  type StepSource,
  type Task,
  type TaskDescription,
} from '../core';

/** Fallback implementations of `research` and `plan` for tasks that lack them (the original's tino_storm and ai_plan). */
export interface Providers {
  research?: (ctx: Parameters<NonNullable<Task['research']>>[0]) => unknown;
  plan?: (ctx: Parameters<NonNullable<Task['plan']>>[0]) => unknown;
}

/** A class with a no-argument constructor whose instances are tasks. */
export type TaskClass = new () => Task;

/** Where a registered task came from, as `task list` shows it. */
export interface TaskOrigin {
  /** `builtin`, a task module, a plugin package or directory, a CronyxServer, or a registration through the API. */
  kind: 'builtin' | 'module' | 'package' | 'directory' | 'cronyx' | 'registered' | 'code';
  /** The module file, package name or server it came from. */
  source?: string;
}

/** How a task is registered: its origin and, for code that can be reloaded, a revision naming that code. */
export interface RegisterOptions {
  origin?: TaskOrigin;
  /** Names the code of this registration (a hash of its module); runs keep the revision they started with. */
  revision?: string;
}

interface Entry {
  task: Task;
  origin: TaskOrigin;
  revision?: string;
}

/** Earlier revisions of one task kept for runs in flight (the oldest go first). */
const KEPT_REVISIONS = 8;

const toTask = (task: Task | TaskClass): Task => (typeof task === 'function' ? new task() : task);

const STEP_METHODS: readonly StepName[] = ['intake', 'research', 'plan', 'precheck', 'run', 'verify'];

/** Tasks by registered name. One instance per task per process; stage state flows through the stage context. */
export class TaskRegistry {
  private readonly tasks = new Map<string, Entry>();
  /** Replaced revisions by task, so a run that started on one finishes on it. */
  private readonly earlier = new Map<string, Map<string, Task>>();

  constructor(private readonly providers: Providers = {}) {}

  /**
   * Registers a task object or class under `name`.
   * @throws CascadenceError VALIDATION for a name unusable in workflow ids, a duplicate name, or invalid stage modes.
   */
  register(name: string, task: Task | TaskClass, options: RegisterOptions = {}): this {
    assertTaskName(name);
    if (this.tasks.has(name)) {
      const where = this.tasks.get(name)?.origin.source;
      throw new CascadenceError('VALIDATION', `task ${name} is already registered${where ? ` (from ${where})` : ''}`);
    }
    this.tasks.set(name, entryOf(name, task, options));
    return this;
  }

  /**
   * Puts new code in place of a registered task (a hot reload); runs that started on the old
   * revision keep it ({@link TaskRegistry.get} with their revision).
   * @throws CascadenceError VALIDATION for an invalid name or invalid stage modes (the old code stays).
   */
  replace(name: string, task: Task | TaskClass, options: RegisterOptions = {}): this {
    assertTaskName(name);
    const entry = entryOf(name, task, options);
    this.retire(name);
    this.tasks.set(name, entry);
    return this;
  }

  /** Removes a task (a reloaded module that no longer provides it); runs in flight keep their revision. */
  unregister(name: string): boolean {
    this.retire(name);
    return this.tasks.delete(name);
  }

  private retire(name: string): void {
    const old = this.tasks.get(name);
    if (old?.revision === undefined) return;
    const kept = this.earlier.get(name) ?? new Map<string, Task>();
    kept.delete(old.revision);
    kept.set(old.revision, old.task);
    while (kept.size > KEPT_REVISIONS) kept.delete(kept.keys().next().value as string);
    this.earlier.set(name, kept);
  }

  /** Where `name` came from (undefined when it is not registered). */
  origin(name: string): TaskOrigin | undefined {
    return this.tasks.get(name)?.origin;
  }

  /** The revision of `name`'s current code, when it has one. */
  revision(name: string): string | undefined {
    return this.tasks.get(name)?.revision;
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  has(name: string): boolean {
    return this.tasks.has(name);
  }

  /**
   * The task registered under `name`: the code of `revision` when the run started on a revision
   * replaced since (and still kept), else the current code.
   * @throws CascadenceError UNKNOWN_TASK naming the known tasks.
   */
  get(name: string, revision?: string): Task {
    const entry = this.tasks.get(name);
    if (revision !== undefined && entry?.revision !== revision) {
      const kept = this.earlier.get(name)?.get(revision);
      if (kept) return kept;
    }
    if (!entry) throw unknownTask(name, this.names());
    return entry.task;
  }

  /**
   * `task`'s prerequisites then `task`, each once, in dependency order.
   * @throws CascadenceError UNKNOWN_TASK, or VALIDATION for a cycle or an unknown prerequisite.
   */
  withPrerequisites(task: string): string[] {
    this.get(task);
    return prerequisiteOrder(task, (name) =>
      this.tasks.has(name) ? (this.tasks.get(name)?.task.dependsOn ?? []) : undefined,
    );
  }

  /** The provider used when a task lacks `research` or `plan`. */
  provider(step: 'research' | 'plan'): Providers['research'] | undefined {
    return this.providers[step];
  }

  /**
   * Which steps `name` performs and with which options; what the workflow reads first.
   * @throws CascadenceError UNKNOWN_TASK.
   */
  describe(name: string): TaskDescription {
    const task = this.get(name);
    const steps: Partial<Record<StepName, StepSource>> = {};
    for (const step of STEP_METHODS) {
      if (typeof task[step] === 'function') steps[step] = 'task';
      else if ((step === 'research' || step === 'plan') && this.providers[step]) steps[step] = 'provider';
    }
    return {
      name,
      kind: task.kind ?? 'task',
      ...(task.description === undefined ? {} : { description: task.description }),
      ...(task.dependsOn === undefined ? {} : { dependsOn: [...task.dependsOn] }),
      steps,
      options: task.options ?? {},
    };
  }
}

function assertTaskName(name: string): void {
  if (!isValidTaskName(name)) {
    throw new CascadenceError('VALIDATION', `invalid task name ${JSON.stringify(name)}`, {
      hint: 'use letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
}

/** The registry entry of a task, its options checked first. */
function entryOf(name: string, task: Task | TaskClass, options: RegisterOptions): Entry {
  const instance = toTask(task);
  validateStageModes(name, instance.options);
  return {
    task: instance,
    origin: options.origin ?? { kind: 'code' },
    ...(options.revision === undefined ? {} : { revision: options.revision }),
  };
}

/** The error for an unknown task name, listing the known ones. */
export function unknownTask(name: string, known: string[]): CascadenceError {
  return new CascadenceError(
    'UNKNOWN_TASK',
    `unknown task ${JSON.stringify(name)}; known tasks: ${known.join(', ') || '(none)'}`,
    {
      hint: 'run `task list` to see the registered tasks',
    },
  );
}
