/**
 * The task registry: tasks registered under names, and their serialisable descriptions.
 * Node-side (it holds live task objects); never imported by workflows.
 */
import {
  CascadenceError,
  isValidTaskName,
  prerequisiteOrder,
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

const STEP_METHODS: readonly StepName[] = ['intake', 'research', 'plan', 'precheck', 'run', 'verify'];

/** Tasks by registered name. One instance per task per process; stage state flows through the stage context. */
export class TaskRegistry {
  private readonly tasks = new Map<string, Task>();

  constructor(private readonly providers: Providers = {}) {}

  /**
   * Registers a task object or class under `name`.
   * @throws CascadenceError VALIDATION for a name unusable in workflow ids, or a duplicate name.
   */
  register(name: string, task: Task | TaskClass): this {
    if (!isValidTaskName(name)) {
      throw new CascadenceError('VALIDATION', `invalid task name ${JSON.stringify(name)}`, {
        hint: 'use letters, digits, ".", "_" or "-", starting with a letter or digit',
      });
    }
    if (this.tasks.has(name)) throw new CascadenceError('VALIDATION', `task ${name} is already registered`);
    this.tasks.set(name, typeof task === 'function' ? new task() : task);
    return this;
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  has(name: string): boolean {
    return this.tasks.has(name);
  }

  /**
   * The task registered under `name`.
   * @throws CascadenceError UNKNOWN_TASK naming the known tasks.
   */
  get(name: string): Task {
    const task = this.tasks.get(name);
    if (!task) throw unknownTask(name, this.names());
    return task;
  }

  /**
   * `task`'s prerequisites then `task`, each once, in dependency order.
   * @throws CascadenceError UNKNOWN_TASK, or VALIDATION for a cycle or an unknown prerequisite.
   */
  withPrerequisites(task: string): string[] {
    this.get(task);
    return prerequisiteOrder(task, (name) =>
      this.tasks.has(name) ? (this.tasks.get(name)?.dependsOn ?? []) : undefined,
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
