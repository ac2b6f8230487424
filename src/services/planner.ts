/**
 * The capability planner: it reads `task_run` events and, for each failed run, registers a
 * follow-up task in the task store (`CASCADENCE_TASKS_PATH`) with an audit record in the failed
 * task's trail; configured to, it also starts the follow-up as a new run of the failed task (one
 * run per failure: its run id is derived from the event). Reading from a durable JetStream
 * consumer, a restarted planner resumes after the last event it handled, and the follow-up's
 * name is derived from the failed run, so an event seen twice registers nothing twice. Node-only.
 */
import { createHash } from 'node:crypto';
import { hasCapability, requireCapability, type Backend } from '../backends/backend';
import { isCascadenceError } from '../core/errors';
import type { Subscription } from '../events/nats';
import type { AnyUmeEvent, TaskRunEvent } from '../events/ume';
import type { TaskStore } from '../stores/task-store';
import { subscribeEvents, type EventFilter } from './subscribe';
import type { CascadenceConfig } from '../config/config';

/** The default durable consumer of the planner (one per deployment; name another to run a second). */
export const PLANNER_CONSUMER = 'cascadence-capability-planner';

/** What the planner works with. */
export interface PlannerDeps {
  store: TaskStore;
  /** Where follow-ups are recorded (an audit trail) and, with `startFollowUps`, started. */
  backend: Backend;
  /** Start each follow-up as a new run of the failed task. */
  startFollowUps?: boolean;
}

/** What the planner did with one event. */
export type PlannerOutcome =
  | { status: 'ignored'; event_id?: string }
  | { status: 'seen'; event_id: string; follow_up: string }
  | { status: 'registered'; event_id: string; follow_up: string; task: string; run_id: string; started?: string };

/** The follow-up's name for a failed run: `follow-up.<task>.<first 12 of the run id>` (valid, stable). */
export function followUpName(event: Pick<TaskRunEvent, 'task' | 'run_id'>): string {
  const run = event.run_id.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) || 'run';
  return `follow-up.${event.task}.${run}`;
}

/** A UUID derived from `text` (the same text, the same id): the follow-up run's id. */
export function derivedRunId(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

const isFailedRun = (e: AnyUmeEvent | undefined): e is TaskRunEvent =>
  e?.event_type === 'task_run' && e.state === 'failed' && !e.workflow_id.includes('/');

/**
 * Handles one event: a failed top-level run gets its follow-up (registered once, audited once,
 * started once when configured); anything else is ignored.
 */
export async function handleRunEvent(deps: PlannerDeps, event: AnyUmeEvent | undefined): Promise<PlannerOutcome> {
  if (!isFailedRun(event)) return { status: 'ignored', ...(event ? { event_id: event.event_id } : {}) };
  // A follow-up run that fails in turn starts no chain of follow-ups.
  if (deps.store.list().some((t) => t.follow_up_run_id === event.run_id)) {
    return { status: 'ignored', event_id: event.event_id };
  }
  const name = followUpName(event);
  const start = deps.startFollowUps === true && event.user_hash !== '' && event.group_hash !== '';
  // Its run id is derived from the event and stored before the run starts: one run per failure, known as a follow-up.
  const runId = derivedRunId(event.event_id);
  const { added } = await deps.store.register({
    name,
    reason: `follow-up of failed run ${event.run_id}${event.reason ? `: ${event.reason.slice(0, 200)}` : ''}`,
    source_task: event.task,
    source_run_id: event.run_id,
    ...(start ? { follow_up_run_id: runId } : {}),
  });
  if (!added) return { status: 'seen', event_id: event.event_id, follow_up: name };
  let started: string | undefined;
  if (start) {
    try {
      started = await requireCapability(deps.backend, 'operate').start({
        task: event.task,
        userId: '',
        groupId: '',
        userHash: event.user_hash,
        groupHash: event.group_hash,
        runId,
        // One run per failure, even after an earlier one closed.
        once: true,
      });
    } catch (err) {
      // Started already (a planner that stopped between the start and the store's write): the same run.
      if (!isCascadenceError(err) || err.code !== 'RUN_EXISTS') throw err;
      started = runId;
    }
  }
  if (hasCapability(deps.backend, 'actions')) {
    await deps.backend.recordAction({
      task: event.task,
      stage: 'task',
      action: 'follow-up',
      actor: {},
      runId: event.run_id,
      reason: `${name} registered${started ? `, run ${started} started` : ''}`,
    });
  }
  return {
    status: 'registered',
    event_id: event.event_id,
    follow_up: name,
    task: event.task,
    run_id: event.run_id,
    ...(started ? { started } : {}),
  };
}

/** Runs the planner over the configured transport until stopped; `onOutcome` hears about every event. */
export function startCapabilityPlanner(
  config: Pick<CascadenceConfig, 'events' | 'natsUrl' | 'natsSubject' | 'grpcTarget' | 'grpcStub'>,
  deps: PlannerDeps,
  options: { durable?: string; from?: EventFilter['from']; onOutcome?: (o: PlannerOutcome) => void } = {},
): Promise<Subscription> {
  return subscribeEvents(
    config,
    { types: ['task_run'], durable: options.durable ?? PLANNER_CONSUMER, from: options.from ?? 'all' },
    async (event) => options.onOutcome?.(await handleRunEvent(deps, event)),
  );
}
