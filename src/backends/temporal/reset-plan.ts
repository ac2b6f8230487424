/**
 * Where to reset a workflow so that a retry runs again only what did not succeed, read from the
 * workflow's history (no I/O). Temporal's reset keeps every event before a WorkflowTaskCompleted
 * event and runs that workflow task again, so what the kept events hold (completed stages and
 * their results) is reused and what came after runs again. Node-only.
 *
 * A stage (an activity, or a local activity's marker) is retried by resetting to the workflow
 * task that scheduled it. A failed child workflow (a DAG node, a subtask) is retried without
 * starting it again: the parent is reset to the last workflow task before the child's failure,
 * so the child is still running in the parent's eyes, with no event after that point reapplied
 * (Temporal would otherwise reapply the child's failure); then each child open at that point is
 * reset in turn (the failed ones to their own failed stage, the completed ones to their last
 * workflow task, which completes them again without running a stage), and Temporal forwards
 * their completions to the parent's new run.
 */
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CascadenceError } from '../../core/errors';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const E = temporal.api.enums.v1.EventType;

/** The marker a local activity leaves in history (sdk-core's name). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** One piece of work a workflow started: a stage (an activity or local activity) or a child workflow. */
export interface WorkItem {
  kind: 'activity' | 'child';
  /** The activity type (a stage's name), or the child's workflow id. */
  name: string;
  /** The WorkflowTaskCompleted event whose commands started it. */
  startedBy: number;
  /** The event that started it (scheduled, initiated, or a local activity's marker). */
  initiated: number;
  /** The event that closed it, in this history. */
  closed?: number;
  outcome: 'open' | 'succeeded' | 'failed';
  /** A child that Temporal started (false when its start failed, or has not happened yet). */
  started?: boolean;
}

/** The work items of a history and its WorkflowTaskCompleted events. */
export interface HistoryOutline {
  items: WorkItem[];
  /** Ids of the WorkflowTaskCompleted events, ascending. */
  completedTasks: number[];
}

const id = (value: number | { toNumber(): number } | null | undefined): number => Number(value ?? 0);

/** The activity type a local activity's marker names (its `data` detail, JSON written by sdk-core). */
function markerActivityType(event: HistoryEvent): string | undefined {
  const data = event.markerRecordedEventAttributes?.details?.data?.payloads;
  if (!data?.length) return undefined;
  try {
    const parsed = fromPayloadsAtIndex<Record<string, unknown>>(defaultPayloadConverter, 0, data);
    const type = parsed?.activity_type ?? parsed?.activityType;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/** The stages and children a history records, with how each ended. */
export function outlineHistory(events: readonly HistoryEvent[]): HistoryOutline {
  const items = new Map<number, WorkItem>();
  const completedTasks: number[] = [];
  const close = (initiated: number, at: number, outcome: 'succeeded' | 'failed'): void => {
    const item = items.get(initiated);
    if (item) Object.assign(item, { closed: at, outcome });
  };
  for (const event of events) {
    const at = id(event.eventId);
    switch (event.eventType) {
      case E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        completedTasks.push(at);
        break;
      case E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = event.activityTaskScheduledEventAttributes;
        items.set(at, {
          kind: 'activity',
          name: a?.activityType?.name ?? '',
          startedBy: id(a?.workflowTaskCompletedEventId),
          initiated: at,
          outcome: 'open',
        });
        break;
      }
      case E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        close(id(event.activityTaskCompletedEventAttributes?.scheduledEventId), at, 'succeeded');
        break;
      case E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        close(id(event.activityTaskFailedEventAttributes?.scheduledEventId), at, 'failed');
        break;
      case E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        close(id(event.activityTaskTimedOutEventAttributes?.scheduledEventId), at, 'failed');
        break;
      case E.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        close(id(event.activityTaskCanceledEventAttributes?.scheduledEventId), at, 'failed');
        break;
      case E.EVENT_TYPE_MARKER_RECORDED: {
        const m = event.markerRecordedEventAttributes;
        if (m?.markerName !== LOCAL_ACTIVITY_MARKER) break;
        items.set(at, {
          kind: 'activity',
          name: markerActivityType(event) ?? '',
          startedBy: id(m.workflowTaskCompletedEventId),
          initiated: at,
          closed: at,
          outcome: m.failure ? 'failed' : 'succeeded',
        });
        break;
      }
      case E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
        const c = event.startChildWorkflowExecutionInitiatedEventAttributes;
        items.set(at, {
          kind: 'child',
          name: c?.workflowId ?? '',
          startedBy: id(c?.workflowTaskCompletedEventId),
          initiated: at,
          outcome: 'open',
          started: false,
        });
        break;
      }
      case E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        close(id(event.startChildWorkflowExecutionFailedEventAttributes?.initiatedEventId), at, 'failed');
        break;
      case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const item = items.get(id(event.childWorkflowExecutionStartedEventAttributes?.initiatedEventId));
        if (item) item.started = true;
        break;
      }
      case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        close(id(event.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId), at, 'succeeded');
        break;
      case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
        close(id(event.childWorkflowExecutionFailedEventAttributes?.initiatedEventId), at, 'failed');
        break;
      case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        close(id(event.childWorkflowExecutionCanceledEventAttributes?.initiatedEventId), at, 'failed');
        break;
      case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
        close(id(event.childWorkflowExecutionTimedOutEventAttributes?.initiatedEventId), at, 'failed');
        break;
      case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        close(id(event.childWorkflowExecutionTerminatedEventAttributes?.initiatedEventId), at, 'failed');
        break;
      default:
        break;
    }
  }
  return { items: [...items.values()].sort((a, b) => a.initiated - b.initiated), completedTasks };
}

