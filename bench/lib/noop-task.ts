/**
 * The task every pipeline benchmark runs: all five stages, each returning a small constant,
 * so what is measured is the orchestration, not the work.
 */
import type { Task } from '../../src/core';
import { TaskRegistry } from '../../src/plugins/registry';
import { TaskStateStore } from '../../src/runtime/task-state';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';

/** Registered name of the no-op task. */
export const NOOP_TASK = 'bench-noop';

/** Five no-op stages (no precheck), each returning a small constant. */
export const noopTask: Task = {
  description: 'benchmark: five no-op stages',
  intake: () => 'intake',
  research: () => 'research',
  plan: () => 'plan',
  run: () => 'run',
  verify: () => 'ok',
};

/** Registered name of the same task with local-activity stages. */
export const NOOP_LOCAL_TASK = 'bench-noop-local';

/** The no-op task with every stage a local activity (`stageMode: 'local'`). */
export const noopLocalTask: Task = {
  ...noopTask,
  description: 'benchmark: five no-op local-activity stages',
  options: { stageMode: 'local' },
};

/** A registry holding only the no-op task and its local-stage twin. */
export function noopRegistry(): TaskRegistry {
  return new TaskRegistry().register(NOOP_TASK, noopTask).register(NOOP_LOCAL_TASK, noopLocalTask);
}

/** A task-state store whose file never exists: no task is disabled or paused, and nothing is written. */
export function noFlags(): TaskStateStore {
  return new TaskStateStore(join(tmpdir(), `cascadence-bench-no-state-${randomUUID()}`, 'task-state.json'));
}
