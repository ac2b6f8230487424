/**
 * The adapter layer's one interface. Each backend states what it supports; an unsupported
 * operation is a clear error naming the backend.
 */
import { CascadenceError } from '../core/errors';
import type { AuditRecord, PipelineRequest, TaskKind } from '../core';
import { hashId } from '../events/hash';
import type { TaskRegistry } from '../plugins/registry';

/** A run as a caller asks for it. Raw ids: the backend hashes them before they go anywhere. */
export interface RunRequest {
  task: string;
  userId: string;
  groupId: string;
  input?: unknown;
  /** Run id to use (default: a new UUID). */
  runId?: string;
}

/** A finished run. */
export interface RunOutcome {
  runId: string;
  result: unknown;
}

/** A registered task as `task list` shows it. */
export interface TaskInfo {
  name: string;
  enabled: boolean;
  kind: TaskKind;
  description?: string;
}

/** Operations a backend may support. */
export type Operation = 'list' | 'run' | 'audit';

/** One way of running tasks: on Temporal, in process, ... */
export interface Backend {
  readonly name: string;
  readonly supports: ReadonlySet<Operation>;
  list(): Promise<TaskInfo[]>;
  /** Runs a task to completion. @throws CascadenceError UNKNOWN_TASK, STAGE_FAILED, PRECHECK_FAILED, CONNECTION. */
  run(request: RunRequest): Promise<RunOutcome>;
  /** Audit records of a task, optionally of one run. */
  audit(task: string, runId?: string): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/** The error for an operation a backend does not support. */
export function unsupported(backend: string, operation: string): CascadenceError {
  return new CascadenceError('UNSUPPORTED', `the ${backend} backend does not support ${operation}`);
}

/**
 * Builds a pipeline request from a run request, hashing the user and group ids at the edge.
 * @throws CascadenceError USAGE when an id is missing.
 */
export function toPipelineRequest(request: RunRequest, runId: string, hashSecret: string): PipelineRequest {
  if (!request.userId) throw new CascadenceError('USAGE', 'a user id is required', { hint: 'pass --user-id' });
  if (!request.groupId) throw new CascadenceError('USAGE', 'a group id is required', { hint: 'pass --group-id' });
  return {
    task: request.task,
    runId,
    userHash: hashId(request.userId, hashSecret),
    groupHash: hashId(request.groupId, hashSecret),
    ...(request.input === undefined ? {} : { input: request.input }),
  };
}

/** The registered tasks of a registry, as `list` returns them. */
export function listTasks(registry: TaskRegistry): TaskInfo[] {
  return registry.names().map((name) => {
    const d = registry.describe(name);
    return {
      name,
      enabled: true,
      kind: d.kind,
      ...(d.description === undefined ? {} : { description: d.description }),
    };
  });
}
