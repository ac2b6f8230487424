/**
 * Pointers, written once for every client: adding one (hashed at the edge, stored, announced),
 * sending stored ones, applying one received from elsewhere, and the pointer-sync loop that
 * keeps this instance's pointer store in step with the others'. Node-only; the CLI commands and
 * the HTTP API call these and only print.
 */
import { CascadenceError, rootMessage } from '../core/errors';
import { isValidTaskName } from '../core/ids';
import type { AuditRecord } from '../core/pipeline';
import type { AuditStore } from '../events/audit-store';
import type { EventBus } from '../events/bus';
import { hashId } from '../events/hash';
import { SCHEMA_VERSION, standaloneEvent, type PointerUpdateEvent } from '../events/ume';
import type { Subscription } from '../events/nats';
import type { PointerStore, PointerUpdate, TaskPointer } from '../stores/pointer-store';
import { HASH_PATTERN, isMapping } from '../stores/locked-yaml-store';
import type { TaskRegistry } from '../plugins/registry';

/** What the pointer operations work with. */
export interface PointerDeps {
  store: PointerStore;
  /** Where pointer updates go; absent when no transport is configured. */
  bus?: EventBus | undefined;
  /** Key of the id hashes. */
  hashSecret: string;
}

/** The `pointer_update` event of a pointer; its id is the same however often the pointer is sent. */
export function pointerEvent(task: string, pointer: TaskPointer): PointerUpdateEvent {
  const group = pointer.group_hash ?? '';
  return standaloneEvent<PointerUpdateEvent>(`pointer:${task}:${pointer.run_id}:${pointer.user_hash}:${group}`, {
    event_type: 'pointer_update',
    task,
    // No run of this instance made the event; the run it points at is pointer_run_id.
    run_id: '',
    pointer_run_id: pointer.run_id,
    user_hash: pointer.user_hash,
    group_hash: group,
  });
}

/** The pointer a pointer update carries. */
export function pointerOf(event: PointerUpdateEvent): PointerUpdate {
  return {
    task: event.task,
    run_id: event.pointer_run_id,
    user_hash: event.user_hash,
    ...(event.group_hash ? { group_hash: event.group_hash } : {}),
  };
}

const EVENT_KEYS = new Set([
  'event_type',
  'schema_version',
  'event_id',
  'time',
  'task',
  'run_id',
  'workflow_id',
  'user_hash',
  'group_hash',
  'pointer_run_id',
]);

/**
 * Checks that `value` is a `pointer_update` event (schemas/events/pointer_update.schema.json)
 * with a user hash, and returns it. Anything else, including an event carrying a raw id where a
 * hash belongs, is refused.
 * @throws CascadenceError VALIDATION saying what is wrong.
 */
export function parsePointerUpdate(value: unknown): PointerUpdateEvent {
  const fail = (why: string): never => {
    throw new CascadenceError('VALIDATION', `not a pointer update: ${why}`);
  };
  if (!isMapping(value)) return fail('not a JSON object');
  if (value.event_type !== 'pointer_update') return fail(`event_type is ${JSON.stringify(value.event_type)}`);
  if (value.schema_version !== SCHEMA_VERSION) return fail(`schema_version is ${JSON.stringify(value.schema_version)}`);
  const unknown = Object.keys(value).filter((k) => !EVENT_KEYS.has(k));
  if (unknown.length > 0) return fail(`unknown field(s) ${unknown.join(', ')}`);
  for (const key of EVENT_KEYS) {
    if (key !== 'schema_version' && typeof value[key] !== 'string') return fail(`${key} is not a string`);
  }
  const e = value as unknown as PointerUpdateEvent;
  if (!e.event_id || !e.workflow_id) return fail('event_id or workflow_id is empty');
  if (Number.isNaN(Date.parse(e.time))) return fail('time is not a date-time');
  if (!isValidTaskName(e.task)) return fail(`task ${JSON.stringify(e.task)} is not a task name`);
  if (!e.pointer_run_id) return fail('pointer_run_id is empty');
  if (!HASH_PATTERN.test(e.user_hash)) return fail('user_hash is not a 64-hex hash');
  if (e.group_hash !== '' && !HASH_PATTERN.test(e.group_hash)) return fail('group_hash is not a 64-hex hash');
  return e;
}

/** A pointer to add, with the raw ids of its user and group (hashed here, never stored or sent raw), or their hashes. */
export interface AddPointerRequest {
  task: string;
  userId: string;
  runId: string;
  groupId?: string | undefined;
  /** The hashes, when only they are known (an API caller): used instead of hashing the raw ids. */
  userHash?: string | undefined;
  groupHash?: string | undefined;
}

