/**
 * Starting a worker from the CLI: the process-wide Runtime (installed once), the connection,
 * the metrics endpoint, and graceful shutdown on SIGINT/SIGTERM (the Runtime's shutdown signals).
 */
import { processTracing } from '../tracing';
import { NativeConnection, type LogLevel, type Worker } from '@temporalio/worker';
import { installRuntime, runtimeMetrics } from '../worker/runtime';
// Types only: prom-client and the metrics server load when the worker has metrics.
import type { CascadenceMetrics } from '../metrics/registry';
import type { MetricsServer } from '../metrics/server';

export { installRuntime };
import { CascadenceError } from '../core/errors';
import { rootMessage } from '../core/errors';
import type { CascadenceConfig } from '../config/config';
import type { TaskRegistry } from '../plugins/registry';
import { createWorker, workflowInterceptorModules, type WorkerDeps } from '../worker/create-worker';
import { findPrebuiltBundle } from '../worker/bundle';
import { pluginAllowlist } from '../plugins/discovery';

/** A started worker. */
export interface RunningWorker {
  worker: Worker;
  connection: NativeConnection;
  /** Resolves when the worker has shut down and the connection (and a metrics endpoint it served) is closed. */
  done: Promise<void>;
  /** The worker's metrics, when it has any (`metricsPort` set, or given in `extra.metrics`). */
  metrics?: CascadenceMetrics;
  /** The `/metrics` endpoint this worker serves itself (`metricsPort` set and no `extra.metrics`). */
  metricsServer?: MetricsServer;
}

/**
 * Connects and starts a worker for the configured task queue. Its run, stage and outbox metrics,
 * with the Temporal SDK's, go to `extra.metrics` (served by the caller) or, when
 * `config.metricsPort` is set, to a `/metrics` endpoint on that port, open while the worker runs.
 * @throws CascadenceError CONNECTION when the server does not answer.
 * @throws CascadenceError CONFIG when the metrics port cannot be bound.
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
  const { logLevel: _logLevel, metrics: givenMetrics, ...workerExtra } = extra;
  let metrics = givenMetrics;
  let metricsServer: MetricsServer | undefined;
  if (!metrics && config.metricsPort !== undefined) {
    const [{ CascadenceMetrics }, { serveMetrics }] = await Promise.all([
      import('../metrics/registry'),
      import('../metrics/server'),
    ]);
    metrics = new CascadenceMetrics();
    try {
      metricsServer = await serveMetrics(metrics, config.metricsPort);
    } catch (err) {
      await connection.close();
      throw err;
    }
    process.stderr.write(`metrics: ${metricsServer.url}\n`);
  }
  // OTEL_EXPORTER_OTLP_ENDPOINT set: every workflow and stage becomes a span of its run's trace.
  const tracing = await processTracing('worker');
  // The prebuilt bundle of `npm run build` when it matches the compiled workflows (no webpack in
  // this process), else bundled here; `--debug` says which, on stderr (stdout is the CLI's).
  const interceptorModules = workflowInterceptorModules(tracing ? { tracing } : {});
  const prebuilt = extra.workflowBundle ? undefined : findPrebuiltBundle(interceptorModules);
  if (prebuilt && (extra.logLevel === 'DEBUG' || extra.logLevel === 'TRACE'))
    process.stderr.write(
      prebuilt.ok
        ? `workflow bundle: ${prebuilt.bundle.codePath} (prebuilt)\n`
        : `workflow bundle: bundling in process (${prebuilt.reason})\n`,
    );
  const sdkMetrics = runtimeMetrics();
  if (metrics && sdkMetrics) metrics.includeTemporal(sdkMetrics);
  const { createEventBus } = await import('../events/create-bus');
  const events = await createEventBus(config, metrics?.outboxObserver());
  let unwatch: (() => void) | undefined;
  if (metrics) {
    const { hasOutbox } = await import('../metrics/registry');
    if (hasOutbox(events)) unwatch = metrics.watchOutbox(events);
  }
  // Calendar-driven schedules update Temporal Schedules from an activity: give the worker a client.
  const { Client, Connection } = await import('@temporalio/client');
  const clientConnection = await Connection.connect({ address: config.address });
  const closeAll = async (): Promise<void> => {
    await events?.close?.();
    unwatch?.();
    await metricsServer?.close();
    await clientConnection.close();
    await connection.close();
    await tracing?.flush();
  };
  // Calendar-driven schedules and the event-driven workflows' recurrences share it.
  const client = new Client({ connection: clientConnection, namespace: config.namespace });
  let worker: Worker;
  try {
    worker = await createWorker({
      calendar: { client, umeBaseUrl: config.umeBaseUrl },
      eventDriven: {
        client,
        umeBaseUrl: config.umeBaseUrl,
        financeEngineUrl: config.financeEngineUrl,
        researchUrl: config.researchUrl,
      },
      ...(events ? { events } : {}),
      ...(metrics ? { metrics } : {}),
      ...(tracing ? { tracing } : {}),
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      registry,
      pluginAllowlist: pluginAllowlist(config),
      ...(prebuilt?.ok ? { workflowBundle: prebuilt.bundle } : {}),
      ...workerExtra,
    });
  } catch (err) {
    // A listening metrics endpoint would keep the process alive after the error.
    await closeAll();
    throw err;
  }
  const done = worker.run().finally(closeAll);
  return { worker, connection, done, ...(metrics ? { metrics } : {}), ...(metricsServer ? { metricsServer } : {}) };
}
