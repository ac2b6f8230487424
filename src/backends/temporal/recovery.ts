/**
 * Retry and rerun on Temporal. A retry is Temporal's workflow reset at the points `reset-plan.ts`
 * finds, the run first, then each child it waits for (a DAG's failed node, a failed subtask):
 * the stages that succeeded stay in the kept history and are not run again. Every history is read
 * and every reset point found before anything is reset, so a retry that cannot be done changes
 * nothing. A rerun starts a new run from the input of the run's first event. Node-only.
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CascadenceError, rootMessage } from '../../core/errors';
import { SEARCH_ATTRIBUTE_RUN_ID, SEARCH_ATTRIBUTE_TASK } from '../../core/ids';
import type { DagDefinition, PipelineRequest } from '../../core';
import type { TaskFlags } from '../../core/task-flags';
import { assertFlagsAllowRun } from '../../core/task-flags';
import type {
  DagRunRequest,
  FailedRunFilter,
  RerunOutcome,
  RetriedWorkflow,
  RetryOutcome,
  RetryRequest,
  RunRequest,
  RunSummary,
} from '../backend';
import { planReset, type ExecutionState, type ResetPlan } from './reset-plan';
import { visibilityQuery } from './visibility';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What recovery needs from the backend it works for. */
export interface RecoveryHost {
  client: Client;
  namespace: string;
  /** The task queue of this deployment: a retry or rerun of many acts on its runs only. */
  taskQueue: string;
  /** The top-level workflow id of a run (by run id or workflow id). @throws CascadenceError UNKNOWN_RUN. */
  workflowIdOf(runRef: string): Promise<string>;
  flagsOf(task: string): Promise<TaskFlags>;
  start(request: RunRequest): Promise<string>;
  startDag(request: DagRunRequest): Promise<string>;
}

/** One workflow of a retry: its latest run, how that ended (when it did), and what to do to it. */
interface Step {
  workflowId: string;
  runId: string;
  plan: ResetPlan;
  ended?: string;
}

/** Every event kind a reset can reapply: all of them are excluded when children are reconnected. */
const ALL_REAPPLY_TYPES = Object.values(temporal.api.enums.v1.ResetReapplyExcludeType).filter(
  (v): v is temporal.api.enums.v1.ResetReapplyExcludeType =>
    typeof v === 'number' && v !== temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UNSPECIFIED,
);

/** Retry and rerun of runs on one namespace. */
export class TemporalRecovery {
  constructor(private readonly host: RecoveryHost) {}

  async retry(runRef: string, request: RetryRequest = {}): Promise<RetryOutcome> {
    const workflowId = await this.host.workflowIdOf(runRef);
    const description = await this.host.client.workflow.getHandle(workflowId).describe();
    const { task, runId } = identityOf(workflowId, description);
    if (description.type === 'pipelineWorkflow') assertFlagsAllowRun(task, await this.host.flagsOf(task));
    const steps = await this.plan(workflowId, request.from, 'run', false);
    const resets: RetriedWorkflow[] = [];
    for (const step of steps) {
      if (step.plan.resetTo === undefined) continue;
      resets.push({
        workflowId: step.workflowId,
        from: step.plan.from,
        eventId: step.plan.resetTo,
        temporalRunId: await this.reset(step, `cascadence retry of run ${runId}`),
      });
    }
    const ended = steps[0]?.ended;
    return {
      run_id: runId,
      task,
      workflowId,
      resets,
      restarted: steps.flatMap((s) => s.plan.restarted),
      ...(ended === undefined ? {} : { ended }),
    };
  }

  /**
   * The steps that retry workflow `workflowId` and the children it waits for, parent first.
   * `parentReset`: its parent is reset, so a child still running needs nothing (its end reaches
   * the parent's new run).
   */
  private async plan(
    workflowId: string,
    from: string | undefined,
    role: 'run' | 'child',
    parentReset: boolean,
  ): Promise<Step[]> {
    const handle = this.host.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    const state = stateOf(workflowId, description.status.name);
    if (role === 'child' && state === 'running' && parentReset) return [];
    const history = await this.host.client.workflow.getHandle(workflowId, description.runId).fetchHistory();
    const plan = planReset(history.events ?? [], state, {
      // A child that completed completes again; the stage asked for is its failed siblings'.
      ...(from === undefined || (role === 'child' && state === 'completed') ? {} : { from }),
      role,
      label: role === 'run' ? `run ${workflowId}` : workflowId,
    });
    const ended = endingOf(history.events ?? []);
    const steps: Step[] = [{ workflowId, runId: description.runId, plan, ...(ended === undefined ? {} : { ended }) }];
    for (const child of plan.children) {
      steps.push(...(await this.plan(child, plan.passFrom ? from : undefined, 'child', plan.resetTo !== undefined)));
    }
    return steps;
  }

