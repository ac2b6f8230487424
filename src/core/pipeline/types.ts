/**
 * What a pipeline run records and reports: audit records, step and run status, the call a step
 * executor gets. Workflow-safe.
 */
import type { ContextPayload, StepName } from '../task';

/** Status of one audit record. */
export type AuditStatus = 'started' | 'success' | 'error' | 'skipped' | 'paused' | 'resumed' | 'context' | AdminAction;

/** What somebody did to a task or its schedule (stage `task` or `schedule`), recorded with who did it. */
export type AdminAction =
  | 'disabled'
  | 'enabled'
  | 'paused'
  | 'resumed'
  | 'scheduled'
  | 'unscheduled'
  | 'schedule-paused'
  | 'schedule-resumed'
  | 'triggered'
  | 'loaded'
  | 'follow-up'
  | 'retried'
  | 'rerun';

/** Steps of the event-driven workflows beside `research` and `schedule` (src/workflows/calendar-event.ts, finance-decision.ts). */
export type EventStep = 'validate' | 'permission' | 'persistence' | 'engine' | 'publish';

/** One stage transition of one run. Ids are hashes; outputs are JSON previews of at most 256 characters. */
export interface AuditRecord {
  task: string;
  /** A stage, the whole `pipeline`, an admin action on the `task` or its `schedule`, or a step of an event-driven workflow. */
  stage: StepName | 'pipeline' | 'task' | 'schedule' | EventStep;
  status: AuditStatus;
  reason?: string;
  output?: string;
  run_id: string;
  user_hash: string;
  group_hash: string;
  time: string;
}

/**
 * Where a record comes from: its run's workflow id and its position in the run's trail, so any
 * event made of it has an id that is the same however often it is emitted.
 */
export interface RecordSource {
  workflowId: string;
  seq: number;
  /**
   * Which execution of the workflow id made the record (on Temporal: the start of its first
   * execution's run id, the same across resets and replays). A new workflow started under an id
   * that was used before (a DAG node started again) gets new event ids with it.
   */
  execution?: string;
  /**
   * A digest of what the record says. A reset run (`task retry`) goes on from an earlier place in
   * its trail, so its records take places the failed attempt's had; what they say differs
   * (`verify success` where there was `verify error`), and so do their events' ids.
   */
  digest?: string;
}

/** How a run ended, as its `task_run` event tells it. */
export interface RunOutcome {
  task: string;
  run_id: string;
  user_hash: string;
  group_hash: string;
  state: 'completed' | 'failed' | 'precheck_failed';
  reason?: string;
  time: string;
  /** From the start of `execute` to the end (workflow time on Temporal). */
  duration_ms: number;
}

/** Status of one step in the status query. */
export interface StepStatus {
  status: 'pending' | 'running' | 'success' | 'error' | 'skipped';
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  reason?: string;
  /** What a failed stage had done (a StageError's `partial`). */
  partial?: unknown;
}

/**
 * Overall state of a run. `precheck_failed` is a distinct outcome: the precheck stopped the run before `run`;
 * `skipped`: the task was disabled or paused when the run started, so no stage ran.
 */
export type RunState = 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'precheck_failed' | 'skipped';

/** What the status query returns. */
export interface PipelineStatus {
  task: string;
  runId: string;
  state: RunState;
  paused: boolean;
  currentStage: StepName | null;
  steps: Partial<Record<StepName, StepStatus>>;
  subtasks: { total: number; completed: number; failed: number };
  context: { delivered: number; queued: number };
  /** Why the run was skipped (state `skipped`). */
  reason?: string;
}

/** Everything a step executor needs to call one stage method of a task. */
export interface StepCall {
  task: string;
  step: StepName;
  runId: string;
  userHash: string;
  groupHash: string;
  input: unknown;
  research?: unknown;
  plan?: unknown;
  results?: unknown[];
  runResult?: unknown;
  context: ContextPayload[];
  upstream?: Record<string, unknown>;
}

/** Result of the precheck step. */
export interface PrecheckOutcome {
  ok: boolean;
  reason?: string;
}

/** Where a context payload went: straight to the run, or queued for the next stage boundary. */
export type ContextDelivery = 'delivered' | 'queued';
