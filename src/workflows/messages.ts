/**
 * Signals, queries and updates of the pipeline workflow. Workflow-safe; clients import these too.
 */
import { defineQuery, defineSignal, defineUpdate, type Sinks } from '@temporalio/workflow';
import type {
  AuditRecord,
  CatalogueSnapshot,
  ContextDelivery,
  ContextPayload,
  DagStatus,
  PipelineStatus,
  PluginRecord,
  RecordSource,
  RunOutcome,
  TaskFlagsChange,
  TaskFlagsPatch,
} from '../core';

/** Pause at the next stage boundary (a running stage finishes first). */
export const pauseSignal = defineSignal('pause');
/** Resume a paused run. */
export const resumeSignal = defineSignal('resume');
/** Current stage, paused or not, each stage's status and timing, subtask progress. */
export const statusQuery = defineQuery<PipelineStatus>('status');
/** A DAG run's status: every node's state and timing. */
export const dagStatusQuery = defineQuery<DagStatus>('status');
/** The run's audit records so far. */
export const auditQuery = defineQuery<AuditRecord[]>('audit');
/** Attach `{note?, url?}`; answers `delivered` (now) or `queued` (at the next stage boundary). */
export const attachContextUpdate = defineUpdate<ContextDelivery, [ContextPayload]>('attachContext');

/**
 * Sinks the worker provides: audit records and run outcomes leave the workflow here,
 * fire-and-forget (the worker calls them during replay too; their events' ids make that harmless).
 */
export interface AuditSinks extends Sinks {
  audit: {
    record(record: AuditRecord, source?: RecordSource): void;
    ended(outcome: RunOutcome, source: RecordSource): void;
  };
}

/** The task catalogue's flags of every task, with its version. */
export const catalogueQuery = defineQuery<CatalogueSnapshot>('catalogue');
/** Appends an admin action (who disabled, paused, scheduled... a task) to the task's trail in the catalogue. */
export const recordActionUpdate = defineUpdate<void, [AuditRecord]>('recordAction');
/** The admin actions the catalogue holds for one task, oldest first. */
export const actionsQuery = defineQuery<AuditRecord[], [string]>('actions');
/** Changes one task's flags; answers its flags after the change and whether anything changed. */
export const setTaskFlagsUpdate = defineUpdate<TaskFlagsChange, [TaskFlagsPatch]>('setTaskFlags');
/** Records a plugin module registered at run time; answers whether it was new to the catalogue. */
export const registerPluginUpdate = defineUpdate<{ added: boolean }, [Omit<PluginRecord, 'registered_at'>]>(
  'registerPlugin',
);
