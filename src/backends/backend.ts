/**
 * The adapter layer's one interface. Each backend states what it supports; an unsupported
 * operation is a clear error naming the backend.
 */
import { randomUUID } from 'node:crypto';
import { CascadenceError } from '../core/errors';
import type {
  AuditRecord,
  ContextDelivery,
  DagDefinition,
  DagResult,
  PipelineRequest,
  PipelineStatus,
  TaskKind,
} from '../core';
import { hashId } from '../events/hash';
import type { ScheduleInfo, ScheduleRequest } from '../schedules/model';

export { OVERLAP_POLICIES, type OverlapPolicy, type ScheduleInfo, type ScheduleRequest } from '../schedules/model';
import type { TaskRegistry } from '../plugins/registry';
import { unknownTask } from '../plugins/registry';
import { assertFlagsAllowRun, type TaskFlagStore } from '../core/task-flags';

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

/** A DAG run as a caller asks for it (raw ids, hashed by the backend). */
export interface DagRunRequest {
  definition: DagDefinition;
  userId: string;
  groupId: string;
  runId?: string;
}

/** A registered task as `task list` shows it. */
export interface TaskInfo {
  name: string;
  enabled: boolean;
  paused: boolean;
  kind: TaskKind;
  description?: string;
}

/** What `pause`/`resume` acted on: one run, or the task itself (new runs refused until resumed). */
export type PauseTarget = { target: 'run'; runId: string; changed: boolean } | { target: 'task'; changed: boolean };

/** Which run of a task an operation is about: a run id, or the latest running run (of a group). */
export interface RunSelector {
  runId?: string;
  /** Raw group id; hashed before use. */
  groupId?: string;
}

/** Every operation a backend may support. */
export const OPERATIONS = [
  'list',
  'run',
  'start',
  'pause',
  'resume',
  'status',
  'cancel',
  'signal',
  'audit',
  'disable',
  'enable',
  'history',
  'schedule',
  'dag',
] as const;

/** An operation a backend may support. */
export type Operation = (typeof OPERATIONS)[number];

/** One way of running tasks: on Temporal, in process, ... */
export interface Backend {
  readonly name: string;
  readonly supports: ReadonlySet<Operation>;
  list(): Promise<TaskInfo[]>;
  /** Runs a task to completion. @throws CascadenceError UNKNOWN_TASK, TASK_DISABLED, TASK_PAUSED, STAGE_FAILED, PRECHECK_FAILED, CONNECTION. */
  run(request: RunRequest): Promise<RunOutcome>;
  /** Starts a run without waiting; resolves with its run id. */
  start(request: RunRequest): Promise<string>;
  /** Pauses run `runId`, else the latest running run of `task` (in the group, if given), else the task itself. */
  pause(task: string, target?: RunSelector): Promise<PauseTarget>;
  /** Resumes likewise: the run, else the latest paused run, else the task itself. */
  resume(task: string, target?: RunSelector): Promise<PauseTarget>;
  status(runId: string): Promise<PipelineStatus>;
  cancel(runId: string): Promise<void>;
  /** Attaches context to a run: `delivered` now, or `queued` for its next stage. */
  signal(runId: string, payload: unknown): Promise<ContextDelivery>;
  /** Audit records of a task, optionally of one run. */
  audit(task: string, runId?: string): Promise<AuditRecord[]>;
  disable(task: string): Promise<void>;
  enable(task: string): Promise<void>;
  /**
   * Runs a DAG to its end.
   * @throws CascadenceError VALIDATION (before anything starts), DAG_FAILED (with the result as `cause`).
   */
  runDag(request: DagRunRequest): Promise<DagResult>;
  /** Creates or updates the task's schedule. */
  schedule(request: ScheduleRequest): Promise<ScheduleInfo>;
  /** Deletes the task's schedule. @throws CascadenceError UNKNOWN_SCHEDULE. */
  unschedule(task: string): Promise<void>;
  /** Every Cascadence schedule. */
  schedules(): Promise<ScheduleInfo[]>;
  /** Pauses, resumes or fires now the task's schedule. @throws CascadenceError UNKNOWN_SCHEDULE. */
  scheduleAction(task: string, action: 'pause' | 'resume' | 'trigger'): Promise<void>;
  close(): Promise<void>;
}

/** The error for an operation a backend does not support. */
export function unsupported(backend: string, operation: Operation, hint?: string): CascadenceError {
  return new CascadenceError('UNSUPPORTED', `the ${backend} backend does not support ${operation}`, {
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
    return {
      name,
      enabled: !flags[name]?.disabled,
      paused: Boolean(flags[name]?.paused),
      kind: d.kind,
      ...(d.description === undefined ? {} : { description: d.description }),
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
