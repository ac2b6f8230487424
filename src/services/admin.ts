/**
 * Changing a task or its schedule, written once for every client: each change is made on the
 * backend and then recorded in the task's audit trail with who made it (stage `task` or
 * `schedule`), so `task audit NAME` answers "who paused this, and when". Backends without an
 * audit trail (Cronyx) make the change only.
 */
import {
  hasCapability,
  requireCapability,
  type Actor,
  type AdminActionRequest,
  type Backend,
  type PauseTarget,
  type RunSelector,
  type ScheduleInfo,
  type ScheduleRequest,
} from '../backends/backend';
import type { PipelineStatus } from '../core';
import { CascadenceError } from '../core/errors';

async function record(backend: Backend, request: AdminActionRequest): Promise<void> {
  if (hasCapability(backend, 'actions')) await backend.recordAction(request);
}

/** Disables (or enables) a task, recording who did. */
export async function setTaskEnabled(backend: Backend, task: string, enabled: boolean, actor: Actor): Promise<void> {
  if (enabled) await backend.enable(task);
  else await backend.disable(task);
  await record(backend, { task, stage: 'task', action: enabled ? 'enabled' : 'disabled', actor });
}

/** Pauses (or resumes) a run of the task, else the task itself, recording who did and what. */
export async function setTaskPaused(
  backend: Backend,
  task: string,
  paused: boolean,
  selector: RunSelector,
  actor: Actor,
): Promise<PauseTarget> {
  const target = paused ? await backend.pause(task, selector) : await backend.resume(task, selector);
  if (target.changed) {
    await record(backend, {
      task,
      stage: 'task',
      action: paused ? 'paused' : 'resumed',
      actor,
      ...(target.target === 'run' ? { runId: target.runId, reason: `run ${target.runId}` } : {}),
    });
  }
  return target;
}

/**
 * Pauses (or resumes) one run, found by its run id (or workflow id), recording who did; says which task it belongs to.
 * @throws CascadenceError UNKNOWN_RUN, RUN_FINISHED, VALIDATION for a DAG run (pause its nodes' tasks instead), UNSUPPORTED.
 */
export async function setRunPaused(
  backend: Backend,
  runRef: string,
  paused: boolean,
  actor: Actor,
): Promise<PauseTarget & { task: string }> {
  const status = (await requireCapability(backend, 'operate').status(runRef)) as Partial<PipelineStatus>;
  if (typeof status.task !== 'string' || typeof status.runId !== 'string') {
    throw new CascadenceError('VALIDATION', `run ${runRef} is not a pipeline run`, {
      hint: 'pause and resume act on pipeline runs; a DAG run goes on until its nodes end',
    });
  }
  return { task: status.task, ...(await setTaskPaused(backend, status.task, paused, { runId: status.runId }, actor)) };
}

/** Creates or updates a task's schedule; the request's user and group are who did it. */
export async function scheduleTask(backend: Backend, request: ScheduleRequest, source?: string): Promise<ScheduleInfo> {
  const info = await requireCapability(backend, 'schedules').schedule(request);
  await record(backend, {
    task: request.task,
    stage: 'schedule',
    action: source ? 'loaded' : 'scheduled',
    actor: {
      ...(request.userId ? { userId: request.userId } : {}),
      ...(request.groupId ? { groupId: request.groupId } : {}),
      ...(request.userHash ? { userHash: request.userHash } : {}),
      ...(request.groupHash ? { groupHash: request.groupHash } : {}),
    },
    reason: source ? `${info.cron} from ${source}` : info.cron,
  });
  return info;
}

/** Deletes a task's schedule, recording who did. */
export async function unscheduleTask(backend: Backend, task: string, actor: Actor): Promise<void> {
  await requireCapability(backend, 'schedules').unschedule(task);
  await record(backend, { task, stage: 'schedule', action: 'unscheduled', actor });
}

const SCHEDULE_ACTIONS = { pause: 'schedule-paused', resume: 'schedule-resumed', trigger: 'triggered' } as const;

/** Pauses, resumes or fires a task's schedule, recording who did. */
export async function actOnSchedule(
  backend: Backend,
  task: string,
  action: 'pause' | 'resume' | 'trigger',
  actor: Actor,
): Promise<void> {
  await requireCapability(backend, 'schedules').scheduleAction(task, action);
  await record(backend, { task, stage: 'schedule', action: SCHEDULE_ACTIONS[action], actor });
}
