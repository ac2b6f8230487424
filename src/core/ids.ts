/**
 * Every id Cascadence derives, built in one place so workflows, clients and tests agree.
 */

/** Default Temporal task queue of the worker and the clients. */
export const DEFAULT_TASK_QUEUE = 'cascadence';

/** Search attribute holding the task's registered name (Keyword). */
export const SEARCH_ATTRIBUTE_TASK = 'CascadenceTask';
/** Search attribute holding the hashed group id (Keyword). */
export const SEARCH_ATTRIBUTE_GROUP = 'CascadenceGroup';
/** Search attribute holding the run id, shared by a run and its subtasks (Keyword). */
export const SEARCH_ATTRIBUTE_RUN_ID = 'CascadenceRunId';
/** The custom search attributes the workflows set, with their Temporal types. */
export const SEARCH_ATTRIBUTES = {
  [SEARCH_ATTRIBUTE_TASK]: 'Keyword',
  [SEARCH_ATTRIBUTE_GROUP]: 'Keyword',
  [SEARCH_ATTRIBUTE_RUN_ID]: 'Keyword',
} as const;

/** Workflow id of a top-level pipeline run: `<task>-<runId>`. */
export function pipelineWorkflowId(task: string, runId: string): string {
  return `${task}-${runId}`;
}

/**
 * Workflow id of a subtask pipeline: derived from its parent's so the tree is readable
 * in the Web UI (`example-<runId>/2-child`), and unique per position in the plan.
 */
export function childWorkflowId(parentWorkflowId: string, index: number, task: string): string {
  return `${parentWorkflowId}/${index}-${task}`;
}

/** Inverse of {@link childWorkflowId}: a direct subtask's plan position and task, or undefined. */
export function parseChildWorkflowId(
  parentWorkflowId: string,
  workflowId: string,
): { index: number; task: string } | undefined {
  if (!workflowId.startsWith(`${parentWorkflowId}/`)) return undefined;
  const m = /^(\d+)-([^/]+)$/.exec(workflowId.slice(parentWorkflowId.length + 1));
  return m ? { index: Number(m[1]), task: m[2] as string } : undefined;
}

/** Workflow id of a DAG run: `dag-<name>-<runId>`; its nodes are `<dag id>/<node id>`. */
export function dagWorkflowId(dag: string, runId: string): string {
  return `dag-${dag}-${runId}`;
}

/**
 * Inverse of {@link pipelineWorkflowId}: the run id of top-level pipeline `workflowId` of `task`,
 * or undefined when the id is not one of its runs.
 */
export function runIdFromWorkflowId(task: string, workflowId: string): string | undefined {
  const prefix = `${task}-`;
  return workflowId.startsWith(prefix) && workflowId.length > prefix.length && !workflowId.includes('/')
    ? workflowId.slice(prefix.length)
    : undefined;
}

/**
 * Workflow id of the task catalogue of a task queue: the one workflow holding every task's
 * flags (disabled, paused) for the workers and clients of that queue.
 */
export function catalogueWorkflowId(taskQueue: string): string {
  return `cascadence-catalogue-${taskQueue}`;
}

/** Temporal Schedule id of a task's schedule. */
export function scheduleId(task: string): string {
  return `cascadence-${task}`;
}

/** Inverse of {@link scheduleId}: the task of a Cascadence schedule id, or undefined for any other schedule. */
export function taskOfScheduleId(id: string): string | undefined {
  const prefix = scheduleId('');
  return id.startsWith(prefix) && id.length > prefix.length ? id.slice(prefix.length) : undefined;
}

/** Workflow id of the calendar workflow that keeps a task's schedule on a UME calendar event. */
export function calendarWorkflowId(task: string): string {
  return `${scheduleId(task)}-calendar`;
}

/** True when `name` is usable as a task name (it becomes part of workflow and schedule ids). */
export function isValidTaskName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name);
}

/** True when `id` is usable as a webhook delivery id (GitHub's `X-GitHub-Delivery` is a GUID). */
export function isValidDeliveryId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id);
}

/**
 * Run id of the run a webhook delivery starts for `task`: `<source>-<deliveryId>-<task>`. The
 * same delivery always maps to the same run (so a redelivery is recognised), and each task
 * handling it gets its own run id. The delivery id must pass {@link isValidDeliveryId}.
 */
export function webhookRunId(source: string, deliveryId: string, task: string): string {
  return `${source}-${deliveryId}-${task}`;
}

/**
 * Workflow id of an event-driven run (CalendarEventCreation, FinancialDecisionSupport): shaped
 * like a pipeline run's, `<task>-<runId>` (`calendar.event.create-<runId>`), so `task audit`,
 * `task status` and `task runs` find it as they find any run of a task.
 */
export function eventWorkflowId(task: string, runId: string): string {
  return pipelineWorkflowId(task, runId);
}

/**
 * Temporal Schedule id of the recurrence a dispatched event asked for (`recurrence.cron`): one
 * per run that asked, `event-<task>-<runId>`. Not `cascadence-...`: that prefix is the tasks'
 * schedules, which `task schedules` lists and `--export` writes for `task load-schedules`. Its
 * runs' workflow ids are `<task>-<runId>-scheduled` with the time Temporal appends.
 */
export function eventScheduleId(task: string, runId: string): string {
  return `event-${task}-${runId}`;
}
