/**
 * `calendarScheduleWorkflow`: keeps a task's Temporal Schedule on the cron of a UME calendar
 * event. It fetches the event's recurrence, applies it, and (with a poll interval) re-checks it
 * every `pollSeconds`; a failed fetch keeps the last schedule and tries again at the next poll.
 * Continues as new every 100 polls so its history stays small.
 */
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { CalendarActivities, CalendarScheduleInput } from '../activities/calendar';
import { CascadenceError, rootMessage } from '../core/errors';
import { DEFAULT_HEARTBEAT_TIMEOUT } from '../core/task';
import { toWorkflowFailure } from './failure';

/** Each call within 30 s; the activities heartbeat, so a dead worker is noticed within the heartbeat timeout. */
const { fetchCalendarCron, applyCalendarCron } = proxyActivities<CalendarActivities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: DEFAULT_HEARTBEAT_TIMEOUT,
  retry: { maximumAttempts: 3, initialInterval: '1s' },
});

/** Input: the schedule's task and ids, the calendar node, and an optional poll interval. */
export interface CalendarScheduleRequest extends CalendarScheduleInput {
  pollSeconds?: number;
}

const POLLS_PER_RUN = 100;

/** Runs until cancelled (with a poll interval) or after one fetch (without). Returns the last cron applied. */
export async function calendarScheduleWorkflow(request: CalendarScheduleRequest): Promise<string | undefined> {
  let last: string | undefined;
  for (let poll = 0; poll < POLLS_PER_RUN; poll++) {
    try {
      const cron = await fetchCalendarCron(request);
      await applyCalendarCron({ ...request, cron });
      last = cron;
    } catch (err) {
      // Without polling there is no next chance: the failure is the answer.
      if (!request.pollSeconds) {
        throw toWorkflowFailure(new CascadenceError('CALENDAR', rootMessage(err)));
      }
    }
    if (!request.pollSeconds) return last;
    await sleep(request.pollSeconds * 1000, { summary: `next calendar poll in ${request.pollSeconds}s` });
  }
  return continueAsNew<typeof calendarScheduleWorkflow>(request);
}