/** What adding a pointer did. */
export interface AddPointerResult {
  task: string;
  pointer: TaskPointer;
  /** False when an exactly equal pointer was stored already (then nothing is sent). */
  added: boolean;
  /** Whether its pointer update went to the configured transport. */
  sent: boolean;
  event_id: string;
}

/** Hashes a request's ids into the pointer they name. */
function pointerFrom(
  req: {
    userId: string;
    runId: string;
    groupId?: string | undefined;
    userHash?: string | undefined;
    groupHash?: string | undefined;
  },
  secret: string,
): TaskPointer {
  if (!req.userId && !req.userHash) throw new CascadenceError('USAGE', 'a pointer needs a user id');
  if (!req.runId) throw new CascadenceError('USAGE', 'a pointer needs a run id');
  const group = req.groupHash ?? (req.groupId ? hashId(req.groupId, secret) : undefined);
  return {
    run_id: req.runId,
    user_hash: req.userHash ?? hashId(req.userId, secret),
    ...(group ? { group_hash: group } : {}),
  };
}

/**
 * Checks that `task` is a registered pointer task (kind `pointer`).
 * @throws CascadenceError UNKNOWN_TASK, or USAGE for a task of another kind.
 */
export function assertPointerTask(registry: TaskRegistry, task: string): void {
  if (registry.describe(task).kind !== 'pointer') {
    throw new CascadenceError('USAGE', `'${task}' is not a pointer task`, {
      hint: 'pointers belong to tasks extending PointerTask (kind pointer)',
    });
  }
}

/** The pointers of `task` that belong to one user and group (by hash), oldest first. */
export function callerPointers(
  store: PointerStore,
  task: string,
  caller: { userHash: string; groupHash: string },
): TaskPointer[] {
  return store.list(task, { userHash: caller.userHash, groupHash: caller.groupHash });
}

/**
 * Stores a pointer of `task` (de-duplicated) and, when it is new and a transport is configured,
 * publishes its `pointer_update` event.
 * @throws CascadenceError USAGE for a missing id, CONFIG for a corrupt store.
 */
export async function addPointer(deps: PointerDeps, req: AddPointerRequest): Promise<AddPointerResult> {
  const pointer = pointerFrom(req, deps.hashSecret);
  const added = await deps.store.add(req.task, pointer);
  const event = pointerEvent(req.task, pointer);
  const sent = added && deps.bus !== undefined;
  if (sent) deps.bus?.publish({ type: 'ume', event });
  return { task: req.task, pointer, added, sent, event_id: event.event_id };
}

/** What to send: one pointer given by its raw ids, or (without them) every stored pointer of the task. */
export interface SendPointersRequest {
  task: string;
  userId?: string | undefined;
  runId?: string | undefined;
  groupId?: string | undefined;
}

/**
 * Publishes pointer updates: of the one pointer the request names (not stored), or of every
 * pointer stored for the task. Sending again is harmless: each pointer's event has one id.
 * @throws CascadenceError CONFIG when no transport is configured (or the store is corrupt), USAGE for half a pointer.
 */
export async function sendPointers(deps: PointerDeps, req: SendPointersRequest): Promise<PointerUpdateEvent[]> {
  const bus = deps.bus;
  if (!bus) {
    throw new CascadenceError('CONFIG', 'no event transport is configured, so there is nowhere to send pointers', {
      hint: 'pass --transport nats (or grpc), or set UME_TRANSPORT',
    });
  }
  if ((req.userId === undefined) !== (req.runId === undefined)) {
    throw new CascadenceError('USAGE', 'give both USER_ID and RUN_ID (one pointer) or neither (every stored pointer)');
  }
  const pointers =
    req.userId !== undefined && req.runId !== undefined
      ? [pointerFrom({ userId: req.userId, runId: req.runId, groupId: req.groupId }, deps.hashSecret)]
      : deps.store.list(req.task);
  const events = pointers.map((p) => pointerEvent(req.task, p));
  for (const event of events) bus.publish({ type: 'ume', event });
  return events;
}

/**
 * Applies a pointer received from another instance to the local store, without sending anything;
 * true when it was new.
 * @throws CascadenceError VALIDATION for a malformed pointer, CONFIG for a corrupt store.
 */
export async function receivePointer(store: PointerStore, update: PointerUpdate): Promise<boolean> {
  if (!isValidTaskName(update.task)) {
    throw new CascadenceError('VALIDATION', `invalid task name ${JSON.stringify(update.task)}`);
  }
  return store.applyUpdate(update);
}

/** Where a pointer-sync message came from. */
export interface RawMessage {
  subject: string;
  seq: number;
  text: string;
}

