/**
 * Schedules on the temporal backend: Temporal Schedules (`cascadence-<task>`, the adapter in
 * `src/schedules/temporal.ts`), or calendar-driven ones (`./calendar`). Node-only.
 */
import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import { scheduleId } from '../../core/ids';
import { assertKnown, type ScheduleInfo, type ScheduleRequest, type Schedules, type TaskCatalogue } from '../backend';
import { scheduleFromCalendar, stopCalendarSchedule } from './calendar';

/** What the schedules need of the backend's settings. */
export interface TemporalScheduleSettings extends TaskCatalogue {
  taskQueue: string;
  hashSecret: string;
  /** Default timezone of schedules (default UTC). */
  timezone?: string;
}

/** The temporal backend's schedules. */
export class TemporalSchedules implements Schedules {
  constructor(
    private readonly client: Client,
    private readonly options: TemporalScheduleSettings,
  ) {}

  async schedule(request: ScheduleRequest): Promise<ScheduleInfo> {
    assertKnown(this.options, request.task);
    if (request.calendar) return scheduleFromCalendar(this.client, this.options, request, request.calendar);
    const schedules = await import('../../schedules/temporal');
    const valid = schedules.validateScheduleRequest(request, this.options.timezone ?? 'UTC');
    await schedules.upsertSchedule(
      this.client,
      this.options.taskQueue,
      this.options.hashSecret,
      valid,
      this.options.registry.describe(request.task),
    );
    return schedules.toScheduleInfo(
      this.client,
      request.task,
      await schedules.describeSchedule(this.client, request.task),
    );
  }

  async unschedule(task: string): Promise<void> {
    const { describeSchedule } = await import('../../schedules/temporal');
    await stopCalendarSchedule(this.client, task);
    await describeSchedule(this.client, task);
    await this.client.schedule.getHandle(scheduleId(task)).delete();
  }

  async schedules(): Promise<ScheduleInfo[]> {
    const { listSchedules } = await import('../../schedules/temporal');
    return listingSlots(() => listSchedules(this.client));
  }

  async scheduleAction(task: string, action: 'pause' | 'resume' | 'trigger'): Promise<void> {
    const { describeSchedule } = await import('../../schedules/temporal');
    // Pausing replaces the schedule's note; keep the user's note rather than a status message.
    const { note } = (await describeSchedule(this.client, task)).state;
    const handle = this.client.schedule.getHandle(scheduleId(task));
    if (action === 'pause') await handle.pause(note ?? '');
    else if (action === 'resume') await handle.unpause(note ?? '');
    else await handle.trigger();
  }
}

/**
 * Schedule listings read at once in this process; the rest wait their turn, first come first
 * served. A listing describes every schedule: without a bound, a crowd of listings (the HTTP
 * fuzzing sent 128 `GET /schedules` at once) piles those reads on the server and some starve
 * past their clients' timeouts.
 */
const listingSlots = pLimit(8);
