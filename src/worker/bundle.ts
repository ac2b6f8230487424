/**
 * Bundling the workflows once per process. Node-only.
 */
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { CascadenceError, rootMessage } from '../core/errors';

const cached = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Path of the single workflows module (works from `src/` under Jest and from `dist/`). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * The bundled workflow code, built on first use and shared by every worker and replayer in the
 * process; `interceptorModules` (e.g. tracing's) are bundled in as workflow interceptors.
 */
export function getWorkflowBundle(interceptorModules: readonly string[] = []): Promise<WorkflowBundleWithSourceMap> {
  const key = interceptorModules.join('\n');
  let bundle = cached.get(key);
  if (!bundle) {
    bundle = bundleWorkflows(WORKFLOWS_PATH, interceptorModules).catch((err: unknown) => {
      cached.delete(key);
      throw err;
    });
    cached.set(key, bundle);
  }
  return bundle;
}

/**
 * Bundles the workflows at `workflowsPath` for the sandbox.
 * @throws CascadenceError INTERNAL naming the imports the sandbox refuses (Node built-ins, I/O packages).
 */
export async function bundleWorkflows(
  workflowsPath: string,
  interceptorModules: readonly string[] = [],
): Promise<WorkflowBundleWithSourceMap> {
  const errors: string[] = [];
  try {
    return await bundleWorkflowCode({
      workflowsPath,
      ...(interceptorModules.length > 0 ? { workflowInterceptorModules: [...interceptorModules] } : {}),
      logger: { ...quietLogger, error: (m: string) => errors.push(m) },
    });
  } catch (err) {
    const log = [rootMessage(err), ...errors].join('\n');
    const refused = new Set<string>();
    for (const m of log.matchAll(/^ERROR in (\S+)|Can't resolve '([^']+)'|^\s+- '([^']+)'/gm)) {
      const name = m[1] ?? m[2] ?? m[3];
      if (name && name !== 'main' && !name.startsWith('.')) refused.add(name);
    }
    const importer = /^ @ (\S+)/m.exec(log)?.[1];
    if (refused.size === 0) console.error(log);
    throw new CascadenceError(
      'INTERNAL',
      refused.size > 0
        ? `workflow code imports ${[...refused].map((m) => `'${m}'`).join(', ')}${importer ? ` (in ${importer})` : ''}, which the workflow sandbox refuses`
        : `cannot bundle the workflows at ${workflowsPath}: ${rootMessage(err).split('\n')[0]}`,
      {
        hint: 'workflows import only @temporalio/workflow, @temporalio/common, src/core and activity types',
        cause: err,
      },
    );
  }
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
