/**
 * `pipelineWorkflow`: one run of one task's pipeline, as a deterministic Temporal workflow.
 * The algorithm itself is `PipelineRun` in core; this file supplies its ports (stage
 * activities, child workflows for subtasks, `condition` for pauses) and its messages.
 */
import {
  ActivityCancellationType,
  executeChild,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  patched,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  condition,
  setCurrentDetails,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { CatalogueActivities } from '../activities/catalogue';
import type { StageActivities } from '../activities/stages';
import {
  PipelineRun,
  STAGE_DEFAULTS,
  childWorkflowId,
  pipelineWorkflowId,
  durationMs,
  refusalReason,
  runIdFromWorkflowId,
  validateContextPayload,
  currentRunDetails,
  runDetails,
  runSummary,
  stageModeOf,
  type RunCard,
  type PipelinePorts,
  type PipelineRequest,
  type StepName,
  type TaskDescription,
} from '../core';
import { toWorkflowFailure } from './failure';
import { attachContextUpdate, auditQuery, pauseSignal, resumeSignal, statusQuery, type AuditSinks } from './messages';
import { RUN_ID_KEY, pipelineSearchAttributes } from './search-attributes';

const { describeTask } = proxyLocalActivities<StageActivities>({ startToCloseTimeout: '10s' });
const { taskFlags } = proxyLocalActivities<CatalogueActivities>({ startToCloseTimeout: '10s' });

/** Runs started before top-level runs consulted the task catalogue replay without the check. */
export const TASK_FLAGS_PATCH = 'cascadence-task-flags-check';

/**
 * A top-level run started by a Schedule or any starter other than a Cascadence client (which
 * checked just before starting it) asks the task catalogue whether its task may run now;
 * subtasks and DAG nodes belong to a run that was admitted.
 */
function admission(request: PipelineRequest): Pick<PipelinePorts, 'admit'> {
  if (request.flagsChecked || workflowInfo().parent !== undefined || !patched(TASK_FLAGS_PATCH)) return {};
  return { admit: async (task) => refusalReason(await taskFlags(task)) };
}
const { audit } = proxySinks<AuditSinks>();

/**
 * Activity options of a task's stage, from its options (retry policy, timeouts). Every stage has
 * a heartbeat timeout (`options.heartbeatTimeout`, else `STAGE_DEFAULTS.heartbeatTimeout`, 10 s):
 * a stage whose worker dies is retried on another worker that much later, not at its
 * start-to-close timeout. Activity options are not part of Temporal's determinism check, so runs
 * recorded without a heartbeat timeout still replay.
 */
export function stageActivityOptions(desc: TaskDescription, step: StepName): ActivityOptions {
  const { retry = {}, startToCloseTimeout, heartbeatTimeout } = desc.options;
  return {
    summary: `${desc.name}: ${step}`,
    startToCloseTimeout: durationMs(startToCloseTimeout ?? STAGE_DEFAULTS.startToCloseTimeout),
    heartbeatTimeout: durationMs(heartbeatTimeout ?? STAGE_DEFAULTS.heartbeatTimeout),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: retry.maximumAttempts ?? STAGE_DEFAULTS.maximumAttempts,
      initialInterval:
        retry.initialInterval === undefined ? STAGE_DEFAULTS.initialIntervalMs : durationMs(retry.initialInterval),
      backoffCoefficient: retry.backoffCoefficient ?? STAGE_DEFAULTS.backoffCoefficient,
      ...(retry.maximumInterval === undefined ? {} : { maximumInterval: durationMs(retry.maximumInterval) }),
      nonRetryableErrorTypes: retry.nonRetryableErrorTypes ?? [],
    },
  };
}

/**
 * Options of a stage run as a local activity (`stageMode: 'local'`): the stage's activity
 * options without a heartbeat timeout, which local activities do not have.
 */
export function localStageOptions(desc: TaskDescription, step: StepName): LocalActivityOptions {
  const { heartbeatTimeout: _none, ...options } = stageActivityOptions(desc, step);
  return options;
}

/**
 * The proxy of one stage: a local activity when the task's options say so, else an activity.
 * The mode comes from the run's own task description (in its input or the describeTask marker),
 * so a replay takes the same branch.
 */
function stageProxy(desc: TaskDescription, step: StepName): StageActivities[StepName] {
  return stageModeOf(desc.options, step) === 'local'
    ? proxyLocalActivities<StageActivities>(localStageOptions(desc, step))[step]
    : proxyActivities<StageActivities>(stageActivityOptions(desc, step))[step];
}

