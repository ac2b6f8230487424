/**
 * The ports of a pipeline run: everything it asks of the runtime that runs it (Temporal's
 * activities, child workflows and conditions, or direct in-process calls). Workflow-safe.
 */
import type { PipelineRequest, SubtaskRef, TaskDescription } from '../task';
import type { AuditRecord, RecordSource, RunOutcome, StepCall } from './types';

/** The outside world of a pipeline run. */
export interface PipelinePorts {
  /** Reads the task's stages and options. */
  describe(task: string): Promise<TaskDescription>;
  /** Runs one step; resolves with its output (a {@link PrecheckOutcome} for `precheck`), rejects when it finally fails. */
  runStep(call: StepCall, description: TaskDescription): Promise<unknown>;
  /** Runs subtasks as full pipelines, in sequence or concurrently; results in plan order. */
  runSubtasks(
    tasks: SubtaskRef[],
    mode: 'sequence' | 'parallel',
    parent: PipelineRequest,
    onSettled: (index: number, ok: boolean) => void,
  ): Promise<unknown[]>;
  /** Resolves once `predicate()` holds; re-checked whenever the run's state changes. */
  waitUntil(predicate: () => boolean): Promise<void>;
  /** Current time in milliseconds since the epoch (workflow time on Temporal). */
  now(): number;
  /** Receives every audit record as it is made (stores and event buses hang here). */
  record?(record: AuditRecord, source: RecordSource): void;
  /** Told once when a run that started ends (completed, failed, precheck failed), for its `task_run` event. */
  ended?(outcome: RunOutcome, source: RecordSource): void;
  /** Called after pause, resume or context changes, so `waitUntil` can re-check. */
  changed?(): void;
  /** True for the runtime's cancellation errors, which pass through untouched (no fallback, no wrapping). */
  isCancellation?(err: unknown): boolean;
  /**
   * Asked once before anything runs: why this run may not start (`task disabled`, `task paused`),
   * or undefined when it may. A refused run ends at once, `skipped`, without running any stage.
   */
  admit?(task: string): Promise<string | undefined>;
}
