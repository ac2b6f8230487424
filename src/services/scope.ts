/**
 * Reading a task's trail as one caller, written once for every client: the stage records and
 * the audit trail of a task, each kept to the caller's own user and group (by hash). Asking for
 * another user's or group's scope is refused, never answered with an empty list; a run of
 * another group is not shown at all. Node-only.
 */
import { requireCapability, type Backend } from '../backends/backend';
import type { AuditRecord } from '../core';
import { CascadenceError } from '../core/errors';
import { hashId } from '../events/hash';
import type { TaskRegistry } from '../plugins/registry';
import { HASH_PATTERN } from '../stores/locked-yaml-store';

/** Who is asking, by hash (never raw ids). */
export interface CallerScope {
  userHash: string;
  groupHash: string;
}

/** The scope a caller asks for: a user (a hash, or a raw id hashed here) and a group (a raw id or its hash). */
export interface RequestedScope {
  userHash?: string | undefined;
  groupId?: string | undefined;
}

/** What the scoped reads work with. */
export interface ScopeDeps {
  backend: Backend;
  registry: TaskRegistry;
  /** Key of the id hashes. */
  hashSecret: string;
}

/** `value` when it is already a 64-hex hash, else its hash (the original's `ensure_hash`). */
export function ensureHash(value: string, hashSecret: string): string {
  return HASH_PATTERN.test(value) ? value : hashId(value, hashSecret);
}

const ADMIN_STAGES: ReadonlySet<string> = new Set(['task', 'schedule']);

const own = (caller: CallerScope) => (r: AuditRecord) =>
  r.user_hash === caller.userHash && r.group_hash === caller.groupHash;

async function trail(deps: ScopeDeps, task: string): Promise<AuditRecord[]> {
  deps.registry.get(task);
  return requireCapability(deps.backend, 'operate', 'audit trails are read from the backend').audit(task);
}

/**
 * The stage records of `task`'s runs (stage transitions, no admin actions) made by the caller's
 * user in the caller's group, oldest first.
 * @throws CascadenceError UNKNOWN_TASK, UNSUPPORTED.
 */
export async function pipelineStageRecords(deps: ScopeDeps, task: string, caller: CallerScope): Promise<AuditRecord[]> {
  return (await trail(deps, task)).filter((r) => !ADMIN_STAGES.has(r.stage)).filter(own(caller));
}

/**
 * The audit trail of `task` (stage transitions and admin actions) kept to the caller's user and
 * group. A requested user or group must be the caller's own.
 * @throws CascadenceError FORBIDDEN for another user's or group's scope, UNKNOWN_TASK, UNSUPPORTED.
 */
export async function scopedAudit(
  deps: ScopeDeps,
  task: string,
  caller: CallerScope,
  requested: RequestedScope = {},
): Promise<AuditRecord[]> {
  if (requested.userHash !== undefined && ensureHash(requested.userHash, deps.hashSecret) !== caller.userHash) {
    throw new CascadenceError('FORBIDDEN', 'cannot access requested user scope', {
      hint: 'ask for your own user (X-User-ID) or leave user_hash out',
    });
  }
  if (requested.groupId !== undefined && ensureHash(requested.groupId, deps.hashSecret) !== caller.groupHash) {
    throw new CascadenceError('FORBIDDEN', 'cannot access requested group scope', {
      hint: 'ask for your own group (X-Group-ID) or leave group_id out',
    });
  }
  return (await trail(deps, task)).filter(own(caller));
}

/**
 * Checks that run `runId` belongs to the caller's group before a scoped client shows or touches
 * it. A run of another group is answered like one that does not exist, so its existence is not
 * given away.
 * @throws CascadenceError UNKNOWN_RUN for an unknown run or one of another group; UNSUPPORTED.
 */
export async function assertRunInScope(
  backend: Backend,
  runId: string,
  caller: Pick<CallerScope, 'groupHash'>,
): Promise<void> {
  const group = await requireCapability(backend, 'operate').groupOf(runId);
  if (group !== caller.groupHash) {
    throw new CascadenceError('UNKNOWN_RUN', `no run ${runId} in your group`, {
      hint: 'runs are shown to callers of the group they were started for (X-Group-ID)',
    });
  }
}
