/**
 * Normalising what a task's `plan` stage returned. Workflow-safe.
 */
import { CascadenceError } from './errors';
import type { SubtaskRef } from './task';

/** A plan, classified: subtasks to run in sequence or in parallel, or a plain value for `run`. */
export type NormalisedPlan =
  | { kind: 'value'; value: unknown }
  | { kind: 'sequence'; tasks: SubtaskRef[] }
  | { kind: 'parallel'; tasks: SubtaskRef[] };

function toRef(item: unknown, index: number): SubtaskRef {
  if (typeof item === 'string' && item.length > 0) return { task: item };
  if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
    const rec = item as Record<string, unknown>;
    if (typeof rec.task === 'string' && rec.task.length > 0) {
      return rec.input === undefined ? { task: rec.task } : { task: rec.task, input: rec.input };
    }
  }
  throw new CascadenceError('INVALID_PLAN', `plan item ${index} is not a subtask reference: ${preview(item, 80)}`, {
    hint: "return { task: 'Name', input?: ... } or the task's name for each subtask",
  });
}

/**
 * Classifies a plan result. A list is a sequence of subtasks; `{ execution: 'parallel', tasks }`
 * (or a `ParallelPlan`) runs them concurrently; anything else is handed to `run` as is.
 * @throws CascadenceError INVALID_PLAN when a list item is not a subtask reference.
 */
export function normalisePlan(plan: unknown): NormalisedPlan {
  if (Array.isArray(plan)) return { kind: 'sequence', tasks: plan.map(toRef) };
  if (typeof plan === 'object' && plan !== null && (plan as { execution?: unknown }).execution === 'parallel') {
    const tasks = (plan as { tasks?: unknown }).tasks ?? [];
    if (!Array.isArray(tasks)) {
      throw new CascadenceError('INVALID_PLAN', 'parallel plan "tasks" must be a list of subtask references');
    }
    return { kind: 'parallel', tasks: tasks.map(toRef) };
  }
  return { kind: 'value', value: plan };
}

/** JSON preview of a value cut to `max` characters (`...` appended when cut); undefined stays undefined. */
export function preview(value: unknown, max = 256): string | undefined {
  if (value === undefined) return undefined;
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
