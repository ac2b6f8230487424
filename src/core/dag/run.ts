/**
 * The DAG algorithm, written once for every runtime: a node starts as soon as all its
 * dependencies have finished (not level by level), up to `maxConcurrency` at once; a node whose
 * condition is false, whose dependencies were all skipped, or (under `continue`) one of whose
 * dependencies failed is skipped; under `fail-fast` the first failure cancels running nodes and
 * skips the rest. Pause holds new starts (running nodes finish). Workflow-safe.
 */
import { evaluateCondition, parseCondition } from './condition';
import { CascadenceError } from '../errors';
import type { DagDefinition, DagNode, NodeState, NodeStatus } from './types';
import type { ValidDag } from './validate';
import { rootMessage } from '../errors';

/** A started node: its outcome, and a way to cancel it. */
export interface StartedNode {
  result: Promise<unknown>;
  cancel(): void;
}

/** A node about to start, with its dependencies' outputs (by node id). */
export interface NodeStart {
  node: DagNode;
  upstream: Record<string, unknown>;
}

/** The outside world of a DAG run. */
export interface DagPorts {
  /** Starts a node with its dependencies' outputs (by node id). */
  startNode(node: DagNode, upstream: Record<string, unknown>): StartedNode;
  /**
   * Optional: starts every node the run starts in one step (those found ready together), so a
   * runtime can group them (the Temporal DAG workflow runs lightweight ones as one activity).
   * Returns one `StartedNode` per start, in the same order; each still settles on its own.
   * Without it the run calls `startNode` once per node, as it always did: an explicit port
   * rather than a port that collects synchronous `startNode` calls and flushes them in a
   * microtask, because the group is then exactly what the run decided in one iteration and
   * nothing depends on microtask timing inside the workflow sandbox.
   */
  startNodes?(starts: readonly NodeStart[]): StartedNode[];
  /** Resolves once `predicate()` holds; re-checked whenever the run's state changes. */
  waitUntil(predicate: () => boolean): Promise<void>;
  now(): number;
  /** Called after every state change (for in-process `waitUntil`). */
  changed?(): void;
  /** True for the runtime's cancellation errors. */
  isCancellation?(err: unknown): boolean;
}

/** What the DAG status query returns. */
export interface DagStatus {
  dag: string;
  runId: string;
  state: 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
  paused: boolean;
  nodes: Record<string, NodeStatus>;
  counts: Record<NodeState, number>;
}

/** The result of a finished DAG run: each node's state and the outputs of those that succeeded. */
export interface DagResult {
  dag: string;
  runId: string;
  state: 'completed' | 'failed';
  nodes: Record<string, NodeStatus>;
  outputs: Record<string, unknown>;
}

const TERMINAL: ReadonlySet<NodeState> = new Set(['success', 'failed', 'skipped', 'cancelled']);

/** One run of a validated DAG. */
export class DagRun {
  private readonly status: Record<string, NodeStatus> = {};
  private readonly outputs: Record<string, unknown> = {};
  private readonly running = new Map<string, StartedNode>();
  private readonly conditions = new Map<string, ReturnType<typeof parseCondition>>();
  private paused = false;
  private failed = false;
  /** Bumped on every change, so the loop can wait for "something happened". */
  private version = 0;

  constructor(
    private readonly dag: ValidDag,
    private readonly runId: string,
    private readonly ports: DagPorts,
  ) {
    for (const id of dag.order) this.status[id] = { state: 'pending' };
    for (const node of dag.byId.values())
      if (node.condition) this.conditions.set(node.id, parseCondition(node.condition));
  }

  private get def(): DagDefinition {
    return this.dag.definition;
  }

  /** Holds new node starts (running nodes finish). */
  pause(): boolean {
    if (this.paused) return false;
    this.paused = true;
    this.touch();
    return true;
  }

  resume(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    this.touch();
    return true;
  }

  snapshot(): DagStatus {
    const counts: Record<NodeState, number> = {
      pending: 0,
      running: 0,
      success: 0,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    };
    for (const s of Object.values(this.status)) counts[s.state]++;
    const done = counts.pending === 0 && counts.running === 0;
    return {
      dag: this.def.name,
      runId: this.runId,
      state: done ? (this.failed ? 'failed' : 'completed') : this.paused ? 'paused' : 'running',
      paused: this.paused,
      nodes: JSON.parse(JSON.stringify(this.status)) as Record<string, NodeStatus>,
      counts,
    };
  }

  private touch(): void {
    this.version++;
    this.ports.changed?.();
  }

  private iso(): string {
    return new Date(this.ports.now()).toISOString();
  }

  private finish(id: string, state: NodeState, reason?: string): void {
    const prev = this.status[id] as NodeStatus;
    this.status[id] = { ...prev, state, endedAt: this.iso(), ...(reason === undefined ? {} : { reason }) };
  }

