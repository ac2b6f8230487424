/**
 * Starting a worker from the CLI: the process-wide Runtime (installed once), the connection,
 * and graceful shutdown on SIGINT/SIGTERM (the Runtime's shutdown signals).
 */
import { NativeConnection, type LogLevel, type Worker } from '@temporalio/worker';
import { installRuntime } from '../worker/runtime';

export { installRuntime };
import { CascadenceError } from '../core/errors';
import { rootMessage } from '../core/errors';
import type { CascadenceConfig } from '../config/config';
import type { TaskRegistry } from '../plugins/registry';
import { createWorker, type WorkerDeps } from '../worker/create-worker';

/** A started worker. */
export interface RunningWorker {
  worker: Worker;
  connection: NativeConnection;
  /** Resolves when the worker has shut down and the connection is closed. */
  done: Promise<void>;
}

/**
 * Connects and starts a worker for the configured task queue.
 * @throws CascadenceError CONNECTION when the server does not answer.
 */
export async function startWorker(
  config: CascadenceConfig,
  registry: TaskRegistry,
  extra: Partial<WorkerDeps> & { logLevel?: LogLevel } = {},
): Promise<RunningWorker> {
  installRuntime(extra.logLevel);
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address: config.address });
  } catch (err) {
    throw new CascadenceError(
      'CONNECTION',
      `cannot reach Temporal at ${config.address}: ${rootMessage(err).split('\n')[0]}`,
      {
        hint: 'start a local server with `task dev`, or set TEMPORAL_ADDRESS / --address',
      },
    );
  }
  const { logLevel: _logLevel, ...workerExtra } = extra;
  const { createEventBus } = await import('../events/create-bus');
  const events = await createEventBus(config);
  // Calendar-driven schedules update Temporal Schedules from an activity: give the worker a client.
  const { Client, Connection } = await import('@temporalio/client');
  const clientConnection = await Connection.connect({ address: config.address });
  const worker = await createWorker({
    calendar: {
      client: new Client({ connection: clientConnection, namespace: config.namespace }),
      umeBaseUrl: config.umeBaseUrl,
    },
    ...(events ? { events } : {}),
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    registry,
    ...workerExtra,
  });
  const done = worker.run().finally(async () => {
    await events?.close?.();
    await clientConnection.close();
    await connection.close();
  });
  return { worker, connection, done };
}