/** How a workflow's latest run stands: still running, completed, or closed without completing. */
export type ExecutionState = 'running' | 'completed' | 'failed';

/** What to do to one workflow. */
export interface ResetPlan {
  /** The WorkflowTaskCompleted event to reset to; absent when only its children are retried. */
  resetTo?: number;
  /**
   * What runs again first: a stage (an activity type), `end` (a completed child completes once
   * more, running no stage), or `children` (the workflow waits again for the children retried).
   */
  from: string;
  /** Reapply no event recorded after the reset point (children are reconnected instead). */
  reapplyNone: boolean;
  /** Children (workflow ids) to retry after this workflow, in the order they were started. */
  children: string[];
  /** Whether the stage asked for was not found here and is for the failed children. */
  passFrom: boolean;
  /** Work that starts again from its beginning although it had begun before: activity types and child workflow ids. */
  restarted: string[];
}

/** What a plan is asked for. */
export interface PlanOptions {
  /** The stage (activity type) to go on from; default: the first that did not succeed. */
  from?: string;
  /**
   * `run`: the run asked for (a completed one has nothing to retry); `child`: a child of a workflow
   * being retried (a completed one completes again, so its parent learns it).
   */
  role: 'run' | 'child';
  /** Named in errors. */
  label: string;
}

/**
 * The reset that retries a workflow from `options.from`, else from the first stage or child that
 * did not succeed.
 * @throws CascadenceError VALIDATION when there is nothing to retry (a completed run, a run
 * waiting while paused), or the stage asked for never ran.
 */
