import { createServer } from 'node:net';
import { CascadenceMetrics, serveMetrics, type MetricsServer } from '../../../src/metrics';
import { isCascadenceError } from '../../../src/core/errors';

let server: MetricsServer;
const metrics = new CascadenceMetrics();
beforeAll(async () => {
  server = await serveMetrics(metrics, 0, '127.0.0.1');
});
afterAll(() => server.close());

it('serves the registry at /metrics over HTTP, in the text format with its content type', async () => {
  metrics.observeRun('example', 'completed', 0.002);
  expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
  const res = await fetch(server.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(metrics.contentType);
  expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  const body = await res.text();
  expect(body).toContain('task_latency_seconds_bucket{le="0.005",task_name="example"} 1');
  expect(body).toContain('task_success_total{task_name="example"} 1');
  expect(await (await fetch(`${server.url}?x=1`)).text()).toBe(await metrics.metrics());
});

it.each(['/', '/metrics/x', '/other'])('answers 404 at %s', async (path) => {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
  expect(res.status).toBe(404);
});

it('answers 404 to other methods than GET and HEAD', async () => {
  expect((await fetch(server.url, { method: 'POST' })).status).toBe(404);
  const head = await fetch(server.url, { method: 'HEAD' });
  expect(head.status).toBe(200);
});

it('refuses a port in use with a CONFIG error naming it', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as { port: number }).port;
  try {
    const err: unknown = await serveMetrics(metrics, port, '127.0.0.1').catch((e: unknown) => e);
    expect(isCascadenceError(err) && err.code).toBe('CONFIG');
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
  } finally {
    taken.close();
  }
});

it('stops listening on close', async () => {
  const other = await serveMetrics(new CascadenceMetrics(), 0, '127.0.0.1');
  await fetch(other.url);
  await other.close();
  await expect(fetch(other.url)).rejects.toThrow();
});
