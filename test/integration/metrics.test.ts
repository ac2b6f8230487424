/**
 * Prometheus metrics of a real worker on the suite's Temporal server, with events going to a
 * real nats-server through the outbox: runs (a failing one included), stages, the outbox and the
 * Temporal SDK's own worker metrics, all scraped over HTTP from one /metrics endpoint; and the
 * built CLI's `task worker --metrics-port 0` serving the same endpoint.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TemporalBackend } from '../../src/backends/temporal';
import { NatsTransport } from '../../src/events/nats';
import { CascadenceMetrics, serveMetrics, type MetricsServer } from '../../src/metrics';
import { runtimeMetrics } from '../../src/worker/runtime';
import { createWorker } from '../../src/worker/create-worker';
import { BIN } from '../helpers/cli';
import { NatsServer } from '../helpers/nats';
import { createTestRegistry } from '../helpers/tasks';
import { connect, serverAddress, testBackend, uniqueQueue, type TestConnections } from '../helpers/temporal';

let conns: TestConnections;
let nats: NatsServer;
let transport: NatsTransport;
let backend: TemporalBackend;
let server: MetricsServer;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  conns = await connect(); // installs the Runtime, with its metrics buffer
  nats = await NatsServer.start();
  const metrics = new CascadenceMetrics();
  const sdk = runtimeMetrics();
  if (!sdk) throw new Error('the Runtime was installed without its metrics buffer');
  metrics.includeTemporal(sdk);
  transport = new NatsTransport({
    servers: nats.url,
    subject: `m${randomUUID().slice(0, 8)}`,
    outboxDir: mkdtempSync(join(tmpdir(), 'cascadence-metrics-outbox-')),
    warn: () => undefined,
    observer: metrics.outboxObserver(),
  }).start();
  metrics.watchOutbox(transport);
  const registry = createTestRegistry();
  const taskQueue = uniqueQueue('metrics');
  const worker = await createWorker({
    connection: conns.native,
    taskQueue,
    registry,
    events: transport,
    metrics,
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
  };
  server = await serveMetrics(metrics, 0, '127.0.0.1');
  backend = await testBackend(registry, taskQueue);
});
afterAll(async () => {
  await stopWorker?.();
  await transport?.close();
  await backend?.close();
  await server?.close();
  await nats?.stop();
  await conns?.close();
});

/** Retries `check` (assertions included) every 50 ms until it passes or 30 s are up. */
async function eventually<T>(check: () => Promise<T> | T, limitMs = 30_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function scrape(url = server.url): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

/** The value of the sample `name{labels}` (labels in the exposition's order), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

it('counts runs, stages and outbox events, with the Temporal SDK worker metrics, on one /metrics', async () => {
  await backend.run({ task: 'example', userId: 'u', groupId: 'g' });
  await backend.run({ task: 'example', userId: 'u', groupId: 'g' });
  await expect(backend.run({ task: 'always-fails', userId: 'u', groupId: 'g', input: { key: 'm' } })).rejects.toThrow();

  // Outcomes reach the sinks just after the workflow task completes, events the broker soon after.
  const text = await eventually(async () => {
    const t = await scrape();
    expect(sample(t, 'task_failure_total{task_name="always-fails"}')).toBe(1);
    expect(sample(t, 'cascadence_outbox_depth')).toBe(0);
    return t;
  });

  expect(text).toContain('# TYPE task_latency_seconds histogram');
  expect(sample(text, 'task_success_total{task_name="example"}')).toBe(2);
  expect(sample(text, 'task_failure_total{task_name="example"}')).toBeUndefined();
  expect(sample(text, 'task_success_total{task_name="always-fails"}')).toBeUndefined();
  expect(sample(text, 'task_latency_seconds_count{task_name="example"}')).toBe(2);
  expect(sample(text, 'task_latency_seconds_count{task_name="always-fails"}')).toBe(1);
  const les = [...text.matchAll(/^task_latency_seconds_bucket\{le="([^"]+)",task_name="example"\}/gm)].map((m) => m[1]);
  expect(les).toEqual([
    '0.005',
    '0.01',
    '0.025',
    '0.05',
    '0.075',
    '0.1',
    '0.25',
    '0.5',
    '0.75',
    '1',
    '2.5',
    '5',
    '7.5',
    '10',
    '+Inf',
  ]);

  // Every stage of the example, once per run; always-fails' run stage twice (two attempts), both failed.
  for (const stage of ['intake', 'research', 'plan', 'run', 'verify'])
    expect(sample(text, `cascadence_stage_latency_seconds_count{task_name="example",stage="${stage}"}`)).toBe(2);
  expect(sample(text, 'cascadence_stage_latency_seconds_count{task_name="always-fails",stage="run"}')).toBe(2);
  expect(sample(text, 'cascadence_stage_failure_total{task_name="always-fails",stage="run"}')).toBe(2);
  expect(sample(text, 'cascadence_stage_failure_total{task_name="example",stage="run"}')).toBeUndefined();

  // The outbox: events acknowledged by JetStream, timed per batch, none dropped.
  expect(sample(text, 'cascadence_outbox_published_total')).toBeGreaterThanOrEqual(transport.published);
  expect(transport.published).toBeGreaterThan(0);
  expect(sample(text, 'cascadence_outbox_publish_latency_seconds_count')).toBeGreaterThan(0);
  expect(sample(text, 'cascadence_outbox_dropped_total')).toBe(0);

  // The SDK's own metrics, as the SDK names them, on the same endpoint.
  expect(text).toMatch(/^# TYPE temporal_workflow_task_execution_latency histogram$/m);
  expect(text).toMatch(/^temporal_activity_execution_latency_count\{.*activity_type="run".*\} [1-9]/m);
  expect(text).toMatch(/^temporal_worker_task_slots_available\{.*\} \d+/m);
});

it('answers 404 off /metrics', async () => {
  const res = await fetch(server.url.replace('/metrics', '/other'));
  expect(res.status).toBe(404);
});

it('`task worker --metrics-port 0` serves /metrics (its URL on stderr, nothing on stdout) until stopped', async () => {
  const child = spawn(
    process.execPath,
    [BIN, 'worker', '--metrics-port', '0', '--address', serverAddress(), '--task-queue', uniqueQueue('metrics-cli')],
    {
      env: { ...process.env, CASCADENCE_CONFIG: '', CASCADENCE_EVENTS: '', CASCADENCE_METRICS_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const url = await eventually(() => {
      const m = /^metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(stderr);
      expect(stderr).toMatch(/^metrics: /m);
      expect(stdout).toContain('worker polling task queue');
      return (m as RegExpExecArray)[1] as string;
    });
    expect(stdout).not.toContain('metrics:');
    const text = await eventually(async () => {
      const t = await scrape(url);
      expect(t).toMatch(/^temporal_worker_task_slots_available\{/m);
      return t;
    });
    expect(text).toContain('# TYPE task_success_total counter');
    expect(text).toContain('# TYPE cascadence_stage_latency_seconds histogram');
    expect(text).toContain('# TYPE cascadence_outbox_depth gauge');
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(stdout).toContain('worker stopped');
});
