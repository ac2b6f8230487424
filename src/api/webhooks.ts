/**
 * The webhook routes, a fastify plugin mounted under `/webhook` by `task webhook` and `task api`:
 * `POST /github` and `POST /calcom`. They are public (no bearer token, no identity headers):
 * each delivery is authenticated by its signature instead, and each route only hands the raw
 * body and headers to `receiveWebhook` (services/webhooks), which verifies, parses and starts the
 * runs. The plugin keeps its own content-type parser (bodies stay raw Buffers, so the HMAC is
 * taken over the exact bytes sent); it is encapsulated and changes no other route. Node-only.
 */
import type {} from '@fastify/swagger';
import type { FastifyPluginAsync, FastifySchema } from 'fastify';
import { CascadenceError, WEBHOOK_SOURCES, type WebhookSource } from '../core';
import { receiveWebhook } from '../services/webhooks';
import type { ApiDeps } from './context';
import { ERROR_BODY_SCHEMA } from './errors';
import { errorReply } from './route';

/** Largest webhook body taken (GitHub caps its payloads at 25 MB, but events worth a run are far smaller). */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

const errorSchema = ERROR_BODY_SCHEMA;

const receiptSchema = {
  type: 'object',
  properties: {
    runs: {
      type: 'array',
      items: {
        type: 'object',
        properties: { task: { type: 'string' }, run_id: { type: 'string' }, duplicate: { type: 'boolean' } },
        required: ['task', 'run_id'],
      },
    },
    skipped: {
      type: 'array',
      items: {
        type: 'object',
        properties: { task: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
        required: ['task', 'code', 'message'],
      },
    },
    duplicate: { type: 'boolean' },
  },
  required: ['runs'],
} as const;

const HEADERS: Record<WebhookSource, Record<string, { type: 'string'; description: string }>> = {
  github: {
    'x-github-event': { type: 'string', description: 'The event type (`issues`, `push`, ...).' },
    'x-github-delivery': { type: 'string', description: 'The delivery GUID; a redelivery carries the same one.' },
    'x-hub-signature-256': {
      type: 'string',
      description: '`sha256=` and the hex HMAC-SHA-256 of the raw body with GITHUB_WEBHOOK_SECRET (required when set).',
    },
  },
  calcom: {
    'cal-event-type': { type: 'string', description: "The event type (default: the body's `triggerEvent`)." },
    'x-cal-signature-256': {
      type: 'string',
      description: 'The hex HMAC-SHA-256 of the raw body with CALCOM_WEBHOOK_SECRET (required when set).',
    },
  },
};

const SUMMARY: Record<WebhookSource, string> = {
  github: 'Takes a GitHub webhook delivery: one durable run per WebhookTask that handles it',
  calcom: 'Takes a Cal.com webhook delivery: one durable run per WebhookTask that handles it',
};

function routeSchema(source: WebhookSource): FastifySchema {
  return {
    summary: SUMMARY[source],
    tags: ['webhooks'],
    headers: { type: 'object', properties: HEADERS[source] },
    response: {
      200: { description: 'Nothing new started: no task handles the event, or a redelivery', ...receiptSchema },
      202: { description: 'Runs started', ...receiptSchema },
      400: { ...errorSchema, description: 'Not JSON, or a missing or malformed header' },
      401: { ...errorSchema, description: 'Missing or wrong signature: nothing started' },
      413: { ...errorSchema, description: 'Body too large' },
      503: { ...errorSchema, description: 'Temporal unreachable' },
    },
  };
}

/** `POST /github` and `POST /calcom`, public and signature-checked; register it with `{ prefix: '/webhook' }`. */
export const webhookRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  // Raw bytes for the HMAC, whatever the content type; receiveWebhook parses the JSON itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );
  // Errors raised before the handler (a body over the limit, a malformed request) answer in the same {error} shape.
  app.setErrorHandler((err: { statusCode?: number; message?: string }, _request, reply) =>
    errorReply(
      reply,
      err.statusCode === 413
        ? new CascadenceError('PAYLOAD_TOO_LARGE', `the webhook body is larger than ${WEBHOOK_BODY_LIMIT} bytes`)
        : err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
          ? new CascadenceError('VALIDATION', err.message ?? 'bad request')
          : err,
    ),
  );
  for (const source of WEBHOOK_SOURCES) {
    app.post(
      `/${source}`,
      { config: { public: true }, bodyLimit: WEBHOOK_BODY_LIMIT, schema: routeSchema(source) },
      async (request, reply) => {
        try {
          const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const receipt = await receiveWebhook(deps, source, { headers: request.headers, body });
          return await reply.code(receipt.status).send(receipt.body);
        } catch (err) {
          return errorReply(reply, err);
        }
      },
    );
  }
};
