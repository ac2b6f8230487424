/**
 * Versioned events ("UME"), made from the audit records runs emit. Every event carries its
 * `event_type`, `schema_version`, a deterministic `event_id` (`<workflow id>#<record
 * sequence>:<event type>`, so an event emitted twice has one id and a broker can drop the
 * second), the task, the run id, the run's workflow id and hashed ids only. Each type has a JSON
 * Schema in `schemas/events/`. Subjects: `<prefix>.<kind>.<task>` under `UME_NATS_SUBJECT`
 * (default `cascadence`), e.g. `cascadence.stage.example`. Node-only.
 */
import type { AuditRecord, RecordSource, RunOutcome } from '../core/pipeline';

/** The event schemas' version. */
export const SCHEMA_VERSION = 1;

/** Every event type, with the subject kind it is published under. */
export const EVENT_KINDS = {
  task_spec: 'spec',
  stage_update: 'stage',
  audit_record: 'audit',
  task_note: 'note',
  task_run: 'run',
  pointer_update: 'pointer',
  idea_seed: 'idea',
  workflow_event: 'workflow',
} as const;

export type UmeEventType = keyof typeof EVENT_KINDS;

/** What every event carries. */
export interface UmeEventBase {
  event_type: UmeEventType;
  schema_version: typeof SCHEMA_VERSION;
  event_id: string;
  time: string;
  task: string;
  run_id: string;
  workflow_id: string;
  user_hash: string;
  group_hash: string;
}

/** A stage started. */
export interface TaskSpecEvent extends UmeEventBase {
  event_type: 'task_spec';
  stage: AuditRecord['stage'];
}
/** A stage ended. */
export interface StageUpdateEvent extends UmeEventBase {
  event_type: 'stage_update';
  stage: AuditRecord['stage'];
  status: 'success' | 'error' | 'skipped';
  reason?: string;
  output?: string;
}
/** Any audit record. */
export interface AuditRecordEvent extends UmeEventBase {
  event_type: 'audit_record';
  record: Pick<AuditRecord, 'stage' | 'status' | 'reason' | 'output'>;
}
/** Context attached to a run. */
export interface TaskNoteEvent extends UmeEventBase {
  event_type: 'task_note';
  stage: AuditRecord['stage'];
  note: string;
}
/** A run's pipeline-level outcome. */
export interface TaskRunEvent extends UmeEventBase {
  event_type: 'task_run';
  state: 'skipped' | 'completed' | 'failed' | 'precheck_failed';
  reason?: string;
  /** How long the run took (absent for a run refused before it started). */
  duration_ms?: number;
}

/** The events made from records. */
export type UmeEvent = TaskSpecEvent | StageUpdateEvent | AuditRecordEvent | TaskNoteEvent | TaskRunEvent;

/**
 * The id of the `type` event of the record at `source`: `<workflow id>[@<execution>]#<seq>[.<digest>]:<type>`.
 * The same record gives the same id however often it is published (a replay, a retried workflow
 * task), so the outbox and JetStream drop repeats; a record of a new execution under a reused
 * workflow id, or one a reset run made in a place the failed attempt's record had, saying
 * something else, gets a new one.
 */
export function eventIdOf(source: RecordSource, type: string): string {
  const execution = source.execution ? `@${source.execution}` : '';
  const digest = source.digest ? `.${source.digest}` : '';
  return `${source.workflowId}${execution}#${source.seq}${digest}:${type}`;
}

const ENDED = new Set(['success', 'error', 'skipped']);

