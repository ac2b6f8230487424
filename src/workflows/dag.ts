/**
 * `dagWorkflow`: a DAG of tasks as one deterministic workflow. The algorithm is `DagRun` in
 * core; here each node runs as a child pipeline workflow (`<dag-id>/<node>`), or inside one
 * activity when lightweight; lightweight nodes found ready together share one activity (up to
 * `LIGHTWEIGHT_BATCH_MAX`, behind the `dag-batched-lightweight` patch). The canonical
 * definition is the workflow's input, so replay never depends on files that may have changed since.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { InlineOutcome, StageActivities } from '../activities/stages';
import {
  DagRun,
  DEFAULT_HEARTBEAT_TIMEOUT,
  evenBatches,
  LIGHTWEIGHT_BATCH_MAX,
  validateDag,
  type DagDefinition,
  type DagNode,
  type DagPorts,
  type DagResult,
  type NodeStart,
  type StartedNode,
  runDetails,
  runSummary,
  STAGE_DEFAULTS,
  type PipelineRequest,
  type TaskDescription,
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
  /**
   * The nodes' task descriptions by task name, when the client that starts the DAG knows them:
   * each child pipeline then starts without asking a worker for its task first (one local
   * activity less per node). Nodes whose task is missing here ask, as before.
   */
  descriptions?: Record<string, TaskDescription>;
}

/**
 * A lightweight node: its whole pipeline in one activity, which heartbeats every second. The
 * pipeline retries its own stages, so the activity fails for good on any failure it reports
 * (`runPipelineInline` throws those non-retryable); Temporal retries it only when it times out,
 * that is when its worker died (noticed within the stages' heartbeat timeout). The retry runs the
 * node's pipeline again from its start: a node whose completed stages must never run twice is a
 * child pipeline, not a lightweight node.
 *
 * `runPipelinesInline` runs several lightweight nodes found ready together the same way, their
 * pipelines concurrently in one activity, and returns each node's outcome (output or failure)
 * rather than failing: so it too is retried only when its worker was lost, and such a retry runs
 * every node of the batch again from its start, including those that had already finished.
 */
const { runPipelineInline, runPipelinesInline } = proxyActivities<StageActivities>({
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

/** A batched node's outcome as the node's own result: its output, or its failure or cancellation thrown. */
function nodeResult(outcome: InlineOutcome | undefined): unknown {
  if (!outcome) throw ApplicationFailure.create({ type: 'INTERNAL', message: 'no outcome for a batched node' });
  if (outcome.ok) return outcome.output;
  if (outcome.cancelled) throw new CancelledFailure(outcome.message);
  throw ApplicationFailure.create({ type: outcome.type, message: outcome.message, nonRetryable: true });
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
  /** What a node's pipeline runs with (the child workflow's input, or the inline activity's). */
  const nodeRequest = (node: DagNode, upstream: Record<string, unknown>): PipelineRequest => {
    const options = nodeOptions(node);
    // A lightweight node's pipeline runs on the worker, which knows its tasks: only children need it.
    const description =
      !node.lightweight && request.descriptions && Object.prototype.hasOwnProperty.call(request.descriptions, node.task)
        ? request.descriptions[node.task]
        : undefined;
    return {
      task: node.task,
      runId: request.runId,
      userHash: request.userHash,
      groupHash: request.groupHash,
      workflowId: `${dagId}/${node.id}`,
      ...(node.input === undefined ? {} : { input: node.input }),
      ...(Object.keys(upstream).length > 0 ? { upstream } : {}),
      ...(options ? { options } : {}),
      ...(description ? { description } : {}),
    };
  };
  const failFast = request.definition.failurePolicy !== 'continue';
  /** Lightweight nodes started together as one `runPipelinesInline` activity; cancelling any cancels it. */
  const startBatch = (starts: readonly NodeStart[]): StartedNode[] => {
    const scope = new CancellationScope();
    const batch = scope.run(() =>
      runPipelinesInline({ requests: starts.map((s) => nodeRequest(s.node, s.upstream)), failFast }),
    );
    return starts.map((_, i) => ({
      result: batch.then((outcomes) => nodeResult(outcomes[i])),
      cancel: () => scope.cancel(),
    }));
  };
  const ports: DagPorts = {
    startNode(node, upstream) {
      const child = nodeRequest(node, upstream);
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
  // Batching changes the commands a DAG with lightweight nodes sends, so histories recorded
  // before it (no marker) replay the node-by-node path. Decided once, at the start: a DAG with
  // fewer than two lightweight nodes never batches and gets no marker.
  const lightweight = request.definition.nodes.filter((n) => n.lightweight).length;
  if (lightweight >= 2 && patched('dag-batched-lightweight')) {
    ports.startNodes = (starts) => {
      const started: Array<StartedNode | undefined> = [];
      const light: number[] = [];
      starts.forEach((s, i) => {
        if (s.node.lightweight) light.push(i);
        else started[i] = ports.startNode(s.node, s.upstream);
      });
      for (const group of evenBatches(light, LIGHTWEIGHT_BATCH_MAX)) {
        if (group.length === 1) {
          const i = group[0] as number;
          const s = starts[i] as NodeStart;
          started[i] = ports.startNode(s.node, s.upstream); // alone, as before batching
          continue;
        }
        startBatch(group.map((i) => starts[i] as NodeStart)).forEach((node, j) => {
          started[group[j] as number] = node;
        });
      }
      return started as StartedNode[];
    };
  }
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
