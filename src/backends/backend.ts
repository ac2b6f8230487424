/**
 * The adapter layer: what every backend does (`Backend`: list, run, flag tasks) and the
 * capability interfaces a backend implements when it can (operating runs, DAGs, schedules,
 * histories, browsing runs). What a backend supports follows from what it implements;
 * `requireCapability` turns a missing one into one clear error naming the backend.
 */
import { randomUUID } from 'node:crypto';
import { CascadenceError } from '../core/errors';
import type {
  AdminAction,
  AuditRecord,
  ContextDelivery,
  DagDefinition,
  DagResult,
  DagStatus,
  PipelineRequest,
  PipelineStatus,
  TaskKind,
} from '../core';
import { hashId } from '../events/hash';
import type { ScheduleInfo, ScheduleRequest } from '../schedules/model';

export { OVERLAP_POLICIES, type OverlapPolicy, type ScheduleInfo, type ScheduleRequest } from '../schedules/model';
import type { TaskRegistry } from '../plugins/registry';
import { unknownTask } from '../plugins/registry';
import { assertFlagsAllowRun, type PluginRecordStore, type TaskFlagStore } from '../core/task-flags';

/** A run as a caller asks for it. Raw ids: the backend hashes them before they go anywhere. */
export interface RunRequest {
  task: string;
  /** Raw ids, hashed by the backend; or `userHash`/`groupHash` when only hashes are known (a stored schedule). */
  userId: string;
  groupId: string;
  userHash?: string;
  groupHash?: string;
  input?: unknown;
  /** Run id to use (default: a new UUID). */
  runId?: string;
  /**
   * The run id may start one run only, ever: a start with a run id already used by a run of the
   * task, running or closed, fails with RUN_EXISTS and starts nothing (on Temporal, for as long
   * as the namespace keeps closed runs; in process, while the first run is live). Without it, a
   * run id only clashes with a run still running.
   */
  once?: boolean;
  /**
   * Run the task's prerequisites (`dependsOn`) first, each once, in dependency order, all under
   * one run id; every task of the chain is checked before anything runs.
   */
  withPrerequisites?: boolean;
  /** Told of each prerequisite once it has run (with `withPrerequisites`). */
  onPrerequisite?: (task: string, outcome: RunOutcome) => void;
}

/** A finished run. */
export interface RunOutcome {
  runId: string;
  result: unknown;
}

/** A DAG run as a caller asks for it (raw ids, hashed by the backend; or their hashes). */
export interface DagRunRequest {
  definition: DagDefinition;
  userId: string;
  groupId: string;
  /** The hashes, when only they are known (an API caller): used instead of hashing the raw ids. */
  userHash?: string;
  groupHash?: string;
  runId?: string;
}

/** A registered task as `task list` shows it. */
export interface TaskInfo {
  name: string;
  enabled: boolean;
  paused: boolean;
  kind: TaskKind;
  description?: string;
  /** Where the task comes from: `builtin`, `module:<file>`, `package:<name>`, `directory:<dir>`, `registered:<module>`, `cronyx:<url>`. */
  origin?: string;
}

/** What `pause`/`resume` acted on: one run, or the task itself (new runs refused until resumed). */
export type PauseTarget = { target: 'run'; runId: string; changed: boolean } | { target: 'task'; changed: boolean };

/** Which run of a task an operation is about: a run id, or the latest running run (of a group). */
export interface RunSelector {
  runId?: string;
  /** Raw group id; hashed before use. */
  groupId?: string;
  /** The group's hash, when only it is known (an API caller); wins over `groupId`. */
  groupHash?: string;
}

/** The group hash a selector names, if any. */
export function selectorGroupHash(target: RunSelector, hashSecret: string): string | undefined {
  return target.groupHash ?? (target.groupId ? hashId(target.groupId, hashSecret) : undefined);
}

/** A run as a listing of runs shows it. */
export interface RunSummary {
  run_id: string;
  task: string;
  status: string;
  started: string;
  /** The run's top-level workflow id (its Web UI page). */
  workflowId: string;
}

/** Which runs a listing shows. */
export interface RunFilter {
  /** Only runs of this task (`dag:<name>` for DAG runs). */
  task?: string;
  status?: 'running' | 'completed' | 'failed' | 'cancelled';
  /** Only runs of this group (a hash). */
  groupHash?: string;
  limit: number;
}

/** A subtask a run started, as visibility records it. */
export interface ChildRun {
  /** Its position in the parent's plan. */
  index: number;
  task: string;
  startedAt: number;
  /** When it closed (undefined while it runs). */
  closedAt?: number;
}

/** What a run looks like now: its status (a pipeline's or a DAG's) and whether it still runs. */
export interface RunObservation {
  status: PipelineStatus | DagStatus;
  running: boolean;
}

