/**
 * Bundling the workflows once per process. Node-only.
 */
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

let cached: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Path of the single workflows module (works from `src/` under Jest and from `dist/`). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** The bundled workflow code, built on first use and shared by every worker and replayer in the process. */
export function getWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cached ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

const noop = (): void => undefined;
/** The bundler logs every build at info level; keep stdout for the CLI's own output (errors still reach stderr). */
export const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
  log: noop,
};
