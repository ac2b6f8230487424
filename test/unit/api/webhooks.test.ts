/**
 * The webhook plugin on a real fastify listener (inject's light-my-request pulls an ESM-only
 * `cookie` Jest cannot load): it checks signatures over the exact bytes sent (whatever the
 * content type), answers errors as `{error: {code, message}}` with the error table's status, and
 * keeps its raw-body parser to itself.
 */
import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Backend, RunRequest } from '../../../src/backends/backend';
import { loadConfig } from '../../../src/config/config';
import { webhookRoutes } from '../../../src/api/webhooks';
import { createDefaultRegistry } from '../../../src/plugins/builtin';

const secret = 'route-secret';
const sign = (raw: string): string => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

interface Served {
  app: FastifyInstance;
  starts: RunRequest[];
  post(path: string, body: string | undefined, headers: Record<string, string>): Promise<Response>;
}

async function app(): Promise<Served> {
  const starts: RunRequest[] = [];
  const backend = {
    name: 'recording',
    start: (r: RunRequest) => (starts.push(r), Promise.resolve(r.runId ?? 'x')),
    status: jest.fn(),
    groupOf: jest.fn(),
    cancel: jest.fn(),
    signal: jest.fn(),
    audit: jest.fn(),
    close: () => Promise.resolve(),
  } as unknown as Backend;
  const config = loadConfig({}, { GITHUB_WEBHOOK_SECRET: secret });
  const server = Fastify();
  server.post('/echo', async (request) => ({ body: request.body as unknown }));
  await server.register(webhookRoutes, { prefix: '/webhook', config, registry: createDefaultRegistry(), backend });
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    app: server,
    starts,
    post: (path, body, headers) =>
      fetch(`${base}${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) }),
  };
}

const headers = (raw: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-github-event': 'issues',
  'x-github-delivery': 'd-1',
  'x-hub-signature-256': sign(raw),
  ...extra,
});

it('verifies the signature over the raw bytes, spacing included, and answers 202 with the runs', async () => {
  const { app: server, starts, post } = await app();
  const raw = '{ "action" :  "opened" }\n';
  const res = await post('/webhook/github', raw, headers(raw));
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ runs: [{ task: 'github-webhook', run_id: 'github-d-1-github-webhook' }] });
  expect(starts).toHaveLength(1);
  await server.close();
});

it('takes any content type as raw bytes (GitHub may send text/plain through proxies)', async () => {
  const { app: server, post } = await app();
  const raw = '{"action":"closed"}';
  const res = await post('/webhook/github', raw, headers(raw, { 'content-type': 'text/plain' }));
  expect(res.status).toBe(202);
  await server.close();
});

it('answers a bad signature with 401 {error} and starts nothing', async () => {
  const { app: server, starts, post } = await app();
  const raw = '{"action":"opened"}';
  const res = await post('/webhook/github', raw, headers(raw, { 'x-hub-signature-256': sign('{"action":"closed"}') }));
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual({
    error: {
      code: 'UNAUTHORIZED',
      message: 'invalid webhook signature (x-hub-signature-256)',
      hint: 'sign the raw body with HMAC-SHA-256 and the secret in GITHUB_WEBHOOK_SECRET',
    },
  });
  expect(starts).toHaveLength(0);
  await server.close();
});

it('answers a signed body that is not JSON with 400, and an empty body likewise', async () => {
  const { app: server, post } = await app();
  const raw = 'action=opened';
  const res = await post('/webhook/github', raw, headers(raw));
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: { code: 'VALIDATION', message: 'the webhook body is not JSON' } });
  const empty = await post('/webhook/github', undefined, headers(''));
  expect(empty.status).toBe(400);
  await server.close();
});

it('answers a body over 1 MiB with 413 in the same {error} shape', async () => {
  const { app: server, starts, post } = await app();
  const raw = JSON.stringify({ action: 'opened', pad: 'x'.repeat(1024 * 1024) });
  const res = await post('/webhook/github', raw, headers(raw));
  expect(res.status).toBe(413);
  expect(await res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  expect(starts).toHaveLength(0);
  await server.close();
});

it('leaves the parsers of other routes alone', async () => {
  const { app: server, post } = await app();
  const res = await post('/echo', JSON.stringify({ a: 1 }), { 'content-type': 'application/json' });
  expect(await res.json()).toEqual({ body: { a: 1 } });
  await server.close();
});
