/**
 * The in-process cron scheduler of the `cron` backend (`task cron run`): one croner job per
 * stored schedule, re-created whenever schedules.yml changes, so schedules survive restarts.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { Cron } from 'croner';
import { rootMessage } from '../core/errors';
import type { ScheduleEntry } from './file';
import type { ScheduleStore } from './store';

/** What the scheduler drives: the stored schedules, and a way to run one of them now (the cron backends). */
export interface ScheduledRunner {
  readonly scheduleStore: ScheduleStore;
  runScheduled(entry: ScheduleEntry): Promise<{ runId: string }>;
}

/** True for a backend whose schedules this process runs (the cron backends). */
export function isScheduledRunner(value: unknown): value is ScheduledRunner {
  const v = value as Partial<ScheduledRunner> | null;
  return typeof v === 'object' && v !== null && typeof v.runScheduled === 'function' && v.scheduleStore !== undefined;
}

/** Runs the stored schedules of a cron backend until stopped. */
export class CronScheduler {
  private jobs: Cron[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private signature = '';

  constructor(
    private readonly backend: ScheduledRunner,
    private readonly log: (line: string) => void,
    private readonly knownTasks: ReadonlySet<string>,
  ) {}

  /** Loads the schedules and starts watching the file for changes (checked every second). */
  start(): number {
    const count = this.reload();
    watchFile(this.backend.scheduleStore.path, { interval: 1000 }, () => this.reload());
    return count;
  }

  /** Re-creates the jobs from the file; keeps the old ones if the file is unreadable. */
  reload(): number {
    let entries: ScheduleEntry[];
    try {
      entries = this.backend.scheduleStore.read();
    } catch (err) {
      this.log(`schedules not reloaded: ${rootMessage(err)}`);
      return this.jobs.length;
    }
    const signature = JSON.stringify(entries);
    if (signature === this.signature) return this.jobs.length;
    this.signature = signature;
    for (const job of this.jobs) job.stop();
    this.jobs = [];
    for (const entry of entries) {
      if (entry.paused) continue;
      if (!entry.cron) {
        this.log(`${entry.name}: skipped, a calendar_event schedule needs the temporal backend`);
        continue;
      }
      if (!this.knownTasks.has(entry.name)) {
        this.log(`${entry.name}: skipped, no such task is registered`);
        continue;
      }
      this.jobs.push(
        new Cron(
          entry.cron,
          // Only `allow-all` lets runs of one schedule overlap; every other policy skips a run due while one is running.
          { timezone: entry.timezone, legacyMode: true, protect: entry.overlap !== 'allow-all', name: entry.name },
          () => this.fire(entry),
        ),
      );
    }
    this.log(`${this.jobs.length} schedule(s) active`);
    return this.jobs.length;
  }

  private fire(entry: ScheduleEntry): Promise<void> {
    this.log(`${entry.name}: run started`);
    const run = this.backend.runScheduled(entry).then(
      (outcome) => this.log(`${entry.name}: run ${outcome.runId} completed`),
      (err: unknown) => this.log(`${entry.name}: run failed: ${rootMessage(err)}`),
    );
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return run;
  }

  /** Stops scheduling and waits for runs in flight. */
  async stop(): Promise<void> {
    unwatchFile(this.backend.scheduleStore.path);
    for (const job of this.jobs) job.stop();
    this.jobs = [];
    await Promise.all(this.inFlight);
  }
}