/** What every backend does: list, run, flag tasks (disable, enable, pause, resume). */
export interface Backend {
  readonly name: string;
  list(): Promise<TaskInfo[]>;
  /** Runs a task to completion. @throws CascadenceError UNKNOWN_TASK, TASK_DISABLED, TASK_PAUSED, STAGE_FAILED, PRECHECK_FAILED, CONNECTION. */
  run(request: RunRequest): Promise<RunOutcome>;
  /** Pauses run `runId`, else the latest running run of `task` (in the group, if given), else the task itself. */
  pause(task: string, target?: RunSelector): Promise<PauseTarget>;
  /** Resumes likewise: the run, else the latest paused run, else the task itself. */
  resume(task: string, target?: RunSelector): Promise<PauseTarget>;
  disable(task: string): Promise<void>;
  enable(task: string): Promise<void>;
  close(): Promise<void>;
  /** Where plugin modules registered at run time are kept for every client of this backend (Temporal: the catalogue). */
  pluginRecords?(): PluginRecordStore;
}

/** Operating runs: start one without waiting, then read, signal, cancel and audit it. */
export interface RunOperations {
  /**
   * Starts a run without waiting; resolves with its run id.
   * @throws CascadenceError RUN_EXISTS for a run id already taken (see `RunRequest.once`), and what `run` throws before it starts.
   */
  start(request: RunRequest): Promise<string>;
  status(runId: string): Promise<PipelineStatus>;
  /**
   * The group (hash) a run belongs to: what scoped clients (the API, the dashboard) check before
   * they show or touch it. @throws CascadenceError UNKNOWN_RUN.
   */
  groupOf(runId: string): Promise<string | undefined>;
  cancel(runId: string): Promise<void>;
  /** Attaches context to a run: `delivered` now, or `queued` for its next stage. */
  signal(runId: string, payload: unknown): Promise<ContextDelivery>;
  /** Audit records of a task, optionally of one run. */
  audit(task: string, runId?: string): Promise<AuditRecord[]>;
}

/** Running DAGs. */
export interface DagRunner {
  /**
   * Runs a DAG to its end.
   * @throws CascadenceError VALIDATION (before anything starts), DAG_FAILED (with the result as `data`).
   */
  runDag(request: DagRunRequest): Promise<DagResult>;
  /**
   * Starts a DAG run without waiting; resolves with its run id once it has started.
   * @throws CascadenceError VALIDATION (before anything starts).
   */
  startDag(request: DagRunRequest): Promise<string>;
}

/** Keeping schedules. */
export interface Schedules {
  /** Creates or updates the task's schedule. */
  schedule(request: ScheduleRequest): Promise<ScheduleInfo>;
  /** Deletes the task's schedule. @throws CascadenceError UNKNOWN_SCHEDULE. */
  unschedule(task: string): Promise<void>;
  /** Every Cascadence schedule. */
  schedules(): Promise<ScheduleInfo[]>;
  /** Pauses, resumes or fires now the task's schedule. @throws CascadenceError UNKNOWN_SCHEDULE. */
  scheduleAction(task: string, action: 'pause' | 'resume' | 'trigger'): Promise<void>;
}

/** Run histories (what `task history` exports and `task replay` replays). */
export interface Histories {
  /** The run's history as JSON (the format `temporal workflow show --output json` writes). */
  history(runRef: string): Promise<string>;
}

/** Browsing runs from anywhere: listings, the subtasks a run made, a run's state and result. */
export interface RunBrowser {
  listRuns(filter: RunFilter): Promise<RunSummary[]>;
  /** The subtasks run `runId` of `task` started, in any order. */
  childRuns(task: string, runId: string): Promise<ChildRun[]>;
  /** A run's (or DAG run's) status now. @throws CascadenceError UNKNOWN_RUN. */
  observe(runRef: string): Promise<RunObservation>;
  /** Waits for a run's (or DAG run's) end. @throws CascadenceError for a failed or cancelled run. */
  result(runRef: string): Promise<unknown>;
}

/** Who did something (raw ids, hashed by the backend before they go anywhere; or their hashes). */
export interface Actor {
  userId?: string;
  groupId?: string;
  /** The hashes, when only they are known (an API caller): recorded as given. */
  userHash?: string;
  groupHash?: string;
}

/** An admin action to record in a task's trail. */
export interface AdminActionRequest {
  task: string;
  stage: 'task' | 'schedule';
  action: AdminAction;
  actor: Actor;
  /** The run acted on (a run's pause or resume). */
  runId?: string;
  /** More about it (the cron scheduled, the file loaded). */
  reason?: string;
}

/** Keeping admin actions in each task's audit trail (`task audit NAME`: who paused this, and when). */
export interface ActionLog {
  recordAction(request: AdminActionRequest): Promise<void>;
}

