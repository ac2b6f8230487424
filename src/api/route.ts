/**
 * One Cascadence task as a route of your own fastify app (cadence-flow's framework integration,
 * the Node way): `cascadenceRoute(app, '/orders/:id', 'checkout', (req) => input, { backend })`
 * starts a durable run of `checkout` on Temporal for each request and answers with its result,
 * or 202 with its run id (`wait: false`). The caller is `X-User-ID` / `X-Group-ID` (hashed on
 * arrival, never kept raw) unless `identify` says otherwise. Errors answer with the error
 * table's status and `{error: {code, message, hint?}}`. Node-only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireCapability, type Backend } from '../backends/backend';
import { CascadenceError } from '../core/errors';
import { errorResponse } from './errors';
import { hashId } from '../events/hash';

/** Who a request runs as: raw ids from your own authentication, hashed before use. */
export interface RouteIdentity {
  userId: string;
  groupId: string;
}

/** Options of {@link cascadenceRoute}. */
export interface CascadenceRouteOptions {
  /** Where runs start (a long-lived Temporal backend: `createBackend(config, registry, { longLived: true })`). */
  backend: Backend;
  /** Key of the id hashes (`CASCADENCE_HASH_SECRET`). */
  hashSecret: string;
  /** Wait for the run's result (default) or answer 202 with its run id at once. */
  wait?: boolean;
  /** The caller's ids (default: the `X-User-ID` and `X-Group-ID` headers; missing ones are a 400). */
  identify?: (request: FastifyRequest) => RouteIdentity;
  /** HTTP method (default POST). */
  method?: 'POST' | 'PUT' | 'GET';
}

/** Answers `err` with its status from the error table and the one `{error}` body (src/api/errors.ts). */
export function errorReply(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, body } = errorResponse(err);
  return reply.code(status).send(body);
}

function headerIdentity(request: FastifyRequest): RouteIdentity {
  const get = (name: string): string => {
    const value = request.headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (!text)
      throw new CascadenceError('USAGE', `missing header ${name === 'x-user-id' ? 'X-User-ID' : 'X-Group-ID'}`);
    return text;
  };
  return { userId: get('x-user-id'), groupId: get('x-group-id') };
}

/**
 * Adds a route to `app` that runs `task` with the input `toInput(request)` builds.
 * @example cascadenceRoute(app, '/orders/:id/checkout', 'checkout', (req) => ({ order: req.params }), { backend, hashSecret })
 */
export function cascadenceRoute(
  app: FastifyInstance,
  path: string,
  task: string,
  toInput: (request: FastifyRequest) => unknown,
  options: CascadenceRouteOptions,
): void {
  const operate = requireCapability(options.backend, 'operate');
  const identify = options.identify ?? headerIdentity;
  app.route({
    method: options.method ?? 'POST',
    url: path,
    schema: {
      summary: `Runs the ${task} task`,
      response: {
        200: { type: 'object', properties: { run_id: { type: 'string' }, result: {} }, required: ['run_id'] },
        202: { type: 'object', properties: { run_id: { type: 'string' } }, required: ['run_id'] },
      },
    },
    handler: async (request, reply) => {
      try {
        const who = identify(request);
        const ids = {
          userId: '',
          groupId: '',
          userHash: hashId(who.userId, options.hashSecret),
          groupHash: hashId(who.groupId, options.hashSecret),
        };
        const input = toInput(request);
        if (options.wait === false) {
          const runId = await operate.start({ task, ...ids, ...(input === undefined ? {} : { input }) });
          return reply.code(202).send({ run_id: runId });
        }
        const outcome = await options.backend.run({ task, ...ids, ...(input === undefined ? {} : { input }) });
        return reply.send({ run_id: outcome.runId, result: outcome.result ?? null });
      } catch (err) {
        return errorReply(reply, err);
      }
    },
  });
}