export function planReset(events: readonly HistoryEvent[], state: ExecutionState, options: PlanOptions): ResetPlan {
  const { items, completedTasks } = outlineHistory(events);
  const lastTaskBefore = (eventId: number): number | undefined => {
    let found: number | undefined;
    for (const t of completedTasks) if (t < eventId) found = t;
    return found;
  };
  const lastTask = completedTasks[completedTasks.length - 1];

  if (state === 'completed' && options.from === undefined) {
    if (options.role === 'child' && lastTask !== undefined) {
      return { resetTo: lastTask, from: 'end', reapplyNone: false, children: [], passFrom: false, restarted: [] };
    }
    throw new CascadenceError('VALIDATION', `${options.label} completed: there is nothing to retry`, {
      hint: 'task rerun starts it again as a new run',
    });
  }

  // Where a piece of work is retried from: a stage (or a child never started) by running the
  // workflow task that started it again; a started child by keeping it started and resetting it.
  const resetPointOf = (item: WorkItem): number | undefined =>
    item.kind === 'activity' || !item.started ? item.startedBy : lastTaskBefore(item.closed ?? Number.MAX_SAFE_INTEGER);

  const asked =
    options.from === undefined ? undefined : items.find((i) => i.kind === 'activity' && i.name === options.from);
  const unfinished = items.filter((i) => (state === 'running' ? i.outcome === 'open' : i.outcome !== 'succeeded'));
  const failedChildren = unfinished.filter((i) => i.kind === 'child');
  if (options.from !== undefined && !asked && failedChildren.length === 0) {
    const ran = [...new Set(items.filter((i) => i.kind === 'activity').map((i) => i.name))];
    throw new CascadenceError('VALIDATION', `stage ${options.from} did not run in ${options.label}`, {
      hint: ran.length > 0 ? `stages that ran: ${ran.join(', ')}` : 'leave --from out to retry from the failed stage',
    });
  }
  const passFrom = options.from !== undefined && !asked;

  let target: WorkItem | undefined = asked;
  if (!target && state === 'running') {
    // A stuck run: dispatch its open stage again; else retry the children it waits for.
    target = unfinished.find((i) => i.kind === 'activity');
    if (!target) {
      const waiting = failedChildren.map((c) => c.name);
      if (waiting.length === 0) {
        throw new CascadenceError('VALIDATION', `${options.label} is running and waits for nothing that failed`, {
          hint: 'a paused run goes on with task resume; a running stage is retried by its retry policy',
        });
      }
      return { from: 'children', reapplyNone: false, children: waiting, passFrom, restarted: [] };
    }
  }
  if (!target) {
    // The first thing that did not succeed; with none (the workflow itself failed: a precheck
    // that said no, a plan it refused), the last stage it ran.
    target = unfinished
      .map((item) => ({ item, at: resetPointOf(item) ?? Number.MAX_SAFE_INTEGER }))
      .sort((a, b) => a.at - b.at)[0]?.item;
    target ??= [...items].reverse().find((i) => i.kind === 'activity');
  }
  const resetTo = target ? resetPointOf(target) : completedTasks[0];
  if (resetTo === undefined) {
    throw new CascadenceError('VALIDATION', `${options.label} has no workflow task to go back to`, {
      hint: 'task rerun starts it again as a new run',
    });
  }

  const openAt = items.filter((i) => i.initiated < resetTo && (i.closed === undefined || i.closed > resetTo));
  const reapplyNone = openAt.some((i) => i.kind === 'child' && i.started && i.outcome !== 'succeeded');
  const restarted = [
    // Stages open at the reset point are dispatched again.
    ...openAt.filter((i) => i.kind === 'activity').map((i) => i.name),
    // Children started by the workflow task run again, or after it, start again from their beginning.
    ...items.filter((i) => i.kind === 'child' && i.initiated > resetTo && i.started).map((i) => i.name),
  ];
  if (state === 'running') {
    const clash = items.find((i) => i.kind === 'child' && i.initiated > resetTo && i.outcome === 'open');
    if (clash) {
      throw new CascadenceError('VALIDATION', `${options.label}: retrying it would start ${clash.name} while it runs`, {
        hint: 'cancel the run and use task rerun, or wait for it to end',
      });
    }
  }
  return {
    resetTo,
    from: target ? (target.kind === 'activity' ? target.name : 'children') : 'start',
    reapplyNone,
    children: reapplyNone ? openAt.filter((i) => i.kind === 'child').map((i) => i.name) : [],
    passFrom,
    restarted,
  };
}
