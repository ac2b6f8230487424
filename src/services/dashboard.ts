/**
 * What the dashboard shows, gathered once for every client (the dashboard's pages, and the API
 * should it want the same rows): each task with its flags, kind, schedule, last run and the
 * caller's pointer count; the caller's idea seeds; recent runs; and one run in detail (its
 * status, input, result and, for a DAG run, its definition). Each part asks the backend for the
 * capability it needs and is left out when the backend lacks it. Node-only.
 */
import pLimit from 'p-limit';
import type { Backend, TaskInfo } from '../backends/backend';
import { hasCapability } from '../backends/backend';
import type { CascadenceConfig } from '../config/config';
import type { DagDefinition, DagStatus, PipelineStatus, TaskKind } from '../core';
import { isCascadenceError, rootMessage } from '../core/errors';
import type { TaskDescription } from '../core/task';
import type { TaskRegistry } from '../plugins/registry';
import { IdeaStore, type IdeaSeed } from '../stores/idea-store';
import { PointerStore } from '../stores/pointer-store';
import { dagWorkflowId, pipelineWorkflowId } from '../core/ids';
import { listRuns, webUiRunUrl, type RunListing } from './runs';

/** Whose view it is: hashed ids only. */
export interface Viewer {
  userHash: string;
  groupHash: string;
}

/** What the dashboard service reads from. */
export interface DashboardDeps {
  backend: Backend;
  config: Pick<CascadenceConfig, 'pointersPath' | 'ideasPath' | 'webUiUrl' | 'namespace'>;
  registry: TaskRegistry;
}

/** A task's status as the dashboard shows it: disabled wins over paused. */
export type TaskStatus = 'enabled' | 'disabled' | 'paused';

/** One row of the task table. */
export interface TaskRow {
  name: string;
  kind: TaskKind;
  description?: string;
  status: TaskStatus;
  enabled: boolean;
  paused: boolean;
  /** The task's schedule, when it has one. */
  schedule?: { cron: string; timezone: string; paused: boolean; nextRun?: string };
  /** Its newest top-level run. */
  lastRun?: RunListing;
  /** How many pointers the viewer holds for it. */
  pointers: number;
}

/** Everything on the dashboard's front page. */
export interface DashboardOverview {
  backend: string;
  tasks: TaskRow[];
  /** The viewer's idea seeds, newest first. */
  ideas: IdeaSeed[];
  /** Recent top-level runs, newest first (empty when the backend cannot browse runs). */
  runs: RunListing[];
  /** Parts that could not be read (a corrupt store, an unreachable visibility store): one line each. */
  problems: string[];
}

/** A run in detail, as its page shows it. */
export interface RunDetail {
  runRef: string;
  kind: 'pipeline' | 'dag';
  status: PipelineStatus | DagStatus;
  running: boolean;
  /** The pipeline's task as registered (its steps), when it is registered here. */
  task?: TaskDescription;
  /** The DAG's definition (from the run's own input), for a DAG run. */
  definition?: DagDefinition;
  /** The run's input, when its history could be read. */
  input?: unknown;
  /** The result of a finished run. */
  result?: unknown;
  /** Why a finished run has no result (it failed or was cancelled). */
  error?: string;
  /** The run's page in the Temporal Web UI. */
  url: string;
}

const RECENT_RUNS = 20;

function message(err: unknown): string {
  return isCascadenceError(err) ? err.message : (rootMessage(err).split('\n')[0] ?? String(err));
}

/** Rows of the task table, ideas and recent runs for `viewer`. Never throws for one broken part. */
export function dashboardOverview(deps: DashboardDeps, viewer: Viewer): Promise<DashboardOverview> {
  return overviewSlots(() => readOverview(deps, viewer));
}

/**
 * Overviews read at once in this process; the rest wait their turn, first come first served. A
 * view asks Temporal for the task flags, the schedules and the runs: without a bound, a crowd of
 * views (the HTTP fuzzing sent 128 at once) piles those reads on the server and some views
 * starve past their clients' timeouts; with it, each waits about its share.
 */
const overviewSlots = pLimit(8);

