/**
 * The one builder of the visibility queries the temporal backend runs (list filters over the
 * Cascadence search attributes). Node-only.
 */
import { CascadenceError } from '../../core/errors';
import {
  SEARCH_ATTRIBUTE_GROUP,
  SEARCH_ATTRIBUTE_RUN_ID,
  SEARCH_ATTRIBUTE_TASK,
  calendarWorkflowId,
} from '../../core/ids';

/** Temporal's names of the execution statuses a filter may ask for. */
export const EXECUTION_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
} as const;

/** What a visibility query filters on; every given field must match. */
export interface VisibilityFilter {
  task?: string;
  runId?: string;
  /** Hashed group id. */
  groupHash?: string;
  status?: keyof typeof EXECUTION_STATUSES;
  /** Only Cascadence runs (those carrying a run id). */
  cascadenceOnly?: boolean;
  /** Only runs on this task queue (one deployment of task code). */
  taskQueue?: string;
  /** Only runs closed at or after this time. */
  closedAfter?: Date;
}

/** A string literal of the visibility query language. */
export function quote(value: string): string {
  // The server answers a query holding a control character slowly or not at all: refuse it here.
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new CascadenceError('VALIDATION', `${JSON.stringify(value)} holds a control character`, {
      hint: 'task names, run ids and groups are printable text',
    });
  }
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The query for `filter` (`CascadenceTask = 'x' AND ExecutionStatus = 'Running'`). */
export function visibilityQuery(filter: VisibilityFilter): string {
  const parts: string[] = [];
  if (filter.cascadenceOnly) parts.push(`${SEARCH_ATTRIBUTE_RUN_ID} IS NOT NULL`);
  if (filter.task !== undefined) parts.push(`${SEARCH_ATTRIBUTE_TASK} = ${quote(filter.task)}`);
  if (filter.runId !== undefined) parts.push(`${SEARCH_ATTRIBUTE_RUN_ID} = ${quote(filter.runId)}`);
  if (filter.groupHash !== undefined) parts.push(`${SEARCH_ATTRIBUTE_GROUP} = ${quote(filter.groupHash)}`);
  if (filter.status !== undefined) parts.push(`ExecutionStatus = '${EXECUTION_STATUSES[filter.status]}'`);
  if (filter.taskQueue !== undefined) parts.push(`TaskQueue = ${quote(filter.taskQueue)}`);
  if (filter.closedAfter !== undefined) parts.push(`CloseTime >= ${quote(filter.closedAfter.toISOString())}`);
  return parts.join(' AND ');
}

/** What {@link closedRunsQuery} filters on; every given field must match. */
export interface ClosedRunsFilter {
  /** Workflow types to include (every one of them when empty). */
  types: readonly string[];
  /** A task's runs: its pipelines and subtasks (or a DAG's, `dag:<name>`) and its calendar workflow. */
  task?: string;
  /** Only runs closed at or after this time. */
  closedAfter?: Date;
  /** Only runs on this task queue. */
  taskQueue?: string;
}

/** The query for closed runs (of any status but Running), of `filter`'s workflow types. */
export function closedRunsQuery(filter: ClosedRunsFilter): string {
  const parts = ["ExecutionStatus != 'Running'"];
  if (filter.types.length > 0) parts.push(`WorkflowType IN (${filter.types.map(quote).join(', ')})`);
  if (filter.task !== undefined) {
    parts.push(
      `(${SEARCH_ATTRIBUTE_TASK} = ${quote(filter.task)} OR WorkflowId = ${quote(calendarWorkflowId(filter.task))})`,
    );
  }
  if (filter.closedAfter !== undefined) parts.push(`CloseTime >= ${quote(filter.closedAfter.toISOString())}`);
  if (filter.taskQueue !== undefined) parts.push(`TaskQueue = ${quote(filter.taskQueue)}`);
  return parts.join(' AND ');
}