/**
 * A run started by a Temporal Schedule carries no run id (the schedule's arguments are the same
 * for every run): it takes its run id from the workflow id Temporal gave it, and records it as
 * a search attribute so `task status RUN_ID` finds it.
 */
function scheduledRun(request: PipelineRequest): PipelineRequest {
  if (request.runId) return request;
  const workflowId = workflowInfo().workflowId;
  const runId = runIdFromWorkflowId(request.task, workflowId) ?? workflowId;
  upsertSearchAttributes([{ key: RUN_ID_KEY, value: runId }]);
  return { ...request, runId, workflowId };
}

/** Runs `request.task` as a pipeline; returns the pipeline result (verify's, else run's). */
export async function pipelineWorkflow(request: PipelineRequest): Promise<unknown> {
  const stageProxies = new Map<StepName, StageActivities[StepName]>();
  const ports: PipelinePorts = {
    describe: (task) =>
      request.description?.name === task ? Promise.resolve(request.description) : describeTask(task),
    runStep(call, desc) {
      let fn = stageProxies.get(call.step);
      if (!fn) {
        fn = stageProxy(desc, call.step);
        stageProxies.set(call.step, fn);
      }
      return fn(call);
    },
    runSubtasks(tasks, mode, parent, onSettled) {
      const parentId = parent.workflowId ?? pipelineWorkflowId(parent.task, parent.runId);
      const depth = (parent.depth ?? 0) + 1;
      const start = (index: number): Promise<unknown> => {
        const ref = tasks[index] as (typeof tasks)[number];
        const workflowId = childWorkflowId(parentId, index, ref.task);
        const child: PipelineRequest = {
          workflowId,
          task: ref.task,
          runId: parent.runId,
          userHash: parent.userHash,
          groupHash: parent.groupHash,
          input: ref.input,
          depth,
          ...(parent.maxDepth === undefined ? {} : { maxDepth: parent.maxDepth }),
        };
        return executeChild(pipelineWorkflow, {
          workflowId,
          args: [child],
          staticSummary: runSummary({ task: ref.task, role: `subtask ${index + 1} of ${parent.task}` }),
          staticDetails: runDetails({ ...cardOf(child), role: `subtask ${index + 1} of ${parent.task}` }),
          memo: { task: ref.task, runId: parent.runId, parent: parentId, depth },
          typedSearchAttributes: pipelineSearchAttributes(ref.task, parent.groupHash, parent.runId),
        }).then(
          (result) => {
            onSettled(index, true);
            return result;
          },
          (err: unknown) => {
            onSettled(index, false);
            throw err;
          },
        );
      };
      if (mode === 'parallel') return Promise.all(tasks.map((_t, i) => start(i)));
      return tasks.reduce<Promise<unknown[]>>(
        (acc, _t, i) => acc.then(async (results) => [...results, await start(i)]),
        Promise.resolve([]),
      );
    },
    waitUntil: (predicate) => condition(predicate),
    now: () => Date.now(),
    record: (rec, source) => {
      audit.record(rec, source);
      // The Web UI's current details follow the run: stage, paused, subtasks.
      setCurrentDetails(currentRunDetails(run.snapshot()));
    },
    ended: (outcome, source) => audit.ended(outcome, source),
    isCancellation,
    ...admission(request),
  };

  const run = new PipelineRun(scheduledRun(request), ports);
  setHandler(statusQuery, () => run.snapshot());
  setHandler(auditQuery, () => run.audit);
  setHandler(pauseSignal, () => void run.pause());
  setHandler(resumeSignal, () => void run.resume());
  setHandler(
    attachContextUpdate,
    (payload) => {
      try {
        return run.attachContext(payload);
      } catch (err) {
        throw toWorkflowFailure(err);
      }
    },
    {
      validator: (payload) => {
        try {
          validateContextPayload(payload);
        } catch (err) {
          throw toWorkflowFailure(err);
        }
      },
    },
  );

  try {
    return await run.execute();
  } catch (err) {
    throw toWorkflowFailure(err);
  } finally {
    setCurrentDetails(currentRunDetails(run.snapshot()));
  }
}

/** The card of a run request (hashed ids only). */
function cardOf(request: PipelineRequest): RunCard {
  return {
    task: request.task,
    runId: request.runId,
    userHash: request.userHash,
    groupHash: request.groupHash,
    input: request.input,
  };
}
