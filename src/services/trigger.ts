/**
 * Triggering a task by hand (`task trigger NAME`): like `task run`, for `ManualTrigger` tasks
 * only, so a task meant for a schedule, a webhook or pointers is not started by mistake. The
 * kind is checked here, once, over any backend, before anything starts. Node-only.
 */
import { requireCapability, type Backend, type RunOutcome, type RunRequest, type TaskInfo } from '../backends/backend';
import { CascadenceError, type TaskKind } from '../core';
import { unknownTask } from '../plugins/registry';

/** The kind of task `task trigger` runs: `ManualTrigger`'s. */
export const TRIGGER_KIND: TaskKind = 'manual';

/** The base class of each task kind, as error messages name it. */
const KIND_CLASSES: Record<TaskKind, string> = {
  task: 'BaseTask',
  cron: 'CronTask',
  manual: 'ManualTrigger',
  webhook: 'WebhookTask',
  pointer: 'PointerTask',
};

/** `"cron" (CronTask)`; a kind a plain-JS task module made up is shown as it is. */
function describeKind(kind: string): string {
  const base = (KIND_CLASSES as Record<string, string | undefined>)[kind];
  return base ? `${JSON.stringify(kind)} (${base})` : JSON.stringify(kind);
}

/**
 * The task `name` as the backend lists it, once it is known to be a ManualTrigger task.
 * @throws CascadenceError UNKNOWN_TASK; VALIDATION naming the task's kind for any other kind.
 */
export async function assertTriggerable(backend: Pick<Backend, 'list'>, name: string): Promise<TaskInfo> {
  const tasks = await backend.list();
  const task = tasks.find((t) => t.name === name);
  if (!task)
    throw unknownTask(
      name,
      tasks.map((t) => t.name),
    );
  if (task.kind !== TRIGGER_KIND) {
    throw new CascadenceError(
      'VALIDATION',
      `${name} is a task of kind ${describeKind(task.kind)}, not ${describeKind(TRIGGER_KIND)}: task trigger runs only manual tasks`,
      { hint: `use \`task run ${name}\` instead` },
    );
  }
  return task;
}

/**
 * Runs a ManualTrigger task to its end, as `task run` does.
 * @throws CascadenceError what {@link assertTriggerable} throws (nothing starts), then what `Backend.run` throws.
 */
export async function triggerTask(backend: Backend, request: RunRequest): Promise<RunOutcome> {
  await assertTriggerable(backend, request.task);
  return backend.run(request);
}

/**
 * Starts a ManualTrigger task without waiting; resolves with its run id.
 * @throws CascadenceError what {@link assertTriggerable} throws (nothing starts), UNSUPPORTED for a backend that cannot start runs, then what `start` throws.
 */
export async function startTriggered(backend: Backend, request: RunRequest): Promise<string> {
  const operate = requireCapability(backend, 'operate');
  await assertTriggerable(backend, request.task);
  return operate.start(request);
}
