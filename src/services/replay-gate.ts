/**
 * The replay gate for deploys: the server's most recently closed runs of every Cascadence
 * workflow (pipelines and their subtasks, DAGs, calendar workflows, the event-driven workflows,
 * the task catalogue), replayed in parallel against today's workflow code. A run that no longer
 * replays is named with the first event it stops at, so a change that needs `patched()` is
 * caught before new workers meet old histories. Node-only.
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { closedRunsQuery } from '../backends/temporal/visibility';
import { CascadenceError, rootMessage } from '../core/errors';
import { SEARCH_ATTRIBUTE_RUN_ID, SEARCH_ATTRIBUTE_TASK } from '../core/ids';
import { resolveWorkflowBundle } from '../worker/bundle';
import { ReplayPool, type MismatchEvent } from '../worker/replay-pool';
import * as workflows from '../workflows';

/** The workflow types the gate replays: every workflow `src/workflows` exports. */
export const REPLAYED_WORKFLOW_TYPES: readonly string[] = Object.entries(workflows)
  .filter(([, value]) => typeof value === 'function')
  .map(([name]) => name)
  .sort();

/** How many histories replay at once by default. */
export const DEFAULT_REPLAY_CONCURRENCY = 4;

/** Options of {@link runReplayGate}. */
export interface ReplayGateOptions {
  client: Client;
  /** How many runs, most recently closed first (default: every closed run that matches). */
  recent?: number;
  /** Only the runs of this task (its pipelines and subtasks, or `dag:<name>`'s, and its calendar workflow). */
  task?: string;
  /** Only runs closed at or after this time. */
  closedAfter?: Date;
  /** Only runs on this task queue (one deployment's). */
  taskQueue?: string;
  /**
   * Workflow code to replay against (default: today's code: the prebuilt bundle when it matches
   * the compiled workflows, else `src/workflows` bundled now).
   */
  workflowBundle?: WorkflowBundleOption;
  /** Histories fetched and replayed at once (default {@link DEFAULT_REPLAY_CONCURRENCY}). */
  concurrency?: number;
}

/** A run the gate looked at. */
export interface ReplayGateRun {
  workflow_id: string;
  /** Temporal's run id of the execution. */
  run_id: string;
  /** The Cascadence run id (shared by a run, its subtasks and a DAG's nodes), where the run has one. */
  cascadence_run_id?: string;
  task?: string;
  type: string;
  /** How it closed: completed, failed, canceled, terminated, continued_as_new, timed_out. */
  status: string;
  closed?: string;
}

/** A run that no longer replays. */
export interface ReplayGateFailure extends ReplayGateRun {
  /** DeterminismViolationError (the code now does something else), ReplayError (a workflow task fails), ... */
  kind: string;
  error: string;
  /** The first event of its history that today's code does not replay. */
  event?: MismatchEvent;
}

/** What the gate found. */
export interface ReplayGateReport {
  /** The visibility query the runs came from. */
  query: string;
  /** Runs replayed. */
  replayed: number;
  ok: number;
  failed: number;
  /** Runs listed but gone before their history was fetched (retention). */
  skipped: number;
  /** Runs replayed, by workflow type. */
  types: Record<string, number>;
  concurrency: number;
  failures: ReplayGateFailure[];
}

/**
 * Replays the matching closed runs against today's workflow code (or `workflowBundle`), up to
 * `concurrency` at a time, and reports every run that no longer replays with its first
 * mismatching event. Resolves with the report whatever it found: {@link replayGateError} turns
 * failures into the error (exit 5).
 * @throws CascadenceError CONNECTION when the server cannot list runs or give a history.
 */
export async function runReplayGate(options: ReplayGateOptions): Promise<ReplayGateReport> {
  const query = closedRunsQuery({
    types: REPLAYED_WORKFLOW_TYPES,
    ...(options.task !== undefined ? { task: options.task } : {}),
    ...(options.closedAfter ? { closedAfter: options.closedAfter } : {}),
    ...(options.taskQueue !== undefined ? { taskQueue: options.taskQueue } : {}),
  });
  const runs = await listClosedRuns(options.client, query, options.recent ?? Infinity);
  const report: ReplayGateReport = {
    query,
    replayed: 0,
    ok: 0,
    failed: 0,
    skipped: 0,
    types: {},
    concurrency: Math.max(1, Math.floor(options.concurrency ?? DEFAULT_REPLAY_CONCURRENCY)),
    failures: [],
  };
  if (runs.length === 0) return report;
  const pool = new ReplayPool({
    workflowBundle: options.workflowBundle ?? (await resolveWorkflowBundle()),
    concurrency: report.concurrency,
  });
  const found: Array<ReplayGateFailure | undefined> = [];
  let next = 0;
  try {
    // Each lane fetches and replays one run at a time, so at most `concurrency` histories are held at once.
    await Promise.all(
      Array.from({ length: Math.min(pool.concurrency, runs.length) }, () =>
        pool.withLane(async (replay) => {
          for (let i = next++; i < runs.length; i = next++) {
            const run = runs[i] as ReplayGateRun;
            const history = await fetchHistory(options.client, run);
            if (history === undefined) {
              report.skipped++;
              continue;
            }
            const check = await replay({ workflowId: run.workflow_id, history });
            report.replayed++;
            report.types[run.type] = (report.types[run.type] ?? 0) + 1;
            if (check.ok) report.ok++;
            else {
              report.failed++;
              found[i] = {
                ...run,
                kind: check.kind,
                error: check.error,
                ...(check.event ? { event: check.event } : {}),
              };
            }
          }
        }),
      ),
    );
  } finally {
    await pool.close();
  }
  // Most recently closed first, as listed.
  report.failures = found.filter((f): f is ReplayGateFailure => f !== undefined);
  return report;
}

