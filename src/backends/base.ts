/**
 * The `base` backend: the same pipeline algorithm, run in process with direct calls and
 * in-memory state. No server needed.
 */
import { randomUUID } from 'node:crypto';
import { PipelineRun, type AuditRecord, type PipelinePorts, type PipelineRequest, type SubtaskRef } from '../core';
import { createStageRunner, DIRECT_ENVIRONMENT, type StageRunner } from '../activities/stage-runner';
import type { TaskRegistry } from '../plugins/registry';
import { unknownTask } from '../plugins/registry';
import { CircuitBreakers } from '../activities/circuit-breaker';
import {
  listTasks,
  toPipelineRequest,
  type Backend,
  type Operation,
  type RunOutcome,
  type RunRequest,
  type TaskInfo,
} from './backend';

/** Options of the base backend. */
export interface BaseBackendOptions {
  registry: TaskRegistry;
  hashSecret: string;
  /** Receives every audit record (default: kept in memory, readable with `audit`). */
  onRecord?: (record: AuditRecord) => void;
}

/** Ports that run a pipeline in this process. */
export function inProcessPorts(runner: StageRunner, onRecord?: (record: AuditRecord) => void): PipelinePorts {
  const waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  const ports: PipelinePorts = {
    describe: async (task) => runner.describe(task),
    runStep: (call) => runner.runStep(call, DIRECT_ENVIRONMENT),
    async runSubtasks(tasks: SubtaskRef[], mode, parent, onSettled) {
      const runChild = async (ref: SubtaskRef, index: number): Promise<unknown> => {
        const child: PipelineRequest = {
          task: ref.task,
          runId: parent.runId,
          userHash: parent.userHash,
          groupHash: parent.groupHash,
          input: ref.input,
          depth: (parent.depth ?? 0) + 1,
          ...(parent.maxDepth === undefined ? {} : { maxDepth: parent.maxDepth }),
        };
        try {
          const result = await new PipelineRun(child, inProcessPorts(runner, onRecord)).execute();
          onSettled(index, true);
          return result;
        } catch (err) {
          onSettled(index, false);
          throw err;
        }
      };
      if (mode === 'parallel') return Promise.all(tasks.map(runChild));
      const results: unknown[] = [];
      for (const [i, ref] of tasks.entries()) results.push(await runChild(ref, i));
      return results;
    },
    waitUntil(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    changed() {
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i] as (typeof waiters)[number];
        if (w.predicate()) {
          waiters.splice(i, 1);
          w.resolve();
        }
      }
    },
    now: () => Date.now(),
    ...(onRecord ? { record: onRecord } : {}),
  };
  return ports;
}

/** The base backend. */
export class BaseBackend implements Backend {
  readonly name = 'base';
  readonly supports: ReadonlySet<Operation> = new Set<Operation>(['list', 'run', 'audit']);
  private readonly runner: StageRunner;
  private readonly records: AuditRecord[] = [];
  private readonly ports: PipelinePorts;

  constructor(private readonly options: BaseBackendOptions) {
    this.runner = createStageRunner({ registry: options.registry, breakers: new CircuitBreakers() });
    this.ports = inProcessPorts(this.runner, options.onRecord ?? ((r) => this.records.push(r)));
  }

  async list(): Promise<TaskInfo[]> {
    return listTasks(this.options.registry);
  }

  /** Creates a run without starting it (so callers can pause it or attach context first). */
  prepare(request: RunRequest): PipelineRun {
    const { registry, hashSecret } = this.options;
    if (!registry.has(request.task)) throw unknownTask(request.task, registry.names());
    return new PipelineRun(toPipelineRequest(request, request.runId ?? randomUUID(), hashSecret), this.ports);
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const run = this.prepare(request);
    return { runId: run.snapshot().runId, result: await run.execute() };
  }

  async audit(task: string, runId?: string): Promise<AuditRecord[]> {
    return this.records.filter((r) => r.task === task && (runId === undefined || r.run_id === runId));
  }

  async close(): Promise<void> {}
}