/** A retry as a caller asks for it. */
export interface RetryRequest {
  /**
   * The stage to go on from (default: the first stage that did not succeed). For a run whose
   * failure is in a subtask or a DAG node, the stage that subtask or node goes on from.
   */
  from?: string;
}

/** One workflow a retry reset. */
export interface RetriedWorkflow {
  workflowId: string;
  /** What runs again first: a stage, `end` (it completes again, running no stage), or `children` (it waits for them again). */
  from: string;
  /** The history event it was reset to (a WorkflowTaskCompleted event, on Temporal). */
  eventId: number;
  /** The run the reset made (Temporal's run id). */
  temporalRunId: string;
}

/** What a retry did to one run: the run keeps its id; its workflows were reset where shown. */
export interface RetryOutcome {
  run_id: string;
  /** The task (`dag:<name>` for a DAG run). */
  task: string;
  /** The run's top-level workflow id. */
  workflowId: string;
  /** The workflows reset, each before the ones it waits for. */
  resets: RetriedWorkflow[];
  /** Work that starts again from its beginning although it had begun (stages open at the reset point, subtasks started after it). */
  restarted: string[];
  /** How the run had ended, when it had (its failure's message): the retried run's trail no longer holds it. */
  ended?: string;
}

/** What a rerun started: a new run of the same task, with the same input and hashed ids. */
export interface RerunOutcome {
  /** The run re-run. */
  run_id: string;
  task: string;
  /** The new run. */
  new_run_id: string;
}

/** Which failed runs a retry or rerun of many acts on. */
export interface FailedRunFilter {
  /** Only runs of this task (`dag:<name>` for DAG runs). */
  task?: string;
  /** Only runs that failed at or after this time. */
  closedAfter?: Date;
  /** Only runs of this group (a hash). */
  groupHash?: string;
  limit: number;
}

/** Recovering runs without redoing their work: retry one from a stage, or run it again as a new run. */
export interface Recovery {
  /**
   * Goes back in a failed (or stuck) run to just before the stage to retry, so the stages that
   * succeeded are not run again and their results are reused; returns without waiting.
   * @throws CascadenceError UNKNOWN_RUN, VALIDATION when there is nothing to retry (a completed run) or the stage never ran, TASK_DISABLED, TASK_PAUSED.
   */
  retry(runRef: string, request?: RetryRequest): Promise<RetryOutcome>;
  /**
   * Starts a new run with the task, input and hashed ids of run `runRef`; returns without waiting.
   * @throws CascadenceError UNKNOWN_RUN, VALIDATION for a run that is neither a pipeline nor a DAG run, and what starting a run throws.
   */
  rerun(runRef: string): Promise<RerunOutcome>;
  /** Top-level runs (of this deployment) that failed and have not been retried since, newest first. */
  failedRuns(filter: FailedRunFilter): Promise<RunSummary[]>;
}

/** The audit record of an admin action, its ids hashed (empty when nobody was named). */
export function adminRecord(request: AdminActionRequest, hashSecret: string, now = new Date()): AuditRecord {
  const hash = (id: string | undefined): string => (id ? hashId(id, hashSecret) : '');
  return {
    task: request.task,
    stage: request.stage,
    status: request.action,
    ...(request.reason === undefined ? {} : { reason: request.reason }),
    run_id: request.runId ?? '',
    user_hash: request.actor.userHash ?? hash(request.actor.userId),
    group_hash: request.actor.groupHash ?? hash(request.actor.groupId),
    time: now.toISOString(),
  };
}

/** What each capability is made of, and how an error names it. */
const CAPABILITIES = {
  operate: { methods: ['start', 'status', 'groupOf', 'cancel', 'signal', 'audit'], what: 'operating runs' },
  dag: { methods: ['runDag', 'startDag'], what: 'DAGs' },
  schedules: { methods: ['schedule', 'unschedule', 'schedules', 'scheduleAction'], what: 'schedules' },
  history: { methods: ['history'], what: 'history' },
  browse: { methods: ['listRuns', 'childRuns', 'observe', 'result'], what: 'browsing runs' },
  actions: { methods: ['recordAction'], what: 'an audit trail of admin actions' },
  recover: { methods: ['retry', 'rerun', 'failedRuns'], what: 'retrying and re-running runs' },
} as const;

/** A capability a backend may have beyond running tasks. */
export type Capability = keyof typeof CAPABILITIES;

/** The interface of each capability. */
export interface CapabilityTypes {
  operate: RunOperations;
  dag: DagRunner;
  schedules: Schedules;
  history: Histories;
  browse: RunBrowser;
  actions: ActionLog;
  recover: Recovery;
}

