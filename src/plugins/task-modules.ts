/**
 * Loading the user's task modules into a registry. A task module is a CommonJS module (or a
 * compiled one) that either exports `register(registry)` or exports tasks by name
 * (`module.exports = { tasks: { name: task } }` or `export const tasks = {...}`).
 */
import { resolve } from 'node:path';
import { CascadenceError } from '../core/errors';
import type { Task } from '../core';
import { TaskRegistry, type TaskClass } from './registry';

interface TaskModule {
  register?: (registry: TaskRegistry) => unknown;
  tasks?: Record<string, Task | TaskClass>;
  default?: TaskModule;
}

/**
 * Loads each module (paths relative to `cwd`) and registers its tasks.
 * @throws CascadenceError CONFIG naming the module that could not be loaded or had no tasks.
 */
export function loadTaskModules(registry: TaskRegistry, paths: string[], cwd = process.cwd()): TaskRegistry {
  for (const path of paths) {
    const full = resolve(cwd, path);
    let mod: TaskModule;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- task modules are found at run time
      mod = require(full) as TaskModule;
    } catch (err) {
      throw new CascadenceError('CONFIG', `cannot load task module ${path}: ${(err as Error).message.split('\n')[0]}`, {
        hint: 'check CASCADENCE_TASK_MODULES / task_modules',
      });
    }
    const m = mod.register || mod.tasks ? mod : (mod.default ?? mod);
    // Registered through a scratch registry first, so each task carries its module as its origin.
    const scratch = new TaskRegistry();
    if (typeof m.register === 'function') m.register(scratch);
    else if (m.tasks && typeof m.tasks === 'object') {
      for (const [name, task] of Object.entries(m.tasks)) scratch.register(name, task);
    } else {
      throw new CascadenceError('CONFIG', `task module ${path} exports neither register(registry) nor tasks`, {
        hint: 'export `tasks = { name: task }` or `register(registry)`',
      });
    }
    for (const name of scratch.names())
      registry.register(name, scratch.get(name), { origin: { kind: 'module', source: path } });
  }
  return registry;
}
