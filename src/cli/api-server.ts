/**
 * Starting the HTTP API for `task api` and `task dev`: one long-lived backend (its task
 * catalogue watched), the event bus for pointer updates, metrics served on the same server's
 * `/metrics`, and the plugin allowlist from the configuration. Node-only.
 */
import type { CascadenceConfig } from '../config/config';
import type { TaskRegistry } from '../plugins/registry';
import { pluginAllowlist } from '../plugins/discovery';
import type { NativeConnection } from '@temporalio/worker';

/** A running API server. */
export interface RunningApi {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  /** Stops listening, then closes the backend and the event bus. */
  close(): Promise<void>;
}

/** How to start it. */
export interface ApiServerOptions {
  host: string;
  port: number;
  /** Requests per minute per client IP (0: no limit). */
  rateLimit?: number;
  /** The connection of a worker in this process on the configured task queue: runs start eagerly on it. */
  workerConnection?: NativeConnection;
}

/**
 * Connects the backend and listens.
 * @throws CascadenceError CONNECTION when Temporal cannot be reached; the listen error for a port in use.
 */
export async function startApiServer(
  config: CascadenceConfig,
  registry: TaskRegistry,
  options: ApiServerOptions,
): Promise<RunningApi> {
  const [{ CascadenceMetrics }, { createBackend }, { createEventBus }, { buildServer }] = await Promise.all([
    import('../metrics/registry'),
    import('../backends'),
    import('../events/create-bus'),
    import('../api/server'),
  ]);
  const metrics = new CascadenceMetrics();
  const backend = await createBackend(config, registry, {
    metrics,
    longLived: true,
    ...(options.workerConnection ? { workerConnection: options.workerConnection } : {}),
  });
  const bus = await createEventBus(config, metrics.outboxObserver()).catch(async (err: unknown) => {
    await backend.close();
    throw err;
  });
  const closeDeps = async (): Promise<void> => {
    await bus?.close?.();
    await backend.close();
  };
  const apiToken = process.env.CASCADENCE_API_TOKEN || undefined;
  try {
    const app = await buildServer(
      {
        config,
        registry,
        backend,
        metrics,
        pluginPaths: pluginAllowlist(config),
        ...(bus ? { bus } : {}),
        ...(apiToken ? { apiToken } : {}),
      },
      options.rateLimit === 0
        ? { rateLimit: false }
        : options.rateLimit
          ? { rateLimit: { max: options.rateLimit, timeWindow: 60_000 } }
          : {},
    );
    await app.listen({ host: options.host, port: options.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    return {
      url: `http://${host}:${port}`,
      async close() {
        await app.close();
        await closeDeps();
      },
    };
  } catch (err) {
    await closeDeps();
    throw err;
  }
}
