/**
 * The `cron` backend: the in-process pipeline (`base`) plus schedules kept in a schedules.yml
 * (hashed ids only) and run by an in-process cron scheduler (`task cron run`). The `dag`
 * variant runs a task's prerequisites (`dependsOn`) first, each once per run.
 */
import { randomUUID } from 'node:crypto';
import { CascadenceError } from '../core/errors';
import { hashId } from '../events/hash';
import { nextRuns } from '../schedules/cron';
import type { ScheduleEntry } from '../schedules/file';
import { ScheduleStore } from '../schedules/store';
import { validateScheduleRequest } from '../schedules/validate';
import { BaseBackend, type BaseBackendOptions } from './base';
import {
  assertKnown,
  unsupported,
  type RunOutcome,
  type RunRequest,
  type ScheduleInfo,
  type ScheduleRequest,
  type Schedules,
} from './backend';

/** Options of the cron backend. */
export interface CronBackendOptions extends BaseBackendOptions {
  schedulesPath: string;
  /** Default timezone of schedules. */
  timezone: string;
  /** Run each task's prerequisites first (the `dag` backend). */
  withDependencies?: boolean;
}

function unknownSchedule(task: string): CascadenceError {
  return new CascadenceError('UNKNOWN_SCHEDULE', `task ${task} has no schedule`, { hint: 'see `task schedules`' });
}

/** The cron (and dag) backend. */
export class CronBackend extends BaseBackend implements Schedules {
  override readonly name: string;
  readonly scheduleStore: ScheduleStore;

  constructor(private readonly cron: CronBackendOptions) {
    super(cron);
    this.name = cron.withDependencies ? 'cron-deps' : 'cron';
    this.scheduleStore = new ScheduleStore(cron.schedulesPath, cron.hashSecret);
  }

  /** Runs the task; on `cron-deps` its prerequisites run first unless the request says otherwise. */
  override async run(request: RunRequest): Promise<RunOutcome> {
    return super.run({
      ...request,
      withPrerequisites: request.withPrerequisites ?? this.cron.withDependencies ?? false,
    });
  }

  async schedule(request: ScheduleRequest): Promise<ScheduleInfo> {
    assertKnown(this.cron, request.task);
    if (request.calendar)
      throw unsupported(this.name, 'calendar_event schedules', 'calendar_event schedules need the temporal backend');
    const valid = validateScheduleRequest(request, this.cron.timezone);
    const previous = this.scheduleStore.get(request.task);
    const entry: ScheduleEntry = {
      name: request.task,
      cron: valid.cron,
      timezone: valid.timezone,
      userHash: request.userHash ?? hashId(request.userId ?? '', this.cron.hashSecret),
      groupHash: request.groupHash ?? hashId(request.groupId ?? '', this.cron.hashSecret),
      overlap: request.overlap ?? 'skip',
      paused: request.paused ?? previous?.paused ?? false,
      ...(request.note !== undefined ? { note: request.note } : previous?.note ? { note: previous.note } : {}),
      ...(request.input === undefined ? {} : { input: request.input }),
      ...(request.recurrence === undefined ? {} : { recurrence: request.recurrence }),
    };
    await this.scheduleStore.put(entry);
    return this.info(entry);
  }

  async unschedule(task: string): Promise<void> {
    if (!(await this.scheduleStore.remove(task))) throw unknownSchedule(task);
  }

  async schedules(): Promise<ScheduleInfo[]> {
    const runs = this.scheduleStore.lastRuns();
    return this.scheduleStore.read().map((e) => this.info(e, runs[e.name]));
  }

  async scheduleAction(task: string, action: 'pause' | 'resume' | 'trigger'): Promise<void> {
    const entry = this.scheduleStore.get(task);
    if (!entry) throw unknownSchedule(task);
    if (action === 'trigger') await this.runScheduled(entry);
    else await this.scheduleStore.put({ ...entry, paused: action === 'pause' });
  }

  /** Runs a stored schedule's task now and records it as the schedule's last run. */
  async runScheduled(entry: ScheduleEntry): Promise<RunOutcome> {
    const runId = randomUUID();
    const startedAt = new Date().toISOString();
    try {
      const outcome = await this.run({
        task: entry.name,
        runId,
        userId: '',
        groupId: '',
        userHash: entry.userHash,
        groupHash: entry.groupHash,
        ...(entry.input === undefined ? {} : { input: entry.input }),
      });
      await this.scheduleStore.recordRun(entry.name, { runId, startedAt, status: 'completed' });
      return outcome;
    } catch (err) {
      const code = (err as { code?: string }).code;
      await this.scheduleStore.recordRun(entry.name, {
        runId,
        startedAt,
        status: code === 'PRECHECK_FAILED' ? 'precheck_failed' : 'failed',
      });
      throw err;
    }
  }

  private info(e: ScheduleEntry, lastRun?: ScheduleInfo['lastRun']): ScheduleInfo {
    return {
      ...e,
      nextRuns: e.paused ? [] : nextRuns(e.cron, e.timezone).map((d) => d.toISOString()),
      ...(lastRun ? { lastRun } : {}),
    };
  }
}