async function listClosedRuns(client: Client, query: string, limit: number): Promise<ReplayGateRun[]> {
  const runs: ReplayGateRun[] = [];
  if (limit <= 0) return runs;
  try {
    // Visibility lists closed runs most recently closed first.
    for await (const wf of client.workflow.list({ query })) {
      runs.push(toRun(wf));
      if (runs.length >= limit) break;
    }
  } catch (err) {
    throw new CascadenceError('CONNECTION', `cannot list closed runs: ${rootMessage(err).split('\n')[0]}`, {
      cause: err,
    });
  }
  return runs;
}

function toRun(wf: WorkflowExecutionInfo): ReplayGateRun {
  const attribute = (name: string): string | undefined => {
    const value = wf.searchAttributes[name]?.[0];
    return typeof value === 'string' ? value : undefined;
  };
  const runId = attribute(SEARCH_ATTRIBUTE_RUN_ID);
  const task = attribute(SEARCH_ATTRIBUTE_TASK);
  return {
    workflow_id: wf.workflowId,
    run_id: wf.runId,
    ...(runId !== undefined ? { cascadence_run_id: runId } : {}),
    ...(task !== undefined ? { task } : {}),
    type: wf.type,
    status: wf.status.name.toLowerCase(),
    ...(wf.closeTime ? { closed: wf.closeTime.toISOString() } : {}),
  };
}

/** The run's history, or undefined when the server no longer has the run. @throws CascadenceError CONNECTION. */
async function fetchHistory(client: Client, run: ReplayGateRun): Promise<unknown> {
  try {
    return await client.workflow.getHandle(run.workflow_id, run.run_id).fetchHistory();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw new CascadenceError(
      'CONNECTION',
      `cannot fetch the history of ${run.workflow_id} (run ${run.run_id}): ${rootMessage(err).split('\n')[0]}`,
      { cause: err },
    );
  }
}

/** `event 5 MarkerRecorded (core_local_activity)`. */
export function describeMismatchEvent(event: MismatchEvent | undefined): string {
  if (!event) return 'no single event';
  return `event ${event.id} ${event.type}${event.detail ? ` (${event.detail})` : ''}`;
}

/** The report as lines: what was replayed, then one line per run that no longer replays. */
export function formatReplayGateReport(report: ReplayGateReport): string[] {
  if (report.replayed === 0 && report.skipped === 0) return ['no closed runs to replay'];
  const types = Object.entries(report.types)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const lines = [
    `replayed ${report.replayed} closed run${report.replayed === 1 ? '' : 's'} (${types || 'none'}), ${report.concurrency} at a time: ${report.ok} ok, ${report.failed} no longer replay${report.failed === 1 ? 's' : ''}` +
      (report.skipped > 0 ? `, ${report.skipped} gone before fetched` : ''),
  ];
  for (const f of report.failures) {
    const closed = f.closed ? ` ${f.closed}` : '';
    lines.push(
      `FAIL ${f.workflow_id} (run ${f.run_id}, ${f.type}, ${f.status}${closed}): ${describeMismatchEvent(f.event)}: ${f.error}`,
    );
  }
  return lines;
}

/** The error of a report with failures (REPLAY_MISMATCH, exit 5), its failures as data; undefined when every run replayed. */
export function replayGateError(report: ReplayGateReport): CascadenceError | undefined {
  if (report.failed === 0) return undefined;
  const first = report.failures[0] as ReplayGateFailure;
  const more = report.failed > 1 ? ` and ${report.failed - 1} more` : '';
  return new CascadenceError(
    'REPLAY_MISMATCH',
    `${report.failed} of ${report.replayed} closed runs no longer replay against this workflow code: ${first.workflow_id} at ${describeMismatchEvent(first.event)}${more}`,
    {
      hint: 'guard the change with patched() so old histories take the old path, or keep the old workers until those runs are gone',
      data: report.failures,
    },
  );
}
