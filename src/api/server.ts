/**
 * The HTTP server of `task api`: the REST API (`cascadence`), the dashboard at the root, the
 * webhooks under `/webhook`, `/healthz`, `/metrics`, the OpenAPI document at `/openapi.json`
 * (generated from the route schemas) and its interactive docs at `/docs`; security headers (a
 * Content-Security-Policy allowing only this origin's scripts), a rate limit per client IP, a
 * body-size limit, the bearer-token check and one error body for every failure. No CORS: a
 * browser on another origin cannot call it. Node-only.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { bearerGuard, GUARD_DECORATOR } from './auth';
import type { ApiDeps } from './context';
import { dashboardRoutes } from './dashboard';
import { sessionSecretOf } from './dashboard/auth';
import { DASHBOARD_CSP_DIRECTIVES } from './dashboard/standalone';
import { ERROR_BODY_SCHEMA, errorResponse } from './errors';
import { cascadence } from './plugin';
import { webhookRoutes } from './webhooks';

/** Default body-size limit: 64 KiB (413 beyond). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** Default rate limit: 300 requests a minute per client IP (429 beyond). */
export const DEFAULT_RATE_LIMIT = { max: 300, timeWindow: 60_000 } as const;

/** How the server is built. */
export interface ServerOptions {
  /** Log requests (pino, to stdout); identity headers, tokens and cookies are redacted. Default off. */
  logger?: boolean;
  /** Requests per `timeWindow` (ms) per client IP, or false for none. */
  rateLimit?: false | { max: number; timeWindow: number };
  /** Largest accepted request body in bytes. */
  bodyLimit?: number;
  /** Trust `X-Forwarded-For` (behind a proxy) for the client IP the rate limit counts. */
  trustProxy?: boolean;
}

const REDACTED = [
  'req.headers["x-user-id"]',
  'req.headers["x-group-id"]',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** The package's version, for the OpenAPI document. */
const version = (): string =>
  (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** A fastify instance serving everything `task api` serves (not yet listening). */
export async function buildServer(deps: ApiDeps, options: ServerOptions = {}): Promise<FastifyInstance> {
  const full: ApiDeps = { ...deps, sessionSecret: sessionSecretOf(deps) };
  const app = Fastify({
    logger: options.logger ? { redact: { paths: REDACTED, censor: '[redacted]' } } : false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    trustProxy: options.trustProxy ?? false,
    // Unknown properties are refused (400), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = errorResponse(err);
    if (body.error.code === 'INTERNAL') request.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` },
    }),
  );
  await app.register(helmet, { contentSecurityPolicy: { directives: DASHBOARD_CSP_DIRECTIVES } });
  if (options.rateLimit !== false) {
    const limit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.timeWindow,
      keyGenerator: (request) => request.ip,
      errorResponseBuilder: (_request, context) => ({
        statusCode: context.statusCode,
        message: `rate limit exceeded: at most ${context.max} requests per ${context.after}`,
      }),
    });
  }
  await app.register(cookie);
  await app.register(formbody);
  if (full.apiToken) {
    app.decorate(GUARD_DECORATOR, true);
    app.addHook('onRequest', bearerGuard(full));
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Cascadence API',
        version: version(),
        description:
          'Every API route needs X-User-ID and X-Group-ID (hashed on arrival). With CASCADENCE_API_TOKEN set, every route but /healthz needs Authorization: Bearer <token>. Errors are {error: {code, message, hint?}}.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      ...(full.apiToken ? { security: [{ bearerAuth: [] }] } : {}),
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Served over plain HTTP on a LAN address, an upgrade would break the page's own assets.
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness: answers while the server runs (no token, no identity headers)',
        tags: ['server'],
        response: {
          200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] },
        },
      },
    },
    () => ({ status: 'ok' }),
  );
  const metrics = full.metrics;
  if (metrics) {
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (text format)',
          tags: ['server'],
          produces: ['text/plain'],
          response: { 200: { type: 'string' }, 401: ERROR_BODY_SCHEMA },
        },
      },
      async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()),
    );
  }
  await app.register(dashboardRoutes, full);
  await app.register(webhookRoutes, { ...full, prefix: '/webhook' });
  await app.register(cascadence, full);
  return app;
}
