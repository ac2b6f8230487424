/**
 * Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, a `task run` through the CLI (a client process)
 * and a worker (this process) export spans over OTLP/HTTP to a local receiver; they form one
 * trace: the CLI's start, the workflow, each stage activity, and the subtasks' workflows.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWorker } from '../../src/worker/create-worker';
import { processTracing, type Tracing } from '../../src/tracing';
import { runCli } from '../helpers/cli';
import { createTestRegistry } from '../helpers/tasks';
import { connect, serverAddress, uniqueQueue, type TestConnections } from '../helpers/temporal';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

/** A minimal OTLP/HTTP trace receiver (JSON encoding, what the OTLP HTTP exporter sends). */
function otlpReceiver(spans: Span[]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const data = JSON.parse(body) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: Array<Omit<Span, 'service'>> }>;
          }>;
        };
        for (const rs of data.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let conns: TestConnections;
let receiver: Server;
let tracing: Tracing;
const spans: Span[] = [];

beforeAll(async () => {
  receiver = await otlpReceiver(spans);
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  process.env.OTEL_SERVICE_NAME = 'cascadence-test-worker';
  tracing = (await processTracing('worker')) as Tracing;
  conns = await connect();
});
afterAll(async () => {
  await tracing?.shutdown();
  await conns?.close();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_SERVICE_NAME;
  await new Promise((r) => receiver?.close(r));
});

test('one trace spans the CLI start, the workflow, each stage and the subtasks', async () => {
  const taskQueue = uniqueQueue('tracing');
  const worker = await createWorker({
    connection: conns.native,
    taskQueue,
    registry: createTestRegistry(),
    tracing,
    shutdownGraceTime: '1s',
  });
  // `sequential` runs three `child` subtasks as child workflows, then its own run and verify.
  const cli = await worker.runUntil(async () => {
    const result = await runCli(
      [
        'run',
        'example',
        '--json',
        '--address',
        serverAddress(),
        '--task-queue',
        taskQueue,
        '--user-id',
        'u',
        '--group-id',
        'g',
      ],
      { OTEL_SERVICE_NAME: 'cascadence-test-cli', CASCADENCE_TASK_MODULES: '' },
    );
    await tracing.flush();
    return result;
  });
  expect(cli.stderr).toBe('');
  expect(cli.code).toBe(0);
  const deadline = Date.now() + 15_000;
  const start = (): Span | undefined => spans.find((s) => s.name === 'StartWorkflow:pipelineWorkflow');
  while (!start() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const root = start();
  expect(root?.service).toBe('cascadence-test-cli');
  const trace = spans.filter((s) => s.traceId === root?.traceId);
  const names = trace.map((s) => s.name);
  expect(names).toContain('RunWorkflow:pipelineWorkflow');
  for (const stage of ['intake', 'research', 'plan', 'run', 'verify']) {
    expect(names).toContain(`StartActivity:${stage}`);
    expect(names).toContain(`RunActivity:${stage}`);
  }
  // Worker spans hang under the CLI's: every span but the root has its parent in the trace.
  const ids = new Set(trace.map((s) => s.spanId));
  for (const s of trace) if (s !== root) expect(ids.has(s.parentSpanId ?? '')).toBe(true);
  expect(new Set(trace.map((s) => s.service))).toEqual(new Set(['cascadence-test-cli', 'cascadence-test-worker']));
});

test('subtasks are child workflows in the same trace', async () => {
  const taskQueue = uniqueQueue('tracing-sub');
  const registry = createTestRegistry();
  const worker = await createWorker({
    connection: conns.native,
    taskQueue,
    registry,
    tracing,
    shutdownGraceTime: '1s',
  });
  const { TemporalBackend } = await import('../../src/backends/temporal');
  const backend = await TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue,
    hashSecret: 's',
    registry,
  });
  try {
    const before = spans.length;
    await worker.runUntil(async () => {
      await backend.run({ task: 'sequential', input: { key: 'trace' }, userId: 'u', groupId: 'g' });
      await tracing.flush();
    });
    const mine = spans.slice(before);
    const root = mine.find((s) => s.name === 'StartWorkflow:pipelineWorkflow');
    const trace = mine.filter((s) => s.traceId === root?.traceId);
    expect(trace.filter((s) => s.name === 'StartChildWorkflow:pipelineWorkflow')).toHaveLength(3);
    expect(trace.filter((s) => s.name === 'RunWorkflow:pipelineWorkflow').length).toBe(4);
    // Each child's stages are in the trace too (child has a run stage).
    expect(trace.filter((s) => s.name === 'RunActivity:run').length).toBe(4);
  } finally {
    await backend.close();
  }
});
