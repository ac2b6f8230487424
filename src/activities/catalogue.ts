/**
 * The catalogue activity: a task's flags, read by a pipeline workflow when it starts (as a
 * local activity: no extra workflow task, one marker in the history). Node-only.
 */
import type { TaskFlags, TaskFlagStore } from '../core/task-flags';

/** The catalogue activities' type, imported by workflows as a type only. */
export interface CatalogueActivities {
  /** The flags of `task` now. */
  taskFlags(task: string): Promise<TaskFlags>;
}

/** Creates the catalogue activities over a flag store (the Temporal catalogue on a worker). */
export function createCatalogueActivities(store: TaskFlagStore): CatalogueActivities {
  return { taskFlags: (task) => store.flagsOf(task) };
}
