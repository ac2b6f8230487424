/**
 * The two runtimes the pipeline conformance suite runs against, behind one small interface:
 * `base` (in process) and `temporal` (the suite's dev server, with an in-process worker).
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { AuditRecord, ContextDelivery, PipelineStatus } from '../../src/core';
import { BaseBackend } from '../../src/backends/base';
import { TaskStateStore } from '../../src/runtime/task-state';
import { TemporalBackend, fromWorkflowFailure } from '../../src/backends/temporal';
import { MemoryAuditStore } from '../../src/events/audit-store';
import { attachContextUpdate, auditQuery, pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/messages';
import { createWorker } from '../../src/worker/create-worker';
import { createTestRegistry, withLocalStages } from '../helpers/tasks';
import { connect, serverAddress, uniqueQueue, type TestConnections } from '../helpers/temporal';

export const HASH_SECRET = 'conformance-secret';

/** A started run, operated the same way on every runtime. */
export interface RunHandle {
  runId: string;
  result(): Promise<unknown>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  attach(payload: unknown): Promise<ContextDelivery>;
  status(): Promise<PipelineStatus>;
  audit(): Promise<AuditRecord[]>;
  cancel(): Promise<void>;
}

export interface Runtime {
  name: string;
  start(task: string, input?: unknown, ids?: { userId: string; groupId: string }): Promise<RunHandle>;
  close(): Promise<void>;
}

const DEFAULT_IDS = { userId: 'conformance-user', groupId: 'conformance-group' };
const stateStore = (): TaskStateStore => new TaskStateStore(join(tmpdir(), `cascadence-state-${randomUUID()}.json`));

/** The in-process runtime. */
export async function baseRuntime(): Promise<Runtime> {
  const backend = new BaseBackend({
    registry: createTestRegistry(),
    state: stateStore(),
    hashSecret: HASH_SECRET,
    audit: new MemoryAuditStore(),
  });
  return {
    name: 'base',
    async start(task, input, ids = DEFAULT_IDS) {
      const { runId, run, done } = backend.startRun({ task, input, ...ids });
      return {
        runId,
        result: () => done,
        pause: async () => void run.pause(),
        resume: async () => void run.resume(),
        attach: async (payload) => run.attachContext(payload),
        status: async () => run.snapshot(),
        audit: () => backend.audit(task, runId),
        cancel: () => backend.cancel(runId),
      };
    },
    close: () => backend.close(),
  };
}

/** Variants of the Temporal runtime. */
export interface TemporalRuntimeOptions {
  /** Every test task's stages run as local activities (`stageMode: 'local'`). */
  localStages?: boolean;
  /** The backend shares the worker's connection and starts runs eagerly. */
  eagerStart?: boolean;
}

/** The Temporal runtime: a worker in this process on a fresh task queue of the suite's dev server. */
export async function temporalRuntime(options: TemporalRuntimeOptions = {}): Promise<Runtime> {
  const conns: TestConnections = await connect();
  const registry = options.localStages ? withLocalStages(createTestRegistry()) : createTestRegistry();
  const taskQueue = uniqueQueue('conformance');
  const worker: Worker = await createWorker({ connection: conns.native, taskQueue, registry, shutdownGraceTime: '1s' });
  const running = worker.run();
  const backend = await TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue,
    hashSecret: HASH_SECRET,
    registry,
    ...(options.eagerStart ? { workerConnection: conns.native } : {}),
  });
  const mapErrors = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      throw fromWorkflowFailure(err);
    }
  };
  return {
    name: options.localStages ? 'temporal (local stages)' : 'temporal',
    async start(task, input, ids = DEFAULT_IDS) {
      const handle: WorkflowHandle = await backend.startHandle({ task, input, ...ids });
      const runId = handle.workflowId.slice(task.length + 1);
      return {
        runId,
        result: () => mapErrors(handle.result()),
        pause: () => handle.signal(pauseSignal),
        resume: () => handle.signal(resumeSignal),
        attach: (payload) => mapErrors(handle.executeUpdate(attachContextUpdate, { args: [payload as never] })),
        status: () => handle.query(statusQuery),
        audit: () => handle.query(auditQuery),
        cancel: async () => void (await handle.cancel()),
      };
    },
    async close() {
      worker.shutdown();
      await running;
      await backend.close();
      await conns.close();
    },
  };
}
