/**
 * Backends: the adapter layer (one Backend interface; temporal and base implementations).
 * Node-only.
 */
import type { CascadenceConfig } from '../config/config';
import type { TaskRegistry } from '../plugins/registry';
import type { Backend } from './backend';
import { TaskStateStore } from '../runtime/task-state';
import { createEventBus } from '../events/create-bus';
import type { CascadenceMetrics } from '../metrics/registry';
import type { NativeConnection } from '@temporalio/worker';

export * from './backend';
export { TaskStateStore, type TaskFlags } from '../runtime/task-state';

/**
 * The backend named by the configuration. Heavy clients are imported lazily. With `metrics`,
 * the in-process backends (base, cron) record their runs in it; a temporal backend's runs are
 * counted by the worker that executes them. With `workerConnection` (a worker of this process
 * polls the configured task queue with it), a temporal backend shares it and starts runs eagerly.
 * @throws CascadenceError CONNECTION when the temporal backend cannot reach its server.
 */
export async function createBackend(
  config: CascadenceConfig,
  registry: TaskRegistry,
  {
    metrics,
    longLived,
    workerConnection,
  }: { metrics?: CascadenceMetrics; longLived?: boolean; workerConnection?: NativeConnection } = {},
): Promise<Backend> {
  const state = new TaskStateStore(config.statePath);
  if (config.backend === 'base' || config.backend === 'cron' || config.backend === 'cron-deps') {
    const [{ BaseBackend }, { CronBackend }, { JsonlAuditStore }, { runMetricsBus }, bus] = await Promise.all([
      import('./base'),
      import('./cron'),
      import('../events/audit-store'),
      import('../metrics/registry'),
      createEventBus(config, metrics?.outboxObserver()),
    ]);
    const events = metrics ? runMetricsBus(metrics, bus) : bus;
    const options = {
      registry,
      state,
      hashSecret: config.hashSecret,
      audit: new JsonlAuditStore(config.auditPath),
      ...(events ? { events } : {}),
    };
    if (config.backend === 'base') return new BaseBackend(options);
    return new CronBackend({
      ...options,
      schedulesPath: config.schedulesPath,
      timezone: config.timezone,
      withDependencies: config.backend === 'cron-deps',
    });
  }
  if (config.backend === 'cronyx') {
    const { CronyxBackend } = await import('./cronyx');
    return new CronyxBackend({ registry, state, hashSecret: config.hashSecret, config });
  }
  const { TemporalBackend } = await import('./temporal');
  return TemporalBackend.connect({
    address: config.address,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    hashSecret: config.hashSecret,
    timezone: config.timezone,
    registry,
    // A long-lived client (the API server) follows the task catalogue instead of reading it per run.
    ...(longLived ? { watchCatalogue: true } : {}),
    ...(workerConnection ? { workerConnection } : {}),
  });
}
