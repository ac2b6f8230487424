/**
 * Temporal Schedules for the `temporal` backend: one schedule `cascadence-<task>` per task, whose
 * action starts the task's pipeline workflow. The schedule outlives workers and servers restarts
 * (it lives in Temporal); its runs are ordinary pipeline runs (`task audit`, `task status`).
 */
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
  type Workflow,
} from '@temporalio/client';
import { CascadenceError, isCascadenceError } from '../core/errors';
import { pipelineWorkflowId, runIdFromWorkflowId, scheduleId, taskOfScheduleId } from '../core/ids';
import type { PipelineRequest, TaskDescription } from '../core';
import { hashId } from '../events/hash';
import { nextRuns } from './cron';
import { OVERLAP_POLICIES, type OverlapPolicy, type ScheduleInfo, type ScheduleRequest } from './model';
export { validateScheduleRequest } from './validate';

/** What the schedule remembers about itself (in its action's memo; the schedule memo cannot be updated). */
interface ScheduleMemo {
  task: string;
  cron: string;
  timezone: string;
  /** A schedules file's structured recurrence, kept as written. */
  recurrence?: unknown;
}

const TO_TEMPORAL: Record<OverlapPolicy, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'terminate-other': ScheduleOverlapPolicy.TERMINATE_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
};

function fromTemporal(policy: string | undefined): OverlapPolicy {
  return (OVERLAP_POLICIES.find((p) => TO_TEMPORAL[p] === policy) ?? 'skip') as OverlapPolicy;
}

/** Creates or updates the schedule of `request.task`. */
export async function upsertSchedule(
  client: Client,
  taskQueue: string,
  hashSecret: string,
  request: ScheduleRequest & { timezone: string },
  description?: TaskDescription,
): Promise<void> {
  const { pipelineWorkflow } = await import('../workflows/pipeline');
  const { pipelineSearchAttributes } = await import('../workflows/search-attributes');
  // An empty run id: each scheduled run takes its own from the workflow id Temporal gives it.
  const args: PipelineRequest = {
    task: request.task,
    runId: '',
    userHash: request.userHash ?? hashId(request.userId ?? '', hashSecret),
    groupHash: request.groupHash ?? hashId(request.groupId ?? '', hashSecret),
    ...(request.input === undefined ? {} : { input: request.input }),
    ...(description ? { description } : {}),
  };
  const memo: ScheduleMemo = {
    task: request.task,
    cron: request.cron,
    timezone: request.timezone,
    ...(request.recurrence === undefined ? {} : { recurrence: request.recurrence }),
  };
  const action: ScheduleOptionsStartWorkflowAction<Workflow> = {
    type: 'startWorkflow',
    workflowType: pipelineWorkflow,
    workflowId: pipelineWorkflowId(request.task, 'scheduled'),
    taskQueue,
    args: [args],
    memo: { ...memo },
    typedSearchAttributes: pipelineSearchAttributes(request.task, args.groupHash, 'scheduled'),
  };
  const spec = { cronExpressions: [request.cron], timezone: request.timezone };
  const policies = {
    overlap: TO_TEMPORAL[request.overlap ?? 'skip'],
    ...(request.catchupWindow ? { catchupWindow: request.catchupWindow as `${number}m` } : {}),
  };
  const id = scheduleId(request.task);
  const handle = client.schedule.getHandle(id);
  try {
    await handle.update((previous) => ({
      ...previous,
      spec,
      action,
      policies: { ...previous.policies, ...policies },
      state: {
        ...previous.state,
        ...(request.note === undefined ? {} : { note: request.note }),
        ...(request.paused === undefined ? {} : { paused: request.paused }),
      },
    }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create({
      scheduleId: id,
      spec,
      action,
      policies,
      state: {
        ...(request.note === undefined ? {} : { note: request.note }),
        ...(request.paused === undefined ? {} : { paused: request.paused }),
      },
    });
  }
}

/** The schedule info of a described schedule. */
export async function toScheduleInfo(client: Client, name: string, desc: ScheduleDescription): Promise<ScheduleInfo> {
  const memo = (desc.action.memo ?? {}) as Partial<ScheduleMemo>;
  const timezone = memo.timezone ?? desc.spec.timezone ?? 'UTC';
  const last = desc.info.recentActions.at(-1);
  let lastRun: ScheduleInfo['lastRun'];
  if (last && 'workflow' in last.action) {
    const wf = last.action.workflow;
    let status = 'unknown';
    try {
      status = (
        await client.workflow.getHandle(wf.workflowId, wf.firstExecutionRunId).describe()
      ).status.name.toLowerCase();
    } catch {
      // The run may have aged out of retention; the schedule still reports it.
    }
    lastRun = {
      runId: runIdFromWorkflowId(name, wf.workflowId) ?? wf.workflowId,
      startedAt: last.takenAt.toISOString(),
      status,
    };
  }
  const cron = memo.cron ?? '';
  const args = (desc.action.args?.[0] ?? {}) as Partial<PipelineRequest>;
  return {
    userHash: args.userHash ?? '',
    groupHash: args.groupHash ?? '',
    ...(args.input === undefined ? {} : { input: args.input }),
    ...(memo.recurrence === undefined ? {} : { recurrence: memo.recurrence }),
    ...(desc.policies.catchupWindow ? { catchupWindow: `${Math.round(desc.policies.catchupWindow / 1000)}s` } : {}),
    name,
    cron,
    timezone,
    paused: desc.state.paused,
    ...(desc.state.note ? { note: desc.state.note } : {}),
    overlap: fromTemporal(desc.policies.overlap),
    nextRuns: (desc.info.nextActionTimes.length > 0
      ? desc.info.nextActionTimes.slice(0, 3)
      : cron
        ? nextRuns(cron, timezone)
        : []
    ).map((d) => d.toISOString()),
    ...(lastRun ? { lastRun } : {}),
  };
}

/** Describes the schedule of `task`. @throws CascadenceError UNKNOWN_SCHEDULE. */
export async function describeSchedule(client: Client, task: string): Promise<ScheduleDescription> {
  try {
    return await client.schedule.getHandle(scheduleId(task)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new CascadenceError('UNKNOWN_SCHEDULE', `task ${task} has no schedule`, { hint: 'see `task schedules`' });
    }
    throw err;
  }
}

/**
 * Every Cascadence schedule (ids `cascadence-<task>`), sorted by task name. The listing comes
 * from visibility, which can still list a schedule deleted a moment ago: one that is gone by the
 * time it is described is left out.
 */
export async function listSchedules(client: Client): Promise<ScheduleInfo[]> {
  const names: string[] = [];
  for await (const s of client.schedule.list()) {
    const task = taskOfScheduleId(s.scheduleId);
    if (task) names.push(task);
  }
  names.sort();
  const found = await Promise.all(
    names.map(async (name) => {
      try {
        return await toScheduleInfo(client, name, await describeSchedule(client, name));
      } catch (err) {
        if (isCascadenceError(err) && err.code === 'UNKNOWN_SCHEDULE') return undefined;
        throw err;
      }
    }),
  );
  return found.filter((info): info is ScheduleInfo => info !== undefined);
}