  /** Resets one workflow; returns the new run's id. @throws CascadenceError VALIDATION, CONNECTION. */
  private async reset(step: Step, reason: string): Promise<string> {
    const { plan } = step;
    try {
      // fromObject: the event id is an int64 (a Long) in the request's type.
      const request = temporal.api.workflowservice.v1.ResetWorkflowExecutionRequest.fromObject({
        namespace: this.host.namespace,
        workflowExecution: { workflowId: step.workflowId, runId: step.runId },
        workflowTaskFinishEventId: plan.resetTo,
        reason,
        // The same reset asked twice (a retried request) makes one new run.
        requestId: `cascadence-retry-${step.runId}-${plan.resetTo}`,
        ...(plan.reapplyNone ? { resetReapplyExcludeTypes: ALL_REAPPLY_TYPES } : {}),
      });
      const { runId } = await this.host.client.workflowService.resetWorkflowExecution(request);
      return runId ?? '';
    } catch (err) {
      // gRPC status codes: the server refused the reset point, or the run is gone (retention).
      const code = (err as { code?: unknown }).code;
      throw new CascadenceError(
        code === 3 || code === 9 ? 'VALIDATION' : code === 5 ? 'UNKNOWN_RUN' : 'CONNECTION',
        `could not reset ${step.workflowId}: ${rootMessage(err)}`,
        { cause: err },
      );
    }
  }

  async rerun(runRef: string): Promise<RerunOutcome> {
    const workflowId = await this.host.workflowIdOf(runRef);
    const handle = this.host.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    const { task, runId } = identityOf(workflowId, description);
    const input = firstInput((await handle.fetchHistory()).events ?? []);
    if (description.type === 'pipelineWorkflow') {
      const req = input as PipelineRequest;
      const newRunId = await this.host.start({
        task: req.task,
        userId: '',
        groupId: '',
        userHash: req.userHash,
        groupHash: req.groupHash,
        ...(req.input === undefined ? {} : { input: req.input }),
      });
      return { run_id: runId, task, new_run_id: newRunId };
    }
    if (description.type === 'dagWorkflow') {
      const req = input as { definition: DagDefinition; userHash: string; groupHash: string };
      const newRunId = await this.host.startDag({
        definition: req.definition,
        userId: '',
        groupId: '',
        userHash: req.userHash,
        groupHash: req.groupHash,
      });
      return { run_id: runId, task, new_run_id: newRunId };
    }
    throw new CascadenceError(
      'VALIDATION',
      `run ${runRef} is a ${description.type} run: only pipeline and DAG runs re-run`,
      {
        hint: 'start it again the way it was started',
      },
    );
  }

  async failedRuns(filter: FailedRunFilter): Promise<RunSummary[]> {
    const query = visibilityQuery({
      cascadenceOnly: true,
      status: 'failed',
      taskQueue: this.host.taskQueue,
      ...(filter.task ? { task: filter.task } : {}),
      ...(filter.groupHash ? { groupHash: filter.groupHash } : {}),
      ...(filter.closedAfter ? { closedAfter: filter.closedAfter } : {}),
    });
    const runs: RunSummary[] = [];
    const seen = new Set<string>();
    for await (const wf of this.host.client.workflow.list({ query })) {
      if (wf.workflowId.includes('/') || seen.has(wf.workflowId)) continue; // subtasks and DAG nodes belong to their run
      seen.add(wf.workflowId);
      // A run retried since has a newer execution (the reset's): it is no longer failed, or fails anew.
      const latest = await this.host.client.workflow.getHandle(wf.workflowId).describe();
      if (latest.runId !== wf.runId) continue;
      runs.push({
        run_id: String(wf.searchAttributes[SEARCH_ATTRIBUTE_RUN_ID]?.[0] ?? wf.workflowId),
        task: String(wf.searchAttributes[SEARCH_ATTRIBUTE_TASK]?.[0] ?? wf.type),
        status: wf.status.name.toLowerCase(),
        started: wf.startTime.toISOString(),
        workflowId: wf.workflowId,
      });
      if (runs.length >= filter.limit) break;
    }
    return runs;
  }
}

/** The task and run id a run's search attributes name. */
function identityOf(workflowId: string, description: WorkflowExecutionDescription): { task: string; runId: string } {
  const task = description.searchAttributes[SEARCH_ATTRIBUTE_TASK]?.[0];
  const runId = description.searchAttributes[SEARCH_ATTRIBUTE_RUN_ID]?.[0];
  return { task: typeof task === 'string' ? task : workflowId, runId: typeof runId === 'string' ? runId : workflowId };
}

/** @throws CascadenceError VALIDATION for a run continued as new (its newer run is the one to retry). */
function stateOf(workflowId: string, status: string): ExecutionState {
  if (status === 'RUNNING') return 'running';
  if (status === 'COMPLETED') return 'completed';
  if (status === 'CONTINUED_AS_NEW') {
    throw new CascadenceError('VALIDATION', `${workflowId} continued as new: there is nothing to retry`);
  }
  return 'failed';
}

/** How a closed run that did not complete ended, from its last event (undefined for any other). */
function endingOf(events: readonly HistoryEvent[]): string | undefined {
  const last = events[events.length - 1];
  const E = temporal.api.enums.v1.EventType;
  switch (last?.eventType) {
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return last.workflowExecutionFailedEventAttributes?.failure?.message ?? 'failed';
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      return 'timed out';
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      return `terminated: ${last.workflowExecutionTerminatedEventAttributes?.reason ?? ''}`.replace(/: $/, '');
    case E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      return 'cancelled';
    default:
      return undefined;
  }
}

/** The first argument of the workflow, from its started event. */
function firstInput(events: readonly HistoryEvent[]): unknown {
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  return fromPayloadsAtIndex(defaultPayloadConverter, 0, started?.input?.payloads ?? []);
}
