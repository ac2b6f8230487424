/**
 * The process-wide Temporal Runtime, installed once at the process entry.
 */
import { Runtime, type LogLevel } from '@temporalio/worker';
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

/** The Temporal SDK metrics of this process's Runtime, or undefined when it was not installed by {@link installRuntime}. */
export function runtimeMetrics(): TemporalSdkMetrics | undefined {
  return sdkMetrics;
}
