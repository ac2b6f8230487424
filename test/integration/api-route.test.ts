/**
 * One task as a route of your own fastify app (`cascadenceRoute`): each request starts a durable
 * run on Temporal and answers with its result, or 202 with its run id; the caller's headers are
 * hashed; errors answer with the error table's status and `{error}` body. Real HTTP, a real dev
 * server and worker.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { cascadenceRoute } from '../../src/api/route';
import { hashId } from '../../src/events/hash';
import { createTestRegistry } from '../helpers/tasks';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';

let conns: TestConnections;
let env: Awaited<ReturnType<typeof startTestWorker>>;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  conns = await connect();
  env = await startTestWorker(conns, createTestRegistry(), { prefix: 'api-route', hashSecret: 's' });
  app = Fastify();
  const options = { backend: env.backend, hashSecret: 's' };
  cascadenceRoute(app, '/greet/:name', 'example', (req) => ({ name: (req.params as { name: string }).name }), options);
  cascadenceRoute(app, '/later', 'example', () => undefined, { ...options, wait: false });
  cascadenceRoute(app, '/broken', 'always-fails', () => undefined, options);
  cascadenceRoute(app, '/missing', 'no-such-task', () => undefined, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
  await env?.close();
  await conns?.close();
});

const headers = { 'x-user-id': 'alice', 'x-group-id': 'team-a' };

test("a request runs the task and answers with its result; the run is the caller's (hashed)", async () => {
  const res = await fetch(`${base}/greet/Ada`, { method: 'POST', headers });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { run_id: string; result: { greeting: string } };
  expect(body.result.greeting).toBe('Hello, Ada!');
  const status = await env.backend.audit('example', body.run_id);
  expect(status[0]?.user_hash).toBe(hashId('alice', 's'));
  expect(JSON.stringify(status)).not.toContain('alice');
});

test('wait: false answers 202 with the run id at once; the run goes on', async () => {
  const res = await fetch(`${base}/later`, { method: 'POST', headers });
  expect(res.status).toBe(202);
  const { run_id } = (await res.json()) as { run_id: string };
  expect(await env.backend.result(run_id)).toMatchObject({ verified: true });
});

test('errors answer with the error table: missing header 400, unknown task 404, failed run 500', async () => {
  const noHeader = await fetch(`${base}/greet/Ada`, { method: 'POST', headers: { 'x-user-id': 'alice' } });
  expect(noHeader.status).toBe(400);
  expect(await noHeader.json()).toEqual({ error: { code: 'USAGE', message: 'missing header X-Group-ID' } });
  const missing = await fetch(`${base}/missing`, { method: 'POST', headers });
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_TASK');
  const broken = await fetch(`${base}/broken`, { method: 'POST', headers });
  expect(broken.status).toBe(500);
  const body = (await broken.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('STAGE_FAILED');
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
});
