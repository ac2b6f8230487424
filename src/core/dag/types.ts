/**
 * The canonical DAG definition: what the TypeScript builder and `dags/*.yml` files compile to,
 * and what `dagWorkflow` takes as input (so replay never depends on files that changed since).
 * Types only: workflow-safe.
 */
import type { RetryOptions } from '../task';

/** What happens to the rest of a DAG when a node fails. */
export type FailurePolicy = 'fail-fast' | 'continue';

/** One node: a registered task run as a child pipeline (or inline, when lightweight). */
export interface DagNode {
  /** Unique within the DAG: letters, digits, `_` and `-`. */
  id: string;
  /** Registered task name. */
  task: string;
  input?: unknown;
  /** Ids of nodes that must finish first. */
  dependsOn?: string[];
  /**
   * Runs the node only when true, over its dependencies' outputs (e.g. `extract.rows > 0`);
   * see core/condition.ts for the language. A false condition skips the node and what only it leads to.
   */
  condition?: string;
  /** Run the task's pipeline inside one activity instead of a child workflow (cheaper for small nodes). */
  lightweight?: boolean;
  /** Retry policy and timeout of the node's stages (override the task's own). */
  retry?: RetryOptions;
  timeout?: string;
}

/** A whole DAG. */
export interface DagDefinition {
  name: string;
  description?: string;
  /** Most nodes running at once (default: no limit). */
  maxConcurrency?: number;
  failurePolicy?: FailurePolicy;
  nodes: DagNode[];
}

/** State of one node in a run. */
export type NodeState = 'pending' | 'running' | 'success' | 'failed' | 'skipped' | 'cancelled';

/** A node's state, timing and outcome, as the status query and the result report them. */
export interface NodeStatus {
  state: NodeState;
  startedAt?: string;
  endedAt?: string;
  reason?: string;
}
