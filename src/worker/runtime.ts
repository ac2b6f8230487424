/**
 * The process-wide Temporal Runtime, installed once at the process entry.
 */
import { Runtime, type LogLevel } from '@temporalio/worker';
import { createWorkerLogger } from './logger';

let runtimeInstalled = false;

/**
 * Installs the Temporal Runtime once per process, logging one line per entry from `level`
 * (default `$CASCADENCE_LOG_LEVEL`, else warnings and errors); graceful shutdown on SIGINT/SIGTERM.
 */
export function installRuntime(level?: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: createWorkerLogger(level) });
  } catch {
    // Already installed by an embedding process: keep its settings.
  }
}
