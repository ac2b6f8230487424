/**
 * Calendar-driven schedules on the temporal backend: a `calendarScheduleWorkflow` keeps the
 * task's Temporal Schedule on the cron of a UME calendar event. Node-only.
 */
import type { Client } from '@temporalio/client';
import { CascadenceError, rootMessage } from '../../core/errors';
import { calendarWorkflowId } from '../../core/ids';
import { hashId } from '../../events/hash';
import type { ScheduleInfo, ScheduleRequest } from '../backend';
import type { TemporalScheduleSettings } from './schedules';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A schedule whose cron comes from a UME calendar event: a `calendarScheduleWorkflow`
 * (`cascadence-<task>-calendar`, replacing any earlier one) fetches it and keeps the schedule
 * on it. Without `poll` it fetches once and ends; the answer is then the schedule it made.
 */
export async function scheduleFromCalendar(
  client: Client,
  options: Pick<TemporalScheduleSettings, 'taskQueue' | 'hashSecret' | 'timezone'>,
  request: ScheduleRequest,
  calendar: { node: string; poll?: number },
): Promise<ScheduleInfo> {
  if (!request.userId && !request.userHash)
    throw new CascadenceError('USAGE', 'a user id is required', { hint: 'pass --user-id' });
  if (!request.groupId && !request.groupHash)
    throw new CascadenceError('USAGE', 'a group id is required', { hint: 'pass --group-id' });
  const { validateTimezone } = await import('../../schedules/cron');
  const timezone = validateTimezone(request.timezone ?? options.timezone ?? 'UTC');
  const { calendarScheduleWorkflow } = await import('../../workflows/calendar');
  const handle = await client.workflow.start(calendarScheduleWorkflow, {
    taskQueue: options.taskQueue,
    workflowId: calendarWorkflowId(request.task),
    workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    args: [
      {
        task: request.task,
        node: calendar.node,
        timezone,
        userHash: request.userHash ?? hashId(request.userId ?? '', options.hashSecret),
        groupHash: request.groupHash ?? hashId(request.groupId ?? '', options.hashSecret),
        ...(calendar.poll ? { pollSeconds: calendar.poll } : {}),
        ...(request.input === undefined ? {} : { input: request.input }),
      },
    ],
  });
  const { describeSchedule, toScheduleInfo } = await import('../../schedules/temporal');
  if (!calendar.poll) {
    try {
      await handle.result();
    } catch (err) {
      throw new CascadenceError('VALIDATION', `calendar event ${calendar.node}: ${rootMessage(err)}`, { cause: err });
    }
  } else {
    // The first fetch happens at once; wait for it so the caller sees the schedule it made.
    for (let i = 0; i < 50; i++) {
      try {
        return await toScheduleInfo(client, request.task, await describeSchedule(client, request.task));
      } catch {
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') break;
        await sleep(200);
      }
    }
  }
  return toScheduleInfo(client, request.task, await describeSchedule(client, request.task));
}

/** Stops the calendar workflow of `task`'s schedule, if it has one. */
export async function stopCalendarSchedule(client: Client, task: string): Promise<void> {
  await client.workflow
    .getHandle(calendarWorkflowId(task))
    .terminate('unscheduled')
    .catch(() => undefined);
}
