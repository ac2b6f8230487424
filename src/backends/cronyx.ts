/**
 * The `cronyx` backend: tasks and jobs live on a CronyxServer reached over HTTP
 * (`CRONYX_BASE_URL`; protocol in docs/cronyx-openapi.yaml). Ids are sent hashed. Each request
 * has a timeout (`CRONYX_TIMEOUT`, default 5 s) and is retried with exponential backoff when
 * the server cannot be reached or answers 502/503/504; an unreachable server is a clear error
 * after the retries, never a hang.
 */
import { assertFlagsAllowRun } from '../core/task-flags';
import { CascadenceError, type ErrorCode } from '../core/errors';
import { hashId } from '../events/hash';
import type { CascadenceConfig } from '../config/config';
import { nextRuns } from '../schedules/cron';
import { validateScheduleRequest } from '../schedules/validate';
import {
  unsupported,
  type Backend,
  type PauseTarget,
  type RunOutcome,
  type RunRequest,
  type ScheduleInfo,
  type Schedules,
  type ScheduleRequest,
  type TaskCatalogue,
  type TaskInfo,
} from './backend';

/** Options of the cronyx backend. */
export interface CronyxBackendOptions extends TaskCatalogue {
  hashSecret: string;
  config: Pick<CascadenceConfig, 'cronyxBaseUrl' | 'cronyxTimeout' | 'cronyxRefresh' | 'timezone'>;
  /** Attempts per request (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubled each retry (default 250). */
  backoffMs?: number;
}

interface RemoteTask {
  id: string;
  name?: string;
  description?: string;
}

interface RemoteJob {
  job_id: string;
  task: string;
  cron: string;
  user_id?: string;
  group_id?: string;
  runs?: number;
}

