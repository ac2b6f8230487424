/**
 * Registering tasks from a plugin module at run time (`POST /tasks?path=`), written once for
 * every client. Only modules of the allowlist may be named: a file inside one of the allowed
 * directories (after resolving symbolic links) or exactly an allowed package name. A relative
 * path, a `..` segment or a path outside the directories is refused before anything is loaded,
 * so nothing a caller sends reaches `require` unchecked. Node-only.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Backend, ScheduleInfo } from '../backends/backend';
import { CascadenceError } from '../core/errors';
import { loadTaskModules } from '../plugins/task-modules';
import { TaskRegistry } from '../plugins/registry';
import type { TaskStore } from '../stores/task-store';
import { scheduleTask } from './admin';

/** What registering a plugin works with. */
export interface PluginTaskDeps {
  /** The registry the tasks join (the server's: the backend runs from it). */
  registry: TaskRegistry;
  backend: Backend;
  /** Absolute directories and package names whose modules may be registered. */
  allowed: readonly string[];
  /** Where each registration is recorded (`CASCADENCE_TASKS_PATH`). */
  store: TaskStore;
  /** Directory package names are resolved from (default: the process's). */
  cwd?: string;
}

/** A registration request: the module, an optional cron for its tasks, and who asks (by hash). */
export interface PluginTaskRequest {
  path: string;
  schedule?: string | undefined;
  userHash: string;
  groupHash: string;
}

/** What registering did. */
export interface PluginTaskResult {
  status: 'registered';
  /** The module as loaded (a real path). */
  module: string;
  /** Tasks the module provides that were new here. */
  registered: string[];
  /** Tasks it provides that were registered already (left as they were). */
  existing: string[];
  /** The schedules made for its tasks, with `schedule`. */
  scheduled: ScheduleInfo[];
}

const forbidden = (message: string): CascadenceError =>
  new CascadenceError('FORBIDDEN', message, {
    hint: 'name a module inside a configured plugin directory or a configured plugin package (CASCADENCE_PLUGIN_PATHS)',
  });

const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

const realDir = (dir: string): string | undefined => {
  try {
    return statSync(dir).isDirectory() ? realpathSync(dir) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The real path of the module `path` names, when the allowlist permits it.
 * @throws CascadenceError FORBIDDEN for anything outside the allowlist; VALIDATION for an allowed place with no module.
 */
export function resolvePluginModule(path: string, allowed: readonly string[], cwd = process.cwd()): string {
  if (!path || path.includes('\0')) throw forbidden('an empty plugin path is refused');
  if (!isAbsolute(path)) {
    // A bare name is a package: only an exact allowed name, resolved by Node from here.
    if (!PACKAGE_NAME.test(path) || !allowed.includes(path)) {
      throw forbidden(`plugin ${JSON.stringify(path)} is not an allowed package, and relative paths are refused`);
    }
    try {
      return realpathSync(require.resolve(path, { paths: [cwd] }));
    } catch {
      throw new CascadenceError('VALIDATION', `plugin package ${JSON.stringify(path)} cannot be found`);
    }
  }
  if (path.split(/[\\/]+/).includes('..')) throw forbidden('a plugin path with ".." is refused');
  const inside = (file: string): boolean =>
    allowed
      .filter((a) => isAbsolute(a))
      .map(realDir)
      .some((dir) => {
        if (!dir) return false;
        const rel = relative(dir, file);
        return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
      });
  // Checked before touching the file system with it, then again once links are resolved.
  if (!inside(resolve(path))) throw forbidden(`plugin path ${path} is outside the plugin directories`);
  let real: string;
  try {
    real = realpathSync(path);
    if (!statSync(real).isFile()) throw new Error('not a file');
  } catch {
    throw new CascadenceError('VALIDATION', `no plugin module at ${path}`, { hint: 'name a .js file' });
  }
  if (!inside(real)) throw forbidden(`plugin path ${path} leads outside the plugin directories`);
  return real;
}

/**
 * Loads an allowed plugin module, registers its new tasks in the registry and the task store,
 * and schedules them with `schedule` (as the caller).
 * @throws CascadenceError FORBIDDEN (not allowed), VALIDATION (no module), CONFIG (not a task module), UNSUPPORTED (schedules).
 */
export async function registerPluginTasks(deps: PluginTaskDeps, request: PluginTaskRequest): Promise<PluginTaskResult> {
  const module = resolvePluginModule(request.path, deps.allowed, deps.cwd);
  const loaded = loadTaskModules(new TaskRegistry(), [module]);
  const registered: string[] = [];
  const existing: string[] = [];
  for (const name of loaded.names()) {
    if (deps.registry.has(name)) existing.push(name);
    else {
      deps.registry.register(name, loaded.get(name));
      registered.push(name);
    }
    await deps.store.register({ name, module, reason: 'registered through the HTTP API' });
  }
  const scheduled: ScheduleInfo[] = [];
  if (request.schedule !== undefined) {
    for (const task of loaded.names()) {
      scheduled.push(
        await scheduleTask(deps.backend, {
          task,
          cron: request.schedule,
          userHash: request.userHash,
          groupHash: request.groupHash,
        }),
      );
    }
  }
  return { status: 'registered', module, registered, existing, scheduled };
}
