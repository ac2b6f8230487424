/**
 * Backends: the adapter layer (one Backend interface; temporal and base implementations).
 * Node-only.
 */
import type { CascadenceConfig } from '../config/config';
import type { TaskRegistry } from '../plugins/registry';
import type { Backend } from './backend';

export * from './backend';

/**
 * The backend named by the configuration. Heavy clients are imported lazily.
 * @throws CascadenceError CONNECTION when the temporal backend cannot reach its server.
 */
export async function createBackend(config: CascadenceConfig, registry: TaskRegistry): Promise<Backend> {
  if (config.backend === 'base') {
    const { BaseBackend } = await import('./base');
    return new BaseBackend({ registry, hashSecret: config.hashSecret });
  }
  const { TemporalBackend } = await import('./temporal');
  return TemporalBackend.connect({
    address: config.address,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    hashSecret: config.hashSecret,
    registry,
  });
}
