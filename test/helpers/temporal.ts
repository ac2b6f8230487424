/**
 * Helpers for integration tests against the suite's dev server.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createWorker, type WorkerDeps } from '../../src/worker/create-worker';
import { TemporalBackend } from '../../src/backends/temporal';
import type { TaskRegistry } from '../../src/plugins/registry';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { installRuntime } from '../../src/cli/worker-process';

/** Address of the dev server started by the integration global setup. */
export function serverAddress(): string {
  const address = process.env.CASCADENCE_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('CASCADENCE_TEST_TEMPORAL_ADDRESS is not set: run through the jest integration project');
  return address;
}

/** A task queue no other test uses. */
export function uniqueQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Client and worker connections to the test server; close them in afterAll. */
export interface TestConnections {
  client: Client;
  native: NativeConnection;
  close(): Promise<void>;
}

export async function connect(): Promise<TestConnections> {
  installRuntime();
  const address = serverAddress();
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    native,
    async close() {
      await connection.close();
      await native.close();
    },
  };
}

/** Runs `fn` while a worker for `registry` polls `taskQueue`; the worker is always shut down. */
export async function withWorker<T>(
  conns: TestConnections,
  registry: TaskRegistry,
  taskQueue: string,
  fn: (worker: Worker) => Promise<T>,
): Promise<T> {
  const worker = await createWorker({ connection: conns.native, taskQueue, registry, shutdownGraceTime: '2s' });
  return worker.runUntil(() => fn(worker));
}

/** A temporal backend on the suite's server for `taskQueue`, with task flags in a fresh temp file. */
export async function testBackend(
  registry: TaskRegistry,
  taskQueue: string,
  hashSecret = 'test-secret',
): Promise<TemporalBackend> {
  return TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue,
    hashSecret,
    registry,
  });
}

/** A worker running in the background on a fresh task queue, and a backend for that queue; `close()` stops both. */
export async function startTestWorker(
  conns: TestConnections,
  registry: TaskRegistry,
  options: {
    prefix?: string;
    hashSecret?: string;
    calendar?: WorkerDeps['calendar'];
    /** Where the worker publishes its runs' events. */
    events?: WorkerDeps['events'];
  } = {},
): Promise<{ backend: TemporalBackend; taskQueue: string; close(): Promise<void> }> {
  const taskQueue = uniqueQueue(options.prefix);
  const worker = await createWorker({
    connection: conns.native,
    taskQueue,
    registry,
    shutdownGraceTime: '1s',
    ...(options.calendar ? { calendar: options.calendar } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  const running = worker.run();
  const backend = await testBackend(registry, taskQueue, options.hashSecret);
  return {
    backend,
    taskQueue,
    async close() {
      worker.shutdown();
      await running;
      await backend.close();
    },
  };
}

/**
 * A client backend on the suite's server for `taskQueue`, knowing the built-in tasks and those of
 * `modules` (what the workers that tests spawn load through CASCADENCE_TASK_MODULES); no hash secret.
 */
export function moduleBackend(taskQueue: string, modules: readonly string[]): Promise<TemporalBackend> {
  return TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue,
    hashSecret: '',
    registry: loadTaskModules(createDefaultRegistry(), [...modules]),
  });
}