/** How often the task list is refreshed when `cronyx_refresh` is on. */
const REFRESH_MS = 60_000;
const RETRY_STATUSES = new Set([502, 503, 504]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The cronyx backend. */
/** Runs and schedules jobs on a CronyxServer; no run operations (its jobs run synchronously), no DAGs. */
export class CronyxBackend implements Backend, Schedules {
  readonly name = 'cronyx';
  private readonly baseUrl: string;
  private tasks: { at: number; list: RemoteTask[] } | undefined;

  constructor(private readonly options: CronyxBackendOptions) {
    const url = options.config.cronyxBaseUrl;
    if (!url) {
      throw new CascadenceError('CONFIG', 'the cronyx backend needs CRONYX_BASE_URL', {
        hint: 'set CRONYX_BASE_URL (or cronyx_base_url in the config file) to the CronyxServer, e.g. http://127.0.0.1:8787',
      });
    }
    this.baseUrl = url.replace(/\/+$/, '');
  }

  /**
   * One request with timeout and retries.
   * @throws CascadenceError CONNECTION when the server cannot be reached after the retries.
   */
  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const attempts = this.options.attempts ?? 3;
    const timeoutMs = this.options.config.cronyxTimeout * 1000;
    let lastError = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(`${this.baseUrl}${path}`, {
          method,
          signal: AbortSignal.timeout(timeoutMs),
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        });
        const text = await res.text();
        if (RETRY_STATUSES.has(res.status)) lastError = `HTTP ${res.status}`;
        else return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        lastError =
          e.name === 'TimeoutError'
            ? `no answer within ${this.options.config.cronyxTimeout}s`
            : (e.cause?.code ?? e.message);
      }
      if (attempt < attempts) await sleep((this.options.backoffMs ?? 250) * 2 ** (attempt - 1));
    }
    throw new CascadenceError(
      'CONNECTION',
      `cannot reach Cronyx at ${this.baseUrl} after ${attempts} attempts: ${lastError}`,
      {
        hint: 'start the CronyxServer or fix CRONYX_BASE_URL',
      },
    );
  }

  /** The server's error for a non-2xx answer, as a CascadenceError. */
  private failure(status: number, json: unknown, what: string): CascadenceError {
    const message = (json as { error?: string } | undefined)?.error ?? `HTTP ${status}`;
    const code: ErrorCode = status === 404 ? 'UNKNOWN_TASK' : status === 400 ? 'VALIDATION' : 'STAGE_FAILED';
    return new CascadenceError(code, `${what}: ${message}`);
  }

  private async remoteTasks(): Promise<RemoteTask[]> {
    const fresh = this.tasks && (!this.options.config.cronyxRefresh || Date.now() - this.tasks.at < REFRESH_MS);
    if (fresh && this.tasks) return this.tasks.list;
    const { status, json } = await this.call('GET', '/tasks');
    if (status !== 200 || !Array.isArray(json)) throw this.failure(status, json, 'listing Cronyx tasks');
    this.tasks = { at: Date.now(), list: json as RemoteTask[] };
    return this.tasks.list;
  }

  /** @throws CascadenceError UNKNOWN_TASK listing the server's tasks. */
  private async assertRemoteTask(task: string): Promise<void> {
    const list = await this.remoteTasks();
    if (!list.some((t) => t.id === task)) {
      throw new CascadenceError(
        'UNKNOWN_TASK',
        `unknown task ${JSON.stringify(task)}; Cronyx tasks: ${list.map((t) => t.id).join(', ')}`,
      );
    }
  }

  async list(): Promise<TaskInfo[]> {
    const flags = await this.options.state.allFlags();
    return (await this.remoteTasks()).map((t) => ({
      name: t.id,
      enabled: !flags[t.id]?.disabled,
      paused: Boolean(flags[t.id]?.paused),
      kind: 'task',
      ...(t.description ? { description: t.description } : {}),
      origin: `cronyx:${this.baseUrl}`,
    }));
  }

  private ids(request: { userId?: string; groupId?: string; userHash?: string; groupHash?: string }) {
    return {
      user_id: request.userHash ?? hashId(request.userId ?? '', this.options.hashSecret),
      group_id: request.groupHash ?? hashId(request.groupId ?? '', this.options.hashSecret),
    };
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    if (request.withPrerequisites) {
      throw unsupported(this.name, '--with-deps', 'Cronyx tasks have no dependsOn here: run them without --with-deps');
    }
    if (!request.userId && !request.userHash)
      throw new CascadenceError('USAGE', 'a user id is required', { hint: 'pass --user-id' });
    if (!request.groupId && !request.groupHash)
      throw new CascadenceError('USAGE', 'a group id is required', { hint: 'pass --group-id' });
    await this.assertRemoteTask(request.task);
    assertFlagsAllowRun(request.task, await this.options.state.flagsOf(request.task));
    const { status, json } = await this.call('POST', '/jobs', {
      task: request.task,
      ...this.ids(request),
      ...(request.input === undefined ? {} : { input: request.input }),
    });
    if (status !== 200) throw this.failure(status, json, `${request.task} failed`);
    const job = json as { job_id: string; result: unknown };
    return { runId: job.job_id, result: job.result };
  }

  private async flag(task: string, patch: { paused?: boolean; disabled?: boolean }): Promise<boolean> {
    await this.assertRemoteTask(task);
    // The registry of this process does not hold remote tasks: flag them directly.
    return (await this.options.state.setFlags({ task, ...patch })).changed;
  }

  async pause(task: string): Promise<PauseTarget> {
    return { target: 'task', changed: await this.flag(task, { paused: true }) };
  }

  async resume(task: string): Promise<PauseTarget> {
    return { target: 'task', changed: await this.flag(task, { paused: false }) };
  }

  async disable(task: string): Promise<void> {
    await this.flag(task, { disabled: true });
  }

  async enable(task: string): Promise<void> {
    await this.flag(task, { disabled: false });
  }

  private toInfo(job: RemoteJob): ScheduleInfo {
    const timezone = 'UTC';
    return {
      name: job.task,
      cron: job.cron,
      timezone,
      paused: false,
      overlap: 'allow-all',
      nextRuns: nextRuns(job.cron, timezone).map((d) => d.toISOString()),
      userHash: job.user_id ?? '',
      groupHash: job.group_id ?? '',
    };
  }

  private async jobs(): Promise<RemoteJob[]> {
    const { status, json } = await this.call('GET', '/jobs');
    if (status !== 200 || !Array.isArray(json)) throw this.failure(status, json, 'listing Cronyx jobs');
    return json as RemoteJob[];
  }

  async schedule(request: ScheduleRequest): Promise<ScheduleInfo> {
    if (request.calendar)
      throw unsupported(this.name, 'calendar_event schedules', 'calendar_event schedules need the temporal backend');
    // The CronyxServer runs its schedules in UTC.
    const valid = validateScheduleRequest({ ...request, timezone: 'UTC' }, 'UTC');
    await this.assertRemoteTask(request.task);
    const { status, json } = await this.call('POST', '/jobs', {
      task: request.task,
      cron: valid.cron,
      ...this.ids(request),
      ...(request.input === undefined ? {} : { input: request.input }),
    });
    if (status !== 201 && status !== 200) throw this.failure(status, json, `scheduling ${request.task}`);
    const job = json as RemoteJob;
    return this.toInfo({ ...job, ...this.ids(request) });
  }

  async unschedule(task: string): Promise<void> {
    const job = (await this.jobs()).find((j) => j.task === task);
    if (!job)
      throw new CascadenceError('UNKNOWN_SCHEDULE', `task ${task} has no schedule`, { hint: 'see `task schedules`' });
    const { status, json } = await this.call('DELETE', `/jobs/${encodeURIComponent(job.job_id)}`);
    if (status !== 204 && status !== 200) throw this.failure(status, json, `unscheduling ${task}`);
  }

  async schedules(): Promise<ScheduleInfo[]> {
    return (await this.jobs()).map((j) => this.toInfo(j)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The Cronyx protocol has no pause, resume or run-now of a job. */
  async scheduleAction(_task: string, action: 'pause' | 'resume' | 'trigger'): Promise<void> {
    throw unsupported(
      this.name,
      `schedule ${action}`,
      `Cronyx jobs cannot ${action}: unschedule and schedule again, or \`task run\``,
    );
  }

  async close(): Promise<void> {}
}
