/**
 * What the event-driven workflows share: the run id (a run a recurrence schedule started takes
 * its own from its workflow id), the audit trail (each record published through the audit sink
 * and answered by the `audit` query), the `status` query, and how a failed step ends the run with
 * the state it reached. Workflow-safe.
 */
import {
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { EventDrivenActivities } from '../activities/event-driven';
import { CascadenceError, isErrorCode, rootCode, rootMessage, type ErrorCode } from '../core/errors';
import type { EventRunStatus, EventWorkflowRequest, Recurrence } from '../core/event-workflows';
import { runIdFromWorkflowId } from '../core/ids';
import type { AuditRecord, AuditStatus } from '../core/pipeline';
import { preview } from '../core/plan';
import { toWorkflowFailure } from './failure';
import { auditQuery, statusQuery, type AuditSinks } from './messages';
import { RUN_ID_KEY } from './search-attributes';

const { audit } = proxySinks<AuditSinks>();

/**
 * The HTTP calls, the schedule and publishing: each attempt within 15 s (a request times out
 * after 5 s), up to 3 attempts 0.5 s then 1 s apart; failures the activities mark non-retryable
 * (a refusal, a bad request, a missing setting) are not retried.
 */
export const eventActivities = proxyActivities<EventDrivenActivities>({
  startToCloseTimeout: '15s',
  retry: { maximumAttempts: 3, initialInterval: '500ms', backoffCoefficient: 2 },
});

/** Checks without I/O, as local activities (Node code the sandbox cannot load: the cron parser). */
const { checkRecurrence } = proxyLocalActivities<EventDrivenActivities>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 1 },
});

/** Set by Temporal on a run a Schedule started: the time it was due. */
const SCHEDULED_START_KEY = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

type Stage = AuditRecord['stage'];

