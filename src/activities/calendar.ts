/**
 * Activities of calendar-driven schedules: fetch a UME calendar event's recurrence, and point
 * the task's Temporal Schedule at it. They need a Temporal client and `UME_BASE_URL`.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { CascadenceError, type ErrorCode } from '../core/errors';
import { toApplicationFailure } from '../core/failure';
import { validateCron } from '../schedules/cron';
import { startHeartbeat } from './heartbeat';

/** Dependencies of the calendar activities. */
export interface CalendarDeps {
  client: Client;
  taskQueue: string;
  umeBaseUrl: string | undefined;
  /** Seconds per UME request (default 5). */
  timeoutSeconds?: number;
}

/** What a schedule driven by a calendar event is given. */
export interface CalendarScheduleInput {
  task: string;
  node: string;
  timezone: string;
  userHash: string;
  groupHash: string;
  /** Task input of every run of the schedule. */
  input?: unknown;
}

/** The calendar activities' type, imported by workflows as a type only. */
export interface CalendarActivities {
  /** The event's recurrence cron. @throws ApplicationFailure CALENDAR (bad or missing recurrence, non-retryable) or a retryable fetch error. */
  fetchCalendarCron(input: CalendarScheduleInput): Promise<string>;
  /** Creates or updates the task's schedule with `cron`; returns whether it changed. */
  applyCalendarCron(input: CalendarScheduleInput & { cron: string }): Promise<boolean>;
}

/** A non-retryable failure of a calendar activity. */
const failure = (code: ErrorCode, message: string): Error =>
  toApplicationFailure(new CascadenceError(code, message), true);

/**
 * Runs `fn` heartbeating (the workflow gives these activities the stages' heartbeat timeout), so
 * a worker that dies during a slow UME or Temporal call is noticed in seconds, not at the 30 s
 * start-to-close timeout.
 */
async function heartbeating<R>(fn: () => Promise<R>): Promise<R> {
  const beats = startHeartbeat(Context.current());
  try {
    return await fn();
  } finally {
    beats.stop();
  }
}

/** Creates the calendar activities (each heartbeats while it runs). */
export function createCalendarActivities(deps: CalendarDeps): CalendarActivities {
  const activities: CalendarActivities = {
    async fetchCalendarCron(input) {
      if (!deps.umeBaseUrl) {
        throw failure('CONFIG', 'UME_BASE_URL is not configured');
      }
      const node = input.node.replace(/^\/+/, '');
      const url = `${deps.umeBaseUrl.replace(/\/+$/, '')}/v1/calendar/nodes/${encodeURIComponent(node)}?user_id=${input.userHash}&group_id=${input.groupHash}`;
      const res = await fetch(url, { signal: AbortSignal.timeout((deps.timeoutSeconds ?? 5) * 1000) });
      if (res.status === 404) {
        throw failure('CALENDAR', `calendar node ${node} not found`);
      }
      if (!res.ok) throw new Error(`UME answered HTTP ${res.status} for calendar node ${node}`);
      const event = (await res.json()) as { recurrence?: { cron?: unknown } };
      const cron = event?.recurrence?.cron;
      if (typeof cron !== 'string' || cron.trim() === '') {
        throw failure('CALENDAR', 'event missing recurrence cron');
      }
      try {
        return validateCron(cron, input.timezone);
      } catch (err) {
        throw failure('CALENDAR', (err as Error).message);
      }
    },

    async applyCalendarCron(input) {
      const { describeSchedule, toScheduleInfo, upsertSchedule } = await import('../schedules/temporal');
      let before: string | undefined;
      try {
        before = (await toScheduleInfo(deps.client, input.task, await describeSchedule(deps.client, input.task))).cron;
      } catch {
        before = undefined; // no schedule yet
      }
      if (before === input.cron) return false;
      await upsertSchedule(deps.client, deps.taskQueue, '', {
        task: input.task,
        cron: input.cron,
        timezone: input.timezone,
        userHash: input.userHash,
        groupHash: input.groupHash,
        note: `from calendar node ${input.node}`,
        ...(input.input === undefined ? {} : { input: input.input }),
      });
      return true;
    },
  };
  return {
    fetchCalendarCron: (input) => heartbeating(() => activities.fetchCalendarCron(input)),
    applyCalendarCron: (input) => heartbeating(() => activities.applyCalendarCron(input)),
  };
}