  /** Decides pending nodes whose dependencies are all finished: skip them, or leave them ready. */
  private settlePending(): string[] {
    const ready: string[] = [];
    for (const id of this.dag.order) {
      if (this.status[id]?.state !== 'pending') continue;
      const node = this.dag.byId.get(id) as DagNode;
      const deps = node.dependsOn ?? [];
      const states = deps.map((d) => this.status[d]?.state as NodeState);
      if (states.some((s) => !TERMINAL.has(s))) continue;
      if (this.failed && this.def.failurePolicy !== 'continue') {
        this.finish(id, 'skipped', 'an earlier node failed (fail-fast)');
        continue;
      }
      const blocked = deps.find((d) => this.status[d]?.state === 'failed' || this.status[d]?.state === 'cancelled');
      if (blocked) {
        this.finish(id, 'skipped', `depends on ${blocked}, which ${this.status[blocked]?.state}`);
        continue;
      }
      if (deps.length > 0 && states.every((s) => s === 'skipped')) {
        this.finish(id, 'skipped', 'every dependency was skipped');
        continue;
      }
      const condition = this.conditions.get(id);
      if (condition && !evaluateCondition(condition, this.scope(deps))) {
        this.finish(id, 'skipped', `condition is false: ${node.condition}`);
        continue;
      }
      ready.push(id);
    }
    return ready;
  }

  /** What a condition sees: each dependency's output by node id, and all of them under `outputs`. */
  private scope(deps: readonly string[]): Record<string, unknown> {
    const outputs: Record<string, unknown> = {};
    for (const d of deps) if (Object.prototype.hasOwnProperty.call(this.outputs, d)) outputs[d] = this.outputs[d];
    return { ...outputs, outputs };
  }

  /** Marks a node running and returns what it starts with. */
  private prepare(id: string): NodeStart {
    const node = this.dag.byId.get(id) as DagNode;
    const upstream: Record<string, unknown> = {};
    for (const d of node.dependsOn ?? []) {
      if (Object.prototype.hasOwnProperty.call(this.outputs, d)) upstream[d] = this.outputs[d];
    }
    this.status[id] = { state: 'running', startedAt: this.iso() };
    return { node, upstream };
  }

  /** Starts the nodes found ready in one iteration: together when the runtime can, else one by one. */
  private startAll(ids: readonly string[]): void {
    if (ids.length === 0) return;
    if (!this.ports.startNodes) {
      for (const id of ids) {
        const { node, upstream } = this.prepare(id);
        this.track(id, this.ports.startNode(node, upstream));
      }
      return;
    }
    const starts = ids.map((id) => this.prepare(id));
    const started = this.ports.startNodes(starts);
    if (started.length !== ids.length)
      throw new CascadenceError('INTERNAL', `startNodes returned ${started.length} nodes for ${ids.length}`);
    ids.forEach((id, i) => this.track(id, started[i] as StartedNode));
  }

  /** Follows a started node to its end. */
  private track(id: string, started: StartedNode): void {
    this.running.set(id, started);
    started.result.then(
      (output) => {
        this.running.delete(id);
        this.outputs[id] = output;
        this.finish(id, 'success');
        this.touch();
      },
      (err: unknown) => {
        this.running.delete(id);
        const cancelled = this.ports.isCancellation?.(err) ?? false;
        this.finish(id, cancelled ? 'cancelled' : 'failed', rootMessage(err));
        if (!cancelled) this.failed = true;
        if (!cancelled && this.def.failurePolicy !== 'continue')
          for (const other of this.running.values()) other.cancel();
        this.touch();
      },
    );
  }

  /**
   * Runs the DAG to its end.
   * @throws CascadenceError DAG_FAILED (after every node settled) when a node failed.
   */
  async execute(): Promise<DagResult> {
    const limit = this.def.maxConcurrency ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const ready = this.settlePending();
      const pending = Object.values(this.status).some((s) => s.state === 'pending');
      if (!pending && this.running.size === 0) break;
      if (!this.paused) this.startAll(ready.slice(0, Math.max(0, limit - this.running.size)));
      const seen = this.version;
      await this.ports.waitUntil(() => this.version !== seen);
    }
    const result: DagResult = {
      dag: this.def.name,
      runId: this.runId,
      state: this.failed ? 'failed' : 'completed',
      nodes: this.snapshot().nodes,
      outputs: { ...this.outputs },
    };
    if (this.failed) {
      const failedNodes = Object.entries(this.status)
        .filter(([, s]) => s.state === 'failed')
        .map(([id, s]) => `${id} (${s.reason ?? 'failed'})`);
      throw new CascadenceError('DAG_FAILED', `dag ${this.def.name}: ${failedNodes.join('; ')}`, { data: result });
    }
    return result;
  }
}

/** Most lightweight nodes the Temporal DAG workflow runs in one activity. */
export const LIGHTWEIGHT_BATCH_MAX = 25;

/**
 * Splits `items` into the fewest groups of at most `max`, as even as possible and in order
 * (26 items, max 25: 13 and 13), so one slow member holds back as few batch-mates as it can.
 */
export function evenBatches<T>(items: readonly T[], max: number = LIGHTWEIGHT_BATCH_MAX): T[][] {
  if (items.length === 0) return [];
  const size = Math.max(1, Math.floor(max));
  const count = Math.ceil(items.length / size);
  const base = Math.floor(items.length / count);
  const extra = items.length % count;
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push(items.slice(at, at + n));
    at += n;
  }
  return out;
}