/** True when a Temporal timeout is somewhere in `err`'s cause chain (a call that never answered in time). */
function timedOut(err: unknown): boolean {
  let cur: unknown = err;
  for (let i = 0; i < 20 && typeof cur === 'object' && cur !== null; i++) {
    if ((cur as { name?: unknown }).name === 'TimeoutFailure') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** The error-table code a failed step ends the run with. */
function failureCode(err: unknown): ErrorCode {
  const code = rootCode(err);
  if (isErrorCode(code)) return code;
  return timedOut(err) ? 'CONNECTION' : 'INTERNAL';
}

/** One run of an event-driven workflow: its trail, its state, its queries. */
export class EventRun {
  readonly runId: string;
  readonly workflowId: string;
  readonly records: AuditRecord[] = [];
  /** What the run has done so far (ids stored, records fetched): the state a failure reports. */
  readonly reached: Record<string, unknown> = {};
  private state: 'running' | 'completed' | 'failed' = 'running';
  private current: Stage | null = null;
  private reason: string | undefined;

  constructor(
    readonly task: string,
    readonly request: EventWorkflowRequest,
  ) {
    this.workflowId = workflowInfo().workflowId;
    if (request.runId) this.runId = request.runId;
    else {
      this.runId = runIdFromWorkflowId(task, this.workflowId) ?? this.workflowId;
      upsertSearchAttributes([{ key: RUN_ID_KEY, value: this.runId }]);
    }
    setHandler(auditQuery, () => [...this.records]);
    setHandler(statusQuery, () => this.status());
    this.record('pipeline', 'started', {
      reason: request.scheduledBy ? `${request.event}, scheduled by run ${request.scheduledBy}` : request.event,
    });
  }

  /** Appends one record to the trail and publishes it (its place in the trail makes its event id). */
  record(stage: Stage, status: AuditStatus, extra: { reason?: string; output?: unknown } = {}): void {
    // At most 256 characters with the `...` a cut adds (the event schemas' limit).
    const output = preview(extra.output, 253);
    const rec: AuditRecord = {
      task: this.task,
      stage,
      status,
      ...(extra.reason === undefined ? {} : { reason: extra.reason }),
      ...(output === undefined ? {} : { output }),
      run_id: this.runId,
      user_hash: this.request.userHash,
      group_hash: this.request.groupHash,
      time: new Date().toISOString(),
    };
    this.records.push(rec);
    audit.record(rec, { workflowId: this.workflowId, seq: this.records.length - 1 });
  }

  /** The step running now, or the last one. */
  get stage(): Stage | null {
    return this.current;
  }

  /** The place the next record will take in the trail (a published event's id is made of it). */
  get nextSeq(): number {
    return this.records.length;
  }

  /**
   * Runs one step: recorded `success` (with `describe` of its result as output) when it
   * resolves; when it throws, the run fails there with the state it reached.
   */
  async step<T>(stage: Stage, fn: () => Promise<T>, describe?: (value: T) => unknown): Promise<T> {
    this.current = stage;
    let value: T;
    try {
      value = await fn();
    } catch (err) {
      throw this.fail(stage, err);
    }
    this.record(stage, 'success', describe ? { output: describe(value) } : {});
    return value;
  }

  /** A failure the run goes on after (research, publishing): recorded as the step's error. */
  tolerate(stage: Stage, err: unknown): void {
    this.record(stage, 'error', { reason: `${rootMessage(err)} (tolerated: the run goes on)` });
  }

  /**
   * Ends the run at `stage`: its `error` record and the pipeline's, both with the state reached,
   * and the failure to throw (its code from the error table, the state in its data).
   */
  fail(stage: Stage, err: unknown): unknown {
    if (this.state === 'failed') return err;
    this.state = 'failed';
    this.current = stage;
    const message = isCancellation(err) ? 'cancelled' : rootMessage(err);
    this.reason = `${stage}: ${message}`;
    this.record(stage, 'error', { reason: message, output: this.reached });
    this.record('pipeline', 'error', { reason: this.reason, output: this.reached });
    if (isCancellation(err)) return toWorkflowFailure(err);
    return toWorkflowFailure(
      new CascadenceError(failureCode(err), `${this.task} failed at ${stage}: ${message}`, {
        hint: `see \`task audit ${this.task} --run-id ${this.runId}\``,
        data: { step: stage, reached: { ...this.reached } },
      }),
    );
  }

  /** Ends the run successfully with `result`. */
  complete<T>(result: T): T {
    this.state = 'completed';
    this.record('pipeline', 'success', { output: result });
    return result;
  }

  /** What the `status` query answers. */
  status(): EventRunStatus {
    return {
      task: this.task,
      runId: this.runId,
      state: this.state,
      paused: false,
      currentStage: null,
      steps: {},
      subtasks: { total: 0, completed: 0, failed: 0 },
      context: { delivered: 0, queued: 0 },
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      event: this.request.event,
      step: this.current,
      reached: JSON.parse(JSON.stringify(this.reached)) as Record<string, unknown>,
    };
  }
}

/**
 * The recurrence of a request, checked (cron and timezone) during validation; none for a run a
 * recurrence schedule started, which schedules nothing more.
 */
export async function checkedRecurrence(
  request: EventWorkflowRequest,
  recurrence: Recurrence | undefined,
): Promise<Recurrence | undefined> {
  if (!recurrence || request.scheduledBy) return undefined;
  const timezone = recurrence.timezone ?? 'UTC';
  return { cron: await checkRecurrence({ cron: recurrence.cron, timezone }), timezone };
}

/**
 * The `schedule` step: a Temporal Schedule that starts this workflow again with the same request
 * on every tick of the recurrence; answers its id.
 */
export async function scheduleRecurrence(run: EventRun, recurrence: Recurrence): Promise<string> {
  return run.step(
    'schedule',
    async () => {
      const id = await eventActivities.scheduleRecurrence({
        task: run.task,
        runId: run.runId,
        workflowType: workflowInfo().workflowType,
        cron: recurrence.cron,
        timezone: recurrence.timezone ?? 'UTC',
        request: { ...run.request, runId: '', scheduledBy: run.runId },
      });
      run.reached.schedule_id = id;
      return id;
    },
    (id) => ({ schedule_id: id, cron: recurrence.cron, timezone: recurrence.timezone ?? 'UTC' }),
  );
}

/**
 * The `publish` step: the follow-up event `name` on the event bus. Nobody listening is normal;
 * a failure is recorded and the run goes on (what it published about is already stored).
 */
export async function publishFollowUp(run: EventRun, name: string, payload: unknown): Promise<void> {
  const seq = run.nextSeq;
  try {
    const taken = await eventActivities.publishEvent({
      name,
      payload,
      task: run.task,
      run_id: run.runId,
      user_hash: run.request.userHash,
      group_hash: run.request.groupHash,
      time: new Date().toISOString(),
      workflowId: run.workflowId,
      seq,
    });
    run.record('publish', 'success', {
      reason: taken ? name : `${name} (no event transport configured)`,
      output: payload,
    });
    const published = (run.reached.published ??= []) as string[];
    published.push(name);
  } catch (err) {
    run.tolerate('publish', err);
  }
}

/** When a run a recurrence schedule started was due (its start, if Temporal did not say). */
export function scheduledStartTime(): string {
  const due = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_KEY);
  return (due ?? workflowInfo().startTime).toISOString();
}
