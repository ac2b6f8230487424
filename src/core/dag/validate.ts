/**
 * DAG validation and ordering: duplicate or malformed node ids, unknown or self dependencies,
 * unknown tasks, bad conditions and cycles (reported with their path), all before anything
 * starts. Linear in nodes plus edges, iterative (no recursion), so 10,000 nodes and 50,000
 * edges validate quickly. Workflow-safe.
 */
import { parseCondition } from './condition';
import { CascadenceError } from '../errors';
import type { DagDefinition, DagNode } from './types';

const NODE_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;

/** Options of {@link validateDag}. */
export interface ValidateDagOptions {
  /** Registered task names; nodes naming others are errors. Omit to skip the check (e.g. inside a workflow). */
  knownTasks?: ReadonlySet<string>;
}

/** A validated DAG: nodes by id and a topological order. */
export interface ValidDag {
  definition: DagDefinition;
  byId: Map<string, DagNode>;
  /** Node ids, each after all its dependencies. */
  order: string[];
  /** Node ids that depend on each node. */
  dependents: Map<string, string[]>;
}

/** Finds one cycle among `remaining` nodes (each has an unfinished dependency there) and returns its path. */
function findCycle(remaining: Set<string>, byId: Map<string, DagNode>): string[] {
  // Walk dependencies from any remaining node: every remaining node has a remaining dependency,
  // so the walk must revisit a node; the part from its first visit is a cycle.
  const start = remaining.values().next().value as string;
  const seenAt = new Map<string, number>();
  const path: string[] = [];
  let current = start;
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    const next = (byId.get(current)?.dependsOn ?? []).find((d) => remaining.has(d));
    if (next === undefined) break;
    current = next;
  }
  const cycle = path.slice(seenAt.get(current) ?? 0);
  // The walk followed "depends on" edges; print the cycle in execution direction.
  return [...cycle.reverse(), cycle[0] as string];
}

/**
 * Validates a DAG definition and orders its nodes.
 * @throws CascadenceError VALIDATION listing every problem, one per line (a cycle as `cycle: a -> b -> a`).
 */
export function validateDag(def: DagDefinition, options: ValidateDagOptions = {}): ValidDag {
  const problems: string[] = [];
  if (typeof def.name !== 'string' || !NODE_ID.test(def.name)) {
    problems.push(`dag name ${JSON.stringify(def.name)} must be letters, digits, "_" or "-"`);
  }
  if (def.maxConcurrency !== undefined && !(Number.isInteger(def.maxConcurrency) && def.maxConcurrency >= 1)) {
    problems.push(`maxConcurrency must be a whole number of at least 1, got ${JSON.stringify(def.maxConcurrency)}`);
  }
  if (def.failurePolicy !== undefined && def.failurePolicy !== 'fail-fast' && def.failurePolicy !== 'continue') {
    problems.push(`failurePolicy must be fail-fast or continue, got ${JSON.stringify(def.failurePolicy)}`);
  }
  if (!Array.isArray(def.nodes) || def.nodes.length === 0) problems.push('a dag needs at least one node');
  const byId = new Map<string, DagNode>();
  for (const node of Array.isArray(def.nodes) ? def.nodes : []) {
    if (typeof node?.id !== 'string' || !NODE_ID.test(node.id)) {
      problems.push(`node id ${JSON.stringify(node?.id)} must be letters, digits, "_" or "-"`);
      continue;
    }
    if (byId.has(node.id)) problems.push(`duplicate node id ${node.id}`);
    byId.set(node.id, node);
  }
  const dependents = new Map<string, string[]>();
  for (const id of byId.keys()) dependents.set(id, []);
  const missing = new Map<string, number>();
  for (const [id, node] of byId) {
    if (typeof node.task !== 'string' || node.task === '') problems.push(`node ${id}: task is required`);
    else if (options.knownTasks && !options.knownTasks.has(node.task))
      problems.push(`node ${id}: unknown task ${JSON.stringify(node.task)}`);
    const deps = node.dependsOn ?? [];
    if (!Array.isArray(deps)) {
      problems.push(`node ${id}: dependsOn must be a list of node ids`);
      continue;
    }
    const unique = new Set<string>();
    for (const dep of deps) {
      if (dep === id) problems.push(`node ${id} depends on itself`);
      else if (!byId.has(dep)) problems.push(`node ${id} depends on unknown node ${JSON.stringify(dep)}`);
      else if (unique.has(dep)) problems.push(`node ${id} lists ${dep} twice in dependsOn`);
      else {
        unique.add(dep);
        dependents.get(dep)?.push(id);
      }
    }
    missing.set(id, unique.size);
    if (node.condition !== undefined) {
      try {
        parseCondition(node.condition);
      } catch (err) {
        problems.push(`node ${id}: ${(err as Error).message}`);
      }
    }
  }
  if (problems.length > 0) throw new CascadenceError('VALIDATION', problems.join('\n'));

  // Kahn's algorithm: nodes become ready when their last dependency is ordered.
  const order: string[] = [];
  const queue: string[] = [];
  for (const [id, n] of missing) if (n === 0) queue.push(id);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head] as string;
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = (missing.get(next) ?? 0) - 1;
      missing.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  if (order.length < byId.size) {
    const ordered = new Set(order);
    const remaining = new Set([...byId.keys()].filter((id) => !ordered.has(id)));
    throw new CascadenceError('VALIDATION', `cycle: ${findCycle(remaining, byId).join(' -> ')}`, {
      hint: 'remove one of these dependsOn links',
    });
  }
  return { definition: def, byId, order, dependents };
}