/** True when `backend` implements every method of `capability`. */
export function hasCapability<C extends Capability>(
  backend: Backend,
  capability: C,
): backend is Backend & CapabilityTypes[C] {
  const methods = CAPABILITIES[capability].methods as readonly string[];
  return methods.every((m) => typeof (backend as unknown as Record<string, unknown>)[m] === 'function');
}

/** The capabilities `backend` has, derived from what it implements. */
export function capabilitiesOf(backend: Backend): Capability[] {
  return (Object.keys(CAPABILITIES) as Capability[]).filter((c) => hasCapability(backend, c));
}

/**
 * `backend` as an implementation of `capability`.
 * @throws CascadenceError UNSUPPORTED naming the backend and what it lacks.
 */
export function requireCapability<C extends Capability>(
  backend: Backend,
  capability: C,
  hint?: string,
): Backend & CapabilityTypes[C] {
  if (!hasCapability(backend, capability)) throw unsupported(backend.name, CAPABILITIES[capability].what, hint);
  return backend;
}

/** The error for something a backend does not support. */
export function unsupported(backend: string, what: string, hint?: string): CascadenceError {
  return new CascadenceError('UNSUPPORTED', `the ${backend} backend does not support ${what}`, {
    hint: hint ?? 'use the temporal backend (--backend temporal)',
  });
}

/**
 * Builds a pipeline request from a run request, hashing the user and group ids at the edge.
 * @throws CascadenceError USAGE when an id is missing.
 */
export function toPipelineRequest(request: RunRequest, runId: string, hashSecret: string): PipelineRequest {
  if (!request.userId && !request.userHash)
    throw new CascadenceError('USAGE', 'a user id is required', { hint: 'pass --user-id' });
  if (!request.groupId && !request.groupHash)
    throw new CascadenceError('USAGE', 'a group id is required', { hint: 'pass --group-id' });
  return {
    task: request.task,
    runId,
    userHash: request.userHash ?? hashId(request.userId, hashSecret),
    groupHash: request.groupHash ?? hashId(request.groupId, hashSecret),
    ...(request.input === undefined ? {} : { input: request.input }),
  };
}

/** What every backend shares: the registry and the task flags (a local file, or Temporal's catalogue). */
export interface TaskCatalogue {
  registry: TaskRegistry;
  state: TaskFlagStore;
}

/** The registered tasks with their flags, as `list` returns them. */
export async function listTasks({ registry, state }: TaskCatalogue): Promise<TaskInfo[]> {
  const flags = await state.allFlags();
  return registry.names().map((name) => {
    const d = registry.describe(name);
    const origin = registry.origin(name);
    return {
      name,
      enabled: !flags[name]?.disabled,
      paused: Boolean(flags[name]?.paused),
      kind: d.kind,
      ...(d.description === undefined ? {} : { description: d.description }),
      ...(origin ? { origin: origin.source ? `${origin.kind}:${origin.source}` : origin.kind } : {}),
    };
  });
}

/**
 * Checks that `task` exists and may run now.
 * @throws CascadenceError UNKNOWN_TASK, TASK_DISABLED, TASK_PAUSED.
 */
export async function assertRunnable(catalogue: TaskCatalogue, task: string): Promise<void> {
  assertKnown(catalogue, task);
  assertFlagsAllowRun(task, await catalogue.state.flagsOf(task));
}

/** @throws CascadenceError UNKNOWN_TASK unless `task` is registered. */
export function assertKnown({ registry }: TaskCatalogue, task: string): void {
  if (!registry.has(task)) throw unknownTask(task, registry.names());
}

/**
 * The one implementation of `withPrerequisites`: `request.task`'s prerequisites then the task,
 * each run once by `runOne` under one run id (just the task when the option is off).
 * @throws CascadenceError UNKNOWN_TASK, VALIDATION (a cycle: nothing runs), TASK_DISABLED, TASK_PAUSED.
 */
export async function runWithPrerequisites(
  catalogue: TaskCatalogue,
  request: RunRequest,
  runOne: (request: RunRequest) => Promise<RunOutcome>,
): Promise<RunOutcome> {
  const { withPrerequisites, onPrerequisite, ...single } = request;
  if (!withPrerequisites) return runOne(single);
  const order = catalogue.registry.withPrerequisites(request.task);
  for (const task of order) await assertRunnable(catalogue, task);
  const runId = request.runId ?? randomUUID();
  let outcome: RunOutcome = { runId, result: undefined };
  for (const task of order) {
    outcome = await runOne({ ...single, task, runId });
    if (task !== request.task) onPrerequisite?.(task, outcome);
  }
  return outcome;
}

/** Sets a task flag after checking the task exists. */
export async function setTaskFlag(
  { registry, state }: TaskCatalogue,
  task: string,
  patch: { disabled?: boolean; paused?: boolean },
): Promise<boolean> {
  assertKnown({ registry, state }, task);
  return (await state.setFlags({ task, ...patch })).changed;
}
