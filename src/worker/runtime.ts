/**
 * The process-wide Temporal Runtime, installed once at the process entry.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';

let runtimeInstalled = false;

/** Installs the Temporal Runtime once per process: warnings and errors only, graceful shutdown on SIGINT/SIGTERM. */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an embedding process: keep its settings.
  }
}
