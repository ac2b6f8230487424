/**
 * Dispatching events to the workflows registered for them (the original's `dispatch`): one
 * table, event name → Temporal workflow, and `dispatch`, which hashes the ids (and the payload's
 * `group_id` and `invitees`, ids of people too) and starts the event's workflow on Temporal,
 * waiting for its result unless told not to. Node-only.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { connectClient } from '../backends/temporal/client';
import { loadConfig, type CascadenceConfig } from '../config/config';
import { CascadenceError, isCascadenceError, rootMessage } from '../core/errors';
import {
  CALENDAR_EVENT_CREATE_REQUEST,
  CALENDAR_EVENT_TASK,
  FINANCE_DECISION_REQUEST,
  FINANCE_DECISION_TASK,
  type EventWorkflowRequest,
} from '../core/event-workflows';
import { fromFailure } from '../core/failure';
import { eventWorkflowId } from '../core/ids';
import { runDetails, runSummary } from '../core/summaries';
import { hashId } from '../events/hash';
import { calendarEventWorkflow } from '../workflows/calendar-event';
import { financeDecisionWorkflow } from '../workflows/finance-decision';
import { pipelineSearchAttributes } from '../workflows/search-attributes';

/** What an event starts. */
export interface EventWorkflowEntry {
  /** The Temporal workflow. */
  workflow: (request: EventWorkflowRequest) => Promise<unknown>;
  /** The task name of its runs and audit records. */
  task: string;
  /** What it does, in a line. */
  summary: string;
}

/** The one table of event-driven workflows: the event, and the workflow it starts. */
export const EVENT_WORKFLOWS: Readonly<Record<string, EventWorkflowEntry>> = {
  [CALENDAR_EVENT_CREATE_REQUEST]: {
    workflow: calendarEventWorkflow,
    task: CALENDAR_EVENT_TASK,
    summary:
      'CalendarEventCreation: checks permissions, stores the event and its edges, publishes calendar.event.created',
  },
  [FINANCE_DECISION_REQUEST]: {
    workflow: financeDecisionWorkflow,
    task: FINANCE_DECISION_TASK,
    summary: 'FinancialDecisionSupport: runs the finance engine on your accounts and goals, stores the analysis',
  },
};

/** The events a workflow is registered for, sorted. */
export function knownEvents(): string[] {
  return Object.keys(EVENT_WORKFLOWS).sort();
}

/**
 * The workflow registered for `event`.
 * @throws CascadenceError VALIDATION for an event no workflow is registered for, listing the known ones.
 */
export function eventWorkflow(event: string): EventWorkflowEntry {
  const entry = Object.prototype.hasOwnProperty.call(EVENT_WORKFLOWS, event) ? EVENT_WORKFLOWS[event] : undefined;
  if (!entry) {
    throw new CascadenceError(
      'VALIDATION',
      `no workflow is registered for event ${JSON.stringify(event)}; known events: ${knownEvents().join(', ')}`,
    );
  }
  return entry;
}

/**
 * The payload as it may enter a workflow history: `group_id` and each of `invitees` hashed like
 * the caller's ids (the workflow compares the group with the caller's hash). Anything else,
 * a payload that is no object included, is left for the workflow to validate.
 */
export function hashPayload(payload: unknown, hashSecret: string): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  const p = { ...(payload as Record<string, unknown>) };
  if (typeof p.group_id === 'string') p.group_id = hashId(p.group_id, hashSecret);
  if (Array.isArray(p.invitees)) {
    p.invitees = p.invitees.map((i: unknown) => (typeof i === 'string' && i !== '' ? hashId(i, hashSecret) : i));
  }
  return p;
}

/** Who an event is dispatched for, and how. */
export interface DispatchOptions {
  /** The user the workflow acts for (hashed before it leaves this process). */
  userId: string;
  /** The user's group (hashed before it leaves this process). */
  groupId: string;
  /** The run's id (default: a new UUID). */
  runId?: string;
  /** Wait for the workflow's result (default true); false returns once it has started. */
  wait?: boolean;
  /** A Temporal client (default: one connected with the configuration, closed afterwards). */
  client?: Client;
  /** Task queue of the workers (default: the configuration's). */
  taskQueue?: string;
  /** Key of the id hashes (default: the configuration's `CASCADENCE_HASH_SECRET`). */
  hashSecret?: string;
}

/** A dispatched event's run. */
export interface DispatchOutcome {
  event: string;
  task: string;
  runId: string;
  workflowId: string;
  /** The workflow's result (when waited for). */
  result?: unknown;
}

/**
 * Starts the workflow registered for `event` with `payload`, for the given user and group, and
 * (unless `wait` is false) waits for its result: `dispatch('finance.decision.request', {budget:
 * 500, max_options: 3}, {userId: 'bob', groupId: 'finance'})`.
 * @throws CascadenceError VALIDATION (no user id, an unknown event, or a payload the workflow
 * refused), FORBIDDEN (a permission denied), CONNECTION (Temporal or a service unreachable),
 * RUN_EXISTS (a run id already taken); a failed run's error carries `{step, reached}` as its data.
 */
export async function dispatch(event: string, payload: unknown, options: DispatchOptions): Promise<DispatchOutcome> {
  if (!options.userId) throw new CascadenceError('VALIDATION', 'a user id is required to dispatch an event');
  const entry = eventWorkflow(event);
  let config: CascadenceConfig | undefined;
  const settings = (): CascadenceConfig => (config ??= loadConfig());
  const taskQueue = options.taskQueue ?? settings().taskQueue;
  const hashSecret = options.hashSecret ?? settings().hashSecret;
  const runId = options.runId ?? randomUUID();
  const request: EventWorkflowRequest = {
    event,
    runId,
    userHash: hashId(options.userId, hashSecret),
    groupHash: hashId(options.groupId, hashSecret),
    payload: hashPayload(payload, hashSecret),
  };
  const workflowId = eventWorkflowId(entry.task, runId);
  const client = options.client ?? (await connectClient(settings().address, settings().namespace));
  try {
    let handle;
    try {
      handle = await client.workflow.start(entry.workflow, {
        taskQueue,
        workflowId,
        args: [request],
        staticSummary: runSummary({ task: entry.task, description: `${event} · ${entry.summary}` }),
        staticDetails: runDetails({
          task: entry.task,
          runId,
          userHash: request.userHash,
          groupHash: request.groupHash,
          input: request.payload,
        }),
        memo: { task: entry.task, runId, event },
        typedSearchAttributes: pipelineSearchAttributes(entry.task, request.groupHash, runId),
      });
    } catch (err) {
      if (isCascadenceError(err)) throw err;
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new CascadenceError('RUN_EXISTS', `run ${runId} of ${entry.task} already exists`, {
          hint: 'pick another run id, or leave it out for a new one',
          cause: err,
        });
      }
      throw new CascadenceError('CONNECTION', `could not start ${entry.task} for ${event}: ${rootMessage(err)}`, {
        cause: err,
      });
    }
    const outcome: DispatchOutcome = { event, task: entry.task, runId, workflowId };
    if (options.wait === false) return outcome;
    try {
      return { ...outcome, result: await handle.result() };
    } catch (err) {
      throw fromFailure(err);
    }
  } finally {
    if (!options.client) await client.connection.close();
  }
}
