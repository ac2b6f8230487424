/**
 * `cascadence`: the REST API as one fastify plugin, to mount in any fastify app
 * (`app.register(cascadence, { prefix: '/cascadence', ...deps })`); `buildServer` mounts it at
 * the root. Every route requires `X-User-ID` and `X-Group-ID`, hashed on arrival into
 * `request.identity` (the raw values are overwritten with their hashes, so nothing later, a
 * log line included, sees them). Mounted on its own with `apiToken`, it checks the bearer token
 * itself. Node-only.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { CascadenceError } from '../core/errors';
import { hashId } from '../events/hash';
import { bearerGuard, GUARD_DECORATOR } from './auth';
import { assertRunInScope } from '../services/scope';
import { followPlugins, type ApiDeps } from './context';
import { errorResponse } from './errors';
import { recordRoutes } from './routes/records';
import { runRoutes } from './routes/runs';
import { taskRoutes } from './routes/tasks';

const IDENTITY_HEADERS = [
  ['x-user-id', 'X-User-ID'],
  ['x-group-id', 'X-Group-ID'],
] as const;

/**
 * Hashes the identity headers into `request.identity`.
 * @throws CascadenceError USAGE naming the first missing header.
 */
export function identify(request: FastifyRequest, hashSecret: string): void {
  const hashes: string[] = [];
  for (const [name, display] of IDENTITY_HEADERS) {
    const value = request.headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (!text) {
      throw new CascadenceError('USAGE', `missing header ${display}`, {
        hint: 'send X-User-ID and X-Group-ID with every API request',
      });
    }
    const hash = hashId(text, hashSecret);
    request.headers[name] = hash;
    hashes.push(hash);
  }
  request.identity = { userHash: hashes[0] as string, groupHash: hashes[1] as string };
}

/** The REST API routes (tasks, runs, DAGs, pipelines, pointers, ideas) with their identity check. */
export const cascadence: FastifyPluginAsync<ApiDeps> = async (app, options) => {
  const deps: ApiDeps = options;
  // Mounted on its own (not by buildServer), the plugin answers errors and checks the token itself.
  if (!app.hasDecorator(GUARD_DECORATOR)) {
    app.setErrorHandler((err, _request, reply) => {
      const { status, body } = errorResponse(err);
      return reply.code(status).send(body);
    });
    if (deps.apiToken) app.addHook('onRequest', bearerGuard(deps));
  }
  app.addHook('onRequest', async (request) => identify(request, deps.config.hashSecret));
  // A task registered through another server (or machine) is known here before the route runs.
  app.addHook('preHandler', async (request) => {
    const params = request.params as { name?: string; run_id?: string };
    await followPlugins(deps, params.name);
    // A run is shown to, and touched by, callers of its own group only (another group's is a 404).
    if (params.run_id !== undefined && request.identity)
      await assertRunInScope(deps.backend, params.run_id, request.identity);
  });
  taskRoutes(app, deps);
  runRoutes(app, deps);
  recordRoutes(app, deps);
};
