/**
 * Registering tasks from a plugin module at run time (`POST /tasks?path=`), written once for
 * every client. Only modules of the allowlist may be named: a file inside one of the allowed
 * directories (after resolving symbolic links) or exactly an allowed package name. A relative
 * path, a `..` segment or a path outside the directories is refused before anything is loaded,
 * so nothing a caller sends reaches `require` unchecked. Node-only.
 */
import type { Backend, ScheduleInfo } from '../backends/backend';
import { CascadenceError } from '../core/errors';
import type { PluginRecord, PluginRecordStore } from '../core/task-flags';
import { loaderOf } from '../plugins/discovery';
import { PluginLoader, type PluginProblem } from '../plugins/loader';
import { resolvePluginModule } from '../plugins/registered';
import { TaskRegistry } from '../plugins/registry';
import { TaskStore } from '../stores/task-store';
import { scheduleTask } from './admin';

import { RegisteredPlugins } from '../plugins/registered';

export { resolvePluginModule, RegisteredPlugins };

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

/**
 * Where a backend keeps run-time plugin registrations: on Temporal the task queue's catalogue
 * (every worker and API server of the queue reads it), elsewhere the task store of this machine.
 */
export function pluginRecords(backend: Backend, store: TaskStore): PluginRecordStore {
  return backend.pluginRecords?.() ?? taskStoreRecords(store);
}

/** Run-time plugin registrations read from the task store (the single-machine modes). */
function taskStoreRecords(store: TaskStore): PluginRecordStore {
  const modules = (): PluginRecord[] => {
    const seen = new Map<string, PluginRecord>();
    for (const e of store.list())
      if (e.module && !seen.has(e.module)) seen.set(e.module, { module: e.module, registered_at: e.registered_at });
    return [...seen.values()];
  };
  return {
    plugins: async () => modules(),
    // The service writes one task-store entry per task of the module: that is the record here.
    addPlugin: async (record) => ({ added: !modules().some((p) => p.module === record.module) }),
  };
}

/**
 * Loads an allowed plugin module, registers its new tasks in the registry, records the module
 * where every client and worker of the backend learns of it (the catalogue, on Temporal), and
 * schedules its tasks with `schedule` (as the caller).
 * @throws CascadenceError FORBIDDEN (not allowed), VALIDATION (no module), CONFIG (not a task module), UNSUPPORTED (schedules), CONNECTION.
 */
export async function registerPluginTasks(deps: PluginTaskDeps, request: PluginTaskRequest): Promise<PluginTaskResult> {
  const module = resolvePluginModule(request.path, deps.allowed, deps.cwd);
  const problems: PluginProblem[] = [];
  const probe = new PluginLoader(new TaskRegistry(), (p) => problems.push(p));
  probe.loadModule(module, { kind: 'registered', source: request.path });
  if (problems.length > 0 || probe.registry.names().length === 0) {
    const first = problems[0];
    throw new CascadenceError(
      'CONFIG',
      `cannot register plugin ${request.path}: ${first?.error ?? 'it provides no task'}`,
      {
        hint: 'export `tasks = { name: task }` or `register(registry)`, each task with at least one stage',
      },
    );
  }
  // Recorded first: a worker asked to run one of its tasks must be able to find the module.
  await pluginRecords(deps.backend, deps.store).addPlugin({ module: request.path, by: request.userHash });
  const loader = loaderOf(deps.registry);
  const names = probe.registry.names();
  const existing = names.filter((name) => deps.registry.has(name));
  const registered = names.filter((name) => !existing.includes(name));
  if (registered.length > 0 && !loader.has(module))
    loader.loadModule(module, { kind: 'registered', source: request.path });
  for (const name of names) await deps.store.register({ name, module, reason: 'registered through the HTTP API' });
  const scheduled: ScheduleInfo[] = [];
  if (request.schedule !== undefined) {
    for (const task of names) {
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

const followers = new WeakMap<TaskRegistry, RegisteredPlugins>();

/**
 * The one {@link RegisteredPlugins} of a long-lived server's registry (the API and the dashboard
 * share it): registrations made on any machine join the registry within a second, and at once
 * when a request names a task the registry does not hold.
 */
export function followRegisteredPlugins(deps: {
  registry: TaskRegistry;
  backend: Backend;
  tasksPath: string;
  allowed: readonly string[];
}): RegisteredPlugins {
  let follower = followers.get(deps.registry);
  if (!follower) {
    follower = new RegisteredPlugins(
      loaderOf(deps.registry),
      pluginRecords(deps.backend, new TaskStore(deps.tasksPath)),
      deps.allowed,
    );
    followers.set(deps.registry, follower);
  }
  return follower;
}
