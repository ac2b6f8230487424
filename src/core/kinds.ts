/**
 * Base classes for the task kinds. Extending one is optional (any object with stage methods is
 * a task); the kind tells people and tools how runs of the task are meant to be triggered.
 * Workflow-safe.
 */
import type { Task, TaskKind, TaskOptions } from './task';

/** A task with no particular trigger. */
export abstract class BaseTask<Input = unknown> implements Task<Input> {
  readonly kind: TaskKind = 'task';
  description?: string;
  options?: TaskOptions;
}

/** A task meant to run on a schedule. */
export abstract class CronTask<Input = unknown> extends BaseTask<Input> {
  override readonly kind: TaskKind = 'cron';
}

/** A task run by hand (`task run`, the API). */
export abstract class ManualTrigger<Input = unknown> extends BaseTask<Input> {
  override readonly kind: TaskKind = 'manual';
}

/** A task run by an incoming webhook; its input is the webhook's payload. */
export abstract class WebhookTask<Input = unknown> extends BaseTask<Input> {
  override readonly kind: TaskKind = 'webhook';
}

/** A task that refers to work tracked elsewhere (a pointer). */
export abstract class PointerTask<Input = unknown> extends BaseTask<Input> {
  override readonly kind: TaskKind = 'pointer';
}