/** What pointer-sync did with one message. */
export type PointerSyncOutcome =
  | { status: 'stored' | 'duplicate'; update: PointerUpdate; rebroadcast: boolean; event_id: string }
  | { status: 'skipped'; reason: string };

/** A subscription to pointer updates: calls the handler for each message, in order, until stopped. */
export type PointerSubscribe = (handler: (event: unknown, raw: RawMessage) => Promise<void>) => Promise<Subscription>;

/** What the pointer-sync loop works with. */
export interface PointerSyncDeps {
  store: PointerStore;
  /** Where each applied update and each skipped message is recorded (stage `task`, reason `pointer_sync: ...`). */
  audit: AuditStore;
  /** Set to re-broadcast every update that was new here (`UME_BROADCAST_POINTERS`). */
  rebroadcast?: EventBus | undefined;
  /** Called with each message's outcome (the command prints it). */
  onOutcome?: (outcome: PointerSyncOutcome, raw: RawMessage) => void;
}

/** Task name under which messages that name no usable task are audited (`task audit pointer-sync`). */
export const POINTER_SYNC_AUDIT_TASK = 'pointer-sync';

function auditRecord(
  task: string,
  status: 'success' | 'error',
  reason: string,
  ids: { run_id?: string; user_hash?: string; group_hash?: string } = {},
): AuditRecord {
  return {
    task,
    stage: 'task',
    status,
    reason: `pointer_sync: ${reason}`,
    run_id: ids.run_id ?? '',
    user_hash: ids.user_hash ?? '',
    group_hash: ids.group_hash ?? '',
    time: new Date().toISOString(),
  };
}

/**
 * Handles one message of the pointer subscription: a valid pointer update is applied to the
 * store (and re-broadcast if it was new and re-broadcasting is on), a bad message is audited and
 * skipped. Re-broadcasting only what was new, with the event's own id, is what keeps instances
 * that all re-broadcast from echoing an update forever: the broker drops the repeated id, and an
 * instance that already holds the pointer sends nothing.
 * @throws CascadenceError CONFIG when the store cannot be written (a corrupt file): the update is
 *   audited as an error, and the caller should stop so the message is not acknowledged.
 */
export async function applyPointerMessage(
  deps: PointerSyncDeps,
  event: unknown,
  raw: RawMessage,
): Promise<PointerSyncOutcome> {
  const where = `${raw.subject}#${raw.seq}`;
  let update: PointerUpdateEvent;
  try {
    if (event === undefined) throw new CascadenceError('VALIDATION', 'not a pointer update: not JSON');
    update = parsePointerUpdate(event);
  } catch (err) {
    const reason = `${where}: ${rootMessage(err)}`;
    const named = isMapping(event) && typeof event.task === 'string' && isValidTaskName(event.task);
    deps.audit.append(auditRecord(named ? (event.task as string) : POINTER_SYNC_AUDIT_TASK, 'error', reason));
    const outcome: PointerSyncOutcome = { status: 'skipped', reason };
    deps.onOutcome?.(outcome, raw);
    return outcome;
  }
  const pointer = pointerOf(update);
  const ids = { run_id: pointer.run_id, user_hash: pointer.user_hash, group_hash: pointer.group_hash ?? '' };
  let added: boolean;
  try {
    added = await deps.store.applyUpdate(pointer);
  } catch (err) {
    deps.audit.append(auditRecord(update.task, 'error', `${where}: ${rootMessage(err)}`, ids));
    throw err;
  }
  const rebroadcast = added && deps.rebroadcast !== undefined;
  if (rebroadcast) deps.rebroadcast?.publish({ type: 'ume', event: update });
  const what = `${added ? 'stored' : 'already stored'} run ${pointer.run_id}${rebroadcast ? ', re-broadcast' : ''}`;
  deps.audit.append(auditRecord(update.task, 'success', what, ids));
  const outcome: PointerSyncOutcome = {
    status: added ? 'stored' : 'duplicate',
    update: pointer,
    rebroadcast,
    event_id: update.event_id,
  };
  deps.onOutcome?.(outcome, raw);
  return outcome;
}

/**
 * Runs pointer-sync: subscribes and applies each message with {@link applyPointerMessage} until
 * stopped. Bad messages are skipped and the loop goes on; a store that cannot be written ends it
 * (`done` rejects), leaving the message unacknowledged for the next start.
 */
export function startPointerSync(deps: PointerSyncDeps, subscribe: PointerSubscribe): Promise<Subscription> {
  return subscribe(async (event, raw) => {
    await applyPointerMessage(deps, event, raw);
  });
}