async function readOverview(deps: DashboardDeps, viewer: Viewer): Promise<DashboardOverview> {
  const { backend, config } = deps;
  const problems: string[] = [];
  const web = { uiUrl: config.webUiUrl, namespace: config.namespace };
  const attempt = async <T>(what: string, fn: () => Promise<T> | T, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      problems.push(`${what}: ${message(err)}`);
      return fallback;
    }
  };

  const tasks: TaskInfo[] = await backend.list();
  const browse = hasCapability(backend, 'browse');
  const [schedules, runs] = await Promise.all([
    hasCapability(backend, 'schedules') ? attempt('schedules', () => backend.schedules(), []) : Promise.resolve([]),
    // The viewer's group's runs only, like every scoped client.
    browse
      ? attempt('runs', () => listRuns(backend, { limit: RECENT_RUNS, groupHash: viewer.groupHash }, web), [])
      : Promise.resolve([]),
  ]);
  const lastRuns = browse
    ? await lastRunsOf(tasks, runs, (name) =>
        attempt(
          `last run of ${name}`,
          () => listRuns(backend, { task: name, limit: 1, groupHash: viewer.groupHash }, web),
          [],
        ),
      )
    : tasks.map(() => []);
  const pointers = await attempt(
    'pointers',
    () => {
      const store = new PointerStore(config.pointersPath);
      const filter = { userHash: viewer.userHash, groupHash: viewer.groupHash };
      return new Map(tasks.map((t) => [t.name, store.list(t.name, filter).length]));
    },
    new Map<string, number>(),
  );
  const ideas = await attempt(
    'idea seeds',
    () => new IdeaStore(config.ideasPath).list({ userHash: viewer.userHash, groupHash: viewer.groupHash }).reverse(),
    [],
  );
  const byName = new Map(schedules.map((s) => [s.name, s]));

  const rows = tasks.map((t, i): TaskRow => {
    const s = byName.get(t.name);
    const last = lastRuns[i]?.[0];
    return {
      name: t.name,
      kind: t.kind,
      ...(t.description === undefined ? {} : { description: t.description }),
      status: !t.enabled ? 'disabled' : t.paused ? 'paused' : 'enabled',
      enabled: t.enabled,
      paused: t.paused,
      ...(s
        ? {
            schedule: {
              cron: s.cron,
              timezone: s.timezone,
              paused: s.paused,
              ...(s.nextRuns[0] === undefined ? {} : { nextRun: s.nextRuns[0] }),
            },
          }
        : {}),
      ...(last ? { lastRun: last } : {}),
      pointers: pointers.get(t.name) ?? 0,
    };
  });
  return { backend: backend.name, tasks: rows, ideas, runs, problems };
}

/**
 * Each task's last run (at most one, in a list), found in the recent runs where it is: a task's
 * newest run there is its last. Only when the recent list is full can a task missing from it have
 * older runs, and only then is the task looked up on its own; a page view costs one visibility
 * query, not one per task (the HTTP fuzzing saw `GET /` time out at 128 views at once when it
 * asked for every task).
 */
async function lastRunsOf(
  tasks: readonly TaskInfo[],
  recent: readonly RunListing[],
  lookUp: (task: string) => Promise<RunListing[]>,
): Promise<RunListing[][]> {
  const newest = new Map<string, RunListing>();
  for (const run of recent) if (!newest.has(run.task)) newest.set(run.task, run);
  const complete = recent.length < RECENT_RUNS;
  return Promise.all(
    tasks.map((t) => {
      const found = newest.get(t.name);
      if (found) return [found];
      return complete ? [] : lookUp(t.name);
    }),
  );
}

/** The arguments a run was started with, from its history's first event (JSON payloads only). */
export function startInputOf(historyJson: string): unknown {
  const history = JSON.parse(historyJson) as {
    events?: Array<{
      workflowExecutionStartedEventAttributes?: {
        input?: { payloads?: Array<{ metadata?: Record<string, string>; data?: string }> };
      };
    }>;
  };
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  const encoding = Buffer.from(payload.metadata?.encoding ?? '', 'base64').toString('utf8');
  if (encoding === 'binary/null') return undefined;
  if (encoding !== 'json/plain') return undefined;
  return JSON.parse(Buffer.from(payload.data ?? '', 'base64').toString('utf8')) as unknown;
}

/**
 * Run `runRef` in detail: its status now, its input (from its history), its result once it
 * has finished, a pipeline's registered steps or a DAG's definition.
 * @throws CascadenceError UNSUPPORTED on a backend that cannot browse runs, UNKNOWN_RUN.
 */
export async function runDetail(deps: DashboardDeps, runRef: string): Promise<RunDetail> {
  const { backend, registry, config } = deps;
  if (!hasCapability(backend, 'browse')) {
    const { unsupported } = await import('../backends/backend');
    throw unsupported(backend.name, 'browsing runs', "a run's page is read from Temporal");
  }
  const { status, running } = await backend.observe(runRef);
  const kind = 'nodes' in status ? 'dag' : 'pipeline';
  const workflowId =
    'nodes' in status ? dagWorkflowId(status.dag, status.runId) : pipelineWorkflowId(status.task, status.runId);
  const url = webUiRunUrl({ uiUrl: config.webUiUrl, namespace: config.namespace }, workflowId);
  const detail: RunDetail = { runRef, kind, status, running, url };
  if (!('nodes' in status) && registry.has(status.task)) detail.task = registry.describe(status.task);
  if (hasCapability(backend, 'history')) {
    try {
      const args = startInputOf(await backend.history(runRef)) as
        { input?: unknown; definition?: DagDefinition } | undefined;
      if (kind === 'dag' && args?.definition) detail.definition = args.definition;
      if (kind === 'pipeline' && args && 'input' in args) detail.input = args.input;
    } catch {
      // A history that cannot be read (or decoded) only leaves the input and diagram out.
    }
  }
  if (!running) {
    try {
      detail.result = await backend.result(runRef);
    } catch (err) {
      detail.error = message(err);
    }
  }
  return detail;
}
