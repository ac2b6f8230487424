/**
 * The schedule model every schedule store shares (Temporal Schedules, the cron backend's
 * schedules.yml, Cronyx jobs): what a caller asks for and what a listing shows. Node-only.
 */

/** Overlap policies of a schedule: what happens when a run is due while the previous one still runs. */
export const OVERLAP_POLICIES = [
  'skip',
  'buffer-one',
  'buffer-all',
  'cancel-other',
  'terminate-other',
  'allow-all',
] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** A schedule as a caller asks for it. Raw ids: hashed before they go anywhere. */
export interface ScheduleRequest {
  task: string;
  cron: string;
  /** Raw user id (hashed here), or `userHash` when only the hash is known (an exported file). */
  userId?: string;
  groupId?: string;
  userHash?: string;
  groupHash?: string;
  timezone?: string;
  overlap?: OverlapPolicy;
  /** How late a missed run may still start after an outage, e.g. `10m`. */
  catchupWindow?: string;
  /** Free text kept with the schedule (a plain-text `recurrence` of a schedules file goes here too). */
  note?: string;
  /** A schedules file's structured `recurrence` (the original's `{cron, note}`), kept as written and shown by `task schedules`. */
  recurrence?: unknown;
  /** Task input for every run. */
  input?: unknown;
  /** Create (or leave) the schedule paused; unset keeps an existing schedule's state. */
  paused?: boolean;
  /**
   * Take the cron from a UME calendar event instead of `cron`: fetched from
   * `UME_BASE_URL/v1/calendar/nodes/<node>` (its `recurrence.cron`), and re-checked every
   * `poll` seconds when given.
   */
  calendar?: { node: string; poll?: number };
}

/** A schedule as `task schedules` shows it. */
export interface ScheduleInfo {
  name: string;
  cron: string;
  timezone: string;
  paused: boolean;
  note?: string;
  overlap: OverlapPolicy;
  /** ISO times of the next three runs. */
  nextRuns: string[];
  lastRun?: { runId: string; startedAt: string; status: string };
  userHash: string;
  groupHash: string;
  catchupWindow?: string;
  /** Task input of every run, if any. */
  input?: unknown;
  /** The structured recurrence it was loaded with, if any. */
  recurrence?: unknown;
}
