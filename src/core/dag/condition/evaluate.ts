/**
 * Evaluating a parsed condition against the outputs of a node's dependencies: own data
 * properties only (never a prototype member or a getter), deep JSON equality. Workflow-safe.
 */
import type { ComparisonOperator, Condition, PathCondition } from './ast';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Any realm's Object.prototype (or none): the workflow sandbox and Jest each have their own.
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** An own, enumerable data property; never a prototype member, and never runs a getter. */
function ownValue(container: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(container, key);
  return descriptor !== undefined && descriptor.enumerable === true && 'value' in descriptor
    ? descriptor.value
    : undefined;
}

function child(value: unknown, key: string | number): unknown {
  if (Array.isArray(value)) {
    const inRange = typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < value.length;
    return inRange ? ownValue(value, String(key)) : undefined;
  }
  return isPlainObject(value) ? ownValue(value, String(key)) : undefined;
}

function lookup(path: PathCondition, scope: unknown): unknown {
  let value = typeof scope === 'object' && scope !== null ? ownValue(scope, path.root) : undefined;
  for (const key of path.keys) {
    if (value === undefined) return undefined;
    value = child(value, key);
  }
  return value;
}

/** Deep equality of JSON values; other objects only equal themselves. `pending` guards against cycles. */
function equal(a: unknown, b: unknown, pending: Array<[unknown, unknown]> = []): boolean {
  if (a === b) return true;
  const arrays = Array.isArray(a) && Array.isArray(b);
  if (!arrays && !(isPlainObject(a) && isPlainObject(b))) return false;
  const x = a as object;
  const y = b as object;
  if (pending.some(([p, q]) => p === x && q === y)) return true;
  pending.push([x, y]);
  try {
    if (arrays) {
      const xs = x as unknown[];
      const ys = y as unknown[];
      if (xs.length !== ys.length) return false;
      for (let i = 0; i < xs.length; i++) {
        if (!equal(ownValue(xs, String(i)), ownValue(ys, String(i)), pending)) return false;
      }
      return true;
    }
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    for (const key of keys) {
      if (!Object.prototype.propertyIsEnumerable.call(y, key)) return false;
      if (!equal(ownValue(x, key), ownValue(y, key), pending)) return false;
    }
    return true;
  } finally {
    pending.pop();
  }
}

function ordered(op: ComparisonOperator, a: unknown, b: unknown): boolean {
  const comparable =
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    default:
      return false;
  }
}

function contains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) if (equal(item, ownValue(container, String(i)))) return true;
    return false;
  }
  return (
    typeof item === 'string' && isPlainObject(container) && Object.prototype.propertyIsEnumerable.call(container, item)
  );
}

function length(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  return isPlainObject(value) ? Object.keys(value).length : 0;
}

function evaluate(node: Condition, scope: unknown): unknown {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'array':
      return node.items.map((item) => evaluate(item, scope));
    case 'path':
      return lookup(node, scope);
    case 'not':
      return !evaluate(node.arg, scope);
    case 'negate': {
      const value = evaluate(node.arg, scope);
      return typeof value === 'number' ? -value : undefined;
    }
    case 'and': {
      let value: unknown = true;
      for (const arg of node.args) {
        value = evaluate(arg, scope);
        if (!value) return value;
      }
      return value;
    }
    case 'or': {
      let value: unknown = false;
      for (const arg of node.args) {
        value = evaluate(arg, scope);
        if (value) return value;
      }
      return value;
    }
    case 'compare': {
      const left = evaluate(node.left, scope);
      const right = evaluate(node.right, scope);
      if (node.op === '==') return equal(left, right);
      if (node.op === '!=') return !equal(left, right);
      return ordered(node.op, left, right);
    }
    case 'in':
      return contains(evaluate(node.right, scope), evaluate(node.left, scope));
    case 'len':
      return length(evaluate(node.arg, scope));
    case 'exists':
      return lookup(node.arg, scope) !== undefined;
    default:
      return undefined;
  }
}

/**
 * Whether a parsed condition holds over `scope` (dependency outputs by node id, plus `outputs`).
 *
 * Pure and total: a missing path reads as `undefined`, ordering mismatched types is false,
 * `==` is strict (so `1 == "1"` and `missing == null` are false; use `exists(...)`), and arrays
 * and objects compare by deep equality. `&&` and `||` yield an operand, as in JavaScript, and the
 * result is JavaScript truthiness (empty arrays and objects are truthy). Paths read only own
 * properties of plain objects and arrays, never prototype members or getters.
 */
export function evaluateCondition(condition: Condition, scope: Record<string, unknown>): boolean {
  try {
    return Boolean(evaluate(condition, scope));
  } catch {
    // Only a hostile scope gets here (a Proxy whose traps throw, data nested deeper than the
    // stack): a workflow must not fail on it, so the node is skipped instead.
    return false;
  }
}

/**
 * The distinct root names a condition reads, in order of first use (e.g. `["extract", "outputs"]`),
 * so DAG validation can check that each is a dependency (or `outputs`).
 */
export function conditionRoots(condition: Condition): string[] {
  const roots: string[] = [];
  const visit = (node: Condition): void => {
    switch (node.type) {
      case 'path':
        if (!roots.includes(node.root)) roots.push(node.root);
        return;
      case 'array':
        node.items.forEach(visit);
        return;
      case 'and':
      case 'or':
        node.args.forEach(visit);
        return;
      case 'not':
      case 'negate':
      case 'len':
      case 'exists':
        visit(node.arg);
        return;
      case 'compare':
      case 'in':
        visit(node.left);
        visit(node.right);
        return;
      default:
        return;
    }
  };
  visit(condition);
  return roots;
}
