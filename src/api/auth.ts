/**
 * Access to the server: with an API token, every route but `/healthz` and the routes marked
 * `config.public` (the dashboard's and the webhooks', which check access themselves) needs
 * `Authorization: Bearer <token>`, compared in constant time, or a valid dashboard session
 * cookie. Node-only.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { CascadenceError } from '../core/errors';
import type { ApiDeps } from './context';
import { readSession, sameSecret, SESSION_COOKIE } from './session';

/** Name of the decoration saying a server already guards every route (the API plugin then need not). */
export const GUARD_DECORATOR = 'cascadenceGuard';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route anyone may reach without the API token (it checks access itself). */
    public?: boolean;
  }
}

/** The bearer token of a request, if it sent one. */
function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * The onRequest hook requiring the token (or a session cookie signed with `deps.sessionSecret`).
 * @throws CascadenceError UNAUTHORIZED.
 */
export function bearerGuard(deps: Pick<ApiDeps, 'apiToken' | 'sessionSecret'>): onRequestAsyncHookHandler {
  const token = deps.apiToken;
  return async (request) => {
    if (!token || request.routeOptions.config?.public === true) return;
    const given = bearerOf(request);
    if (given !== undefined && sameSecret(given, token)) return;
    const cookies = (request as { cookies?: Record<string, string | undefined> }).cookies;
    if (given === undefined && deps.sessionSecret && readSession(deps.sessionSecret, cookies?.[SESSION_COOKIE])) return;
    throw new CascadenceError(
      'UNAUTHORIZED',
      given === undefined ? 'a bearer token is required' : 'the bearer token is wrong',
      { hint: 'send Authorization: Bearer $CASCADENCE_API_TOKEN' },
    );
  };
}
