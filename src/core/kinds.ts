/**
 * Base classes for the task kinds. Extending one is optional (any object with stage methods is
 * a task); the kind tells people and tools how runs of the task are meant to be triggered.
 * Workflow-safe.
 */
import { CascadenceError } from './errors';
import type { StageContext, Task, TaskKind, TaskOptions } from './task';

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

/** Where webhook events come from: one route each (`POST /webhook/<source>`). */
export const WEBHOOK_SOURCES = ['github', 'calcom'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** The input of a run started by a webhook event: where it came from, its event type and its JSON body. */
export interface WebhookInput<Payload = unknown> {
  source: WebhookSource;
  /** The event type (GitHub's `X-GitHub-Event`; Cal.com's `Cal-Event-Type` header, else the body's `triggerEvent`). */
  event: string;
  /** The parsed body, as delivered. It may hold personal data: keep it out of logs. */
  payload: Payload;
}

/**
 * A task run by incoming webhook events. The webhook server asks every registered WebhookTask
 * whether it `handles` an event; each one that does gets a durable run whose input is a
 * {@link WebhookInput}, so the work happens in the worker, never inside the HTTP request.
 */
export abstract class WebhookTask<Input extends WebhookInput = WebhookInput> extends BaseTask<Input> {
  override readonly kind: TaskKind = 'webhook';

  /**
   * Whether an event should start a run of this task. Called inside the HTTP request, before
   * anything starts: keep it quick and free of I/O.
   */
  abstract handles(source: WebhookSource, eventType: string, payload: unknown): boolean;
}

/** True when `task` is a webhook task: its kind is `webhook` and it has a `handles` method. */
export function isWebhookTask(task: Task): task is Task & Pick<WebhookTask, 'handles'> {
  return task.kind === 'webhook' && typeof (task as Partial<WebhookTask>).handles === 'function';
}

/** A pointer to a run of another instance: its run id and who started it (hashes only, never raw ids). */
export interface TaskPointer {
  run_id: string;
  /** Hash of the user id (`hashId`). */
  user_hash: string;
  /** Hash of the group id, when the pointer has a group. */
  group_hash?: string;
}

/** Which pointers to keep: those whose hashes equal the given ones (`groupHash: ''` means no group). */
export interface PointerFilter {
  userHash?: string;
  groupHash?: string;
}

/** Where a PointerTask's pointers are kept: the pointer store (`stores/pointer-store.ts`), or memory in tests. */
export interface PointerSource {
  list(task: string, filter?: PointerFilter): readonly TaskPointer[] | Promise<readonly TaskPointer[]>;
}

/**
 * A task that refers to work tracked elsewhere: runs of other Cascadence instances, kept as
 * pointers (`task pointer-add`, `task pointer-sync`). Its `run` returns the task's pointers from
 * the source given to the constructor, e.g. `super(new PointerStore(config.pointersPath))`.
 * Subclasses may override `run` (and add other stages) to act on them.
 */
export abstract class PointerTask<Input = unknown> extends BaseTask<Input> {
  override readonly kind: TaskKind = 'pointer';

  /** @param pointers where the pointers of this task are read (required by the default `run`). */
  constructor(protected readonly pointers?: PointerSource) {
    super();
  }

  /**
   * The pointers stored for this task (under its registered name), oldest first.
   * @throws CascadenceError CONFIG when the task was made without a pointer source.
   */
  async run(ctx: StageContext<Input>): Promise<TaskPointer[]> {
    if (!this.pointers) {
      throw new CascadenceError('CONFIG', `pointer task ${ctx.task} has no pointer store`, {
        hint: 'pass one to the constructor: super(new PointerStore(config.pointersPath))',
      });
    }
    return [...(await this.pointers.list(ctx.task))];
  }
}
