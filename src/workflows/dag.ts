/**
 * `dagWorkflow`: a DAG of tasks as one deterministic workflow. The algorithm is `DagRun` in
 * core; here each node runs as a child pipeline workflow (`<dag-id>/<node>`), or inside one
 * activity when lightweight. The canonical definition is the workflow's input, so replay
 * never depends on files that may have changed since.
 */
import {
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { StageActivities } from '../activities/stages';
import {
  DagRun,
  DEFAULT_HEARTBEAT_TIMEOUT,
  validateDag,
  type DagDefinition,
  type DagNode,
  type DagPorts,
  type DagResult,
  runDetails,
  runSummary,
  STAGE_DEFAULTS,
  type PipelineRequest,
  type TaskOptions,
} from '../core';
import { dagWorkflowId } from '../core/ids';
import { dagStatusQuery, pauseSignal, resumeSignal } from './messages';
import { toWorkflowFailure } from './failure';
import { pipelineWorkflow } from './pipeline';
import { pipelineSearchAttributes } from './search-attributes';

/** Input of a DAG run: the canonical definition and hashed ids. */
export interface DagRequest {
  definition: DagDefinition;
  runId: string;
  userHash: string;
  groupHash: string;
}

/**
 * A lightweight node: its whole pipeline in one activity, which heartbeats every second. The
 * pipeline retries its own stages, so the activity fails for good on any failure it reports
 * (`runPipelineInline` throws those non-retryable); Temporal retries it only when it times out,
 * that is when its worker died (noticed within the stages' heartbeat timeout). The retry runs the
 * node's pipeline again from its start: a node whose completed stages must never run twice is a
 * child pipeline, not a lightweight node.
 */
const { runPipelineInline } = proxyActivities<StageActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: DEFAULT_HEARTBEAT_TIMEOUT,
  retry: { maximumAttempts: STAGE_DEFAULTS.maximumAttempts, initialInterval: STAGE_DEFAULTS.initialIntervalMs },
});

/** A node's stage options: its own retry policy and timeout over the task's. */
function nodeOptions(node: DagNode): TaskOptions | undefined {
  if (!node.retry && !node.timeout) return undefined;
  return {
    ...(node.retry ? { retry: node.retry } : {}),
    ...(node.timeout ? { startToCloseTimeout: node.timeout } : {}),
  };
}

/** Runs a DAG; returns each node's state and the outputs of those that succeeded. */
export async function dagWorkflow(request: DagRequest): Promise<DagResult> {
  let valid;
  try {
    valid = validateDag(request.definition);
  } catch (err) {
    throw toWorkflowFailure(err, 'dag');
  }
  const dagId = dagWorkflowId(request.definition.name, request.runId);
  const ports: DagPorts = {
    startNode(node, upstream) {
      const options = nodeOptions(node);
      const child: PipelineRequest = {
        task: node.task,
        runId: request.runId,
        userHash: request.userHash,
        groupHash: request.groupHash,
        workflowId: `${dagId}/${node.id}`,
        ...(node.input === undefined ? {} : { input: node.input }),
        ...(Object.keys(upstream).length > 0 ? { upstream } : {}),
        ...(options ? { options } : {}),
      };
      const scope = new CancellationScope();
      const result = scope.run(() =>
        node.lightweight
          ? runPipelineInline(child)
          : executeChild(pipelineWorkflow, {
              workflowId: child.workflowId as string,
              args: [child],
              staticSummary: runSummary({ task: node.task, role: `node ${node.id} of ${request.definition.name}` }),
              staticDetails: runDetails({
                task: node.task,
                runId: request.runId,
                userHash: request.userHash,
                groupHash: request.groupHash,
                input: child.input,
                role: `node ${node.id}`,
              }),
              memo: { task: node.task, runId: request.runId, dag: request.definition.name, node: node.id },
              typedSearchAttributes: pipelineSearchAttributes(node.task, request.groupHash, request.runId),
            }),
      );
      return { result, cancel: () => scope.cancel() };
    },
    waitUntil: (predicate) => condition(predicate),
    now: () => Date.now(),
    isCancellation,
  };
  const run = new DagRun(valid, request.runId, ports);
  setHandler(dagStatusQuery, () => run.snapshot());
  setHandler(pauseSignal, () => void run.pause());
  setHandler(resumeSignal, () => void run.resume());
  try {
    return await run.execute();
  } catch (err) {
    throw toWorkflowFailure(err, 'dag');
  }
}