/** The events one audit record stands for: always its `audit_record`, and the one its status means. */
export function toUmeEvents(record: AuditRecord, source: RecordSource): UmeEvent[] {
  const base = (type: UmeEventType): UmeEventBase => ({
    event_type: type,
    schema_version: SCHEMA_VERSION,
    event_id: eventIdOf(source, type),
    time: record.time,
    task: record.task,
    run_id: record.run_id,
    workflow_id: source.workflowId,
    user_hash: record.user_hash,
    group_hash: record.group_hash,
  });
  const detail = {
    ...(record.reason === undefined ? {} : { reason: record.reason }),
    ...(record.output === undefined ? {} : { output: record.output }),
  };
  const events: UmeEvent[] = [
    {
      ...base('audit_record'),
      event_type: 'audit_record',
      record: { stage: record.stage, status: record.status, ...detail },
    },
  ];
  const stage = record.stage;
  if (stage === 'pipeline' && record.status === 'skipped') {
    events.push({
      ...base('task_run'),
      event_type: 'task_run',
      state: 'skipped',
      ...(record.reason ? { reason: record.reason } : {}),
    });
  } else if (record.status === 'started') {
    events.push({ ...base('task_spec'), event_type: 'task_spec', stage });
  } else if (record.status === 'context') {
    events.push({ ...base('task_note'), event_type: 'task_note', stage, note: record.output ?? '' });
  } else if (ENDED.has(record.status) && stage !== 'task' && stage !== 'schedule') {
    events.push({
      ...base('stage_update'),
      event_type: 'stage_update',
      stage,
      status: record.status as StageUpdateEvent['status'],
      ...detail,
    });
  }
  return events;
}

/** The `task_run` event of a run's outcome. */
export function runEvent(outcome: RunOutcome, source: RecordSource): TaskRunEvent {
  return {
    event_type: 'task_run',
    schema_version: SCHEMA_VERSION,
    event_id: eventIdOf(source, 'task_run'),
    time: outcome.time,
    task: outcome.task,
    run_id: outcome.run_id,
    workflow_id: source.workflowId,
    user_hash: outcome.user_hash,
    group_hash: outcome.group_hash,
    state: outcome.state,
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    duration_ms: outcome.duration_ms,
  };
}

/** The subject of `event` under `prefix`: `<prefix>.<kind>.<task>` (dots in a task name become `_`, a subject separator). */
export function subjectOf(prefix: string, event: Pick<AnyUmeEvent, 'event_type' | 'task'>): string {
  return `${prefix}.${EVENT_KINDS[event.event_type]}.${event.task.replace(/\./g, '_')}`;
}

/** A pointer to another instance's run of a PointerTask (hashed user). */
export interface PointerUpdateEvent extends UmeEventBase {
  event_type: 'pointer_update';
  pointer_run_id: string;
}
/** An idea seed a user sent. */
export interface IdeaSeedEvent extends UmeEventBase {
  event_type: 'idea_seed';
  text: string;
}

/**
 * A follow-up event an event-driven workflow publishes (`calendar.event.created`,
 * `finance.decision.result`, `finance.explain.request`), under `<prefix>.workflow.<task>`. Its id
 * is made of its run's workflow id and the place of its `publish` record in the run's trail.
 */
export interface WorkflowEventEvent extends UmeEventBase {
  event_type: 'workflow_event';
  /** The event's name. */
  name: string;
  /** What it says (hashed ids only). */
  payload: unknown;
}

/** Every event Cascadence publishes. */
export type AnyUmeEvent = UmeEvent | PointerUpdateEvent | IdeaSeedEvent | WorkflowEventEvent;

/** The `workflow_event` named `name` of a run, published from the place `source` in its trail. */
export function workflowEvent(
  fields: Pick<WorkflowEventEvent, 'name' | 'payload' | 'task' | 'run_id' | 'user_hash' | 'group_hash' | 'time'>,
  source: RecordSource,
): WorkflowEventEvent {
  return {
    event_type: 'workflow_event',
    schema_version: SCHEMA_VERSION,
    event_id: eventIdOf(source, 'workflow_event'),
    time: fields.time,
    task: fields.task,
    run_id: fields.run_id,
    workflow_id: source.workflowId,
    user_hash: fields.user_hash,
    group_hash: fields.group_hash,
    name: fields.name,
    payload: fields.payload,
  };
}

/**
 * An event that no run records (a pointer, an idea): its `workflow_id` is `key`, a stable name of
 * what it is about (`pointer:<task>:<run>:<user hash>`), so emitting it twice gives one event id.
 */
export function standaloneEvent<T extends PointerUpdateEvent | IdeaSeedEvent>(
  key: string,
  fields: Omit<T, 'event_id' | 'schema_version' | 'workflow_id' | 'time'> & { time?: string },
): T {
  return {
    schema_version: SCHEMA_VERSION,
    time: fields.time ?? new Date().toISOString(),
    ...fields,
    workflow_id: key,
    event_id: `${key}#0:${fields.event_type}`,
  } as T;
}
