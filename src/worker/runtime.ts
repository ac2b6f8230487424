/**
 * The process-wide Temporal Runtime, installed once at the process entry.
 */
import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import { TemporalSdkMetrics } from '../metrics/temporal';
import { createWorkerLogger } from './logger';

let runtimeInstalled = false;
let sdkMetrics: TemporalSdkMetrics | undefined;

/**
 * Installs the Temporal Runtime once per process, logging one line per entry from `level`
 * (default `$CASCADENCE_LOG_LEVEL`, else warnings and errors); graceful shutdown on SIGINT/SIGTERM.
 * The SDK's worker metrics go to a buffer that {@link runtimeMetrics} drains, for `/metrics`.
 */
export function installRuntime(level?: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const metrics = new TemporalSdkMetrics();
  try {
    Runtime.install({
      logger: createWorkerLogger(level),
      telemetryOptions: { metrics: { buffer: metrics.buffer } },
    });
    sdkMetrics = metrics.start();
  } catch {
    // Already installed by an embedding process: keep its settings (and its metrics exporter).
  }
}

/**
 * Installs the Runtime of a process that only replays histories (`task replay`, the replay gate):
 * the replay workers' own logs are dropped (every failing replay logs its failure, and finding
 * a run's first mismatching event replays many failing prefixes; the caller reports what failed)
 * unless `debug`. No shutdown signals: Ctrl-C just ends the process.
 */
export function installReplayRuntime(debug = false): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = debug ? 'WARN' : 'ERROR';
  try {
    Runtime.install({
      logger: debug ? createWorkerLogger('DEBUG') : new DefaultLogger('ERROR', () => undefined),
      // The core's own log stays on its console logger: a forwarding one keeps the process alive until the Runtime shuts down.
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level, other: level }) } },
      shutdownSignals: [],
    });
  } catch {
    // Already installed by an embedding process: keep its settings.
  }
}

/** The Temporal SDK metrics of this process's Runtime, or undefined when it was not installed by {@link installRuntime}. */
export function runtimeMetrics(): TemporalSdkMetrics | undefined {
  return sdkMetrics;
}
