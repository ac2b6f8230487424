/**
 * The `base` backend: the same pipeline algorithm, run in process with direct calls. Audit
 * records go to an audit store (in memory, or JSON Lines on disk) and to the event bus.
 */
import { randomUUID } from 'node:crypto';
import {
  CascadenceError,
  DagRun,
  PipelineRun,
  validateDag,
  type AuditRecord,
  type ContextDelivery,
  type DagPorts,
  type DagResult,
  type PipelineRequest,
  type PipelineStatus,
  type RecordSource,
} from '../core';
import { createStageRunner, type StageRunner } from '../activities/stage-runner';
import { cancelled, createWaiters, inProcessPorts, type RunSinks } from '../runtime/in-process';
import { CircuitBreakers } from '../activities/circuit-breaker';
import { hookedRunner } from '../activities/hooks';
import { MemoryAuditStore, type AuditStore } from '../events/audit-store';
import type { EventBus } from '../events/bus';
import {
  assertKnown,
  listTasks,
  runWithPrerequisites,
  setTaskFlag,
  toPipelineRequest,
  adminRecord,
  selectorGroupHash,
  type ActionLog,
  type AdminActionRequest,
  type Backend,
  type DagRunner,
  type RunOperations,
  type DagRunRequest,
  type PauseTarget,
  type RunOutcome,
  type RunRequest,
  type RunSelector,
  type TaskCatalogue,
  type TaskInfo,
} from './backend';
import { hashId } from '../events/hash';
import type { StageHooks } from '../core/task';
import type { TaskStateStore } from '../runtime/task-state';

/** Options of the base backend. */
export interface BaseBackendOptions extends TaskCatalogue {
  /** The local task-state file: in-process runs check it synchronously. */
  state: TaskStateStore;
  hashSecret: string;
  /** Where audit records are kept (default: in memory). */
  audit?: AuditStore;
  /** Where audit records are published. */
  events?: EventBus;
  /** Circuit breakers (default: a fresh set for this backend). */
  breakers?: CircuitBreakers;
  /** Hooks around every stage (each task's own hooks run after them). */
  hooks?: StageHooks[];
}

export { inProcessPorts } from '../runtime/in-process';

/** A run started in this process. */
interface LiveRun {
  run: PipelineRun;
  task: string;
  groupHash: string;
  controller: AbortController;
  startedAt: number;
}

/** The base backend. */
/** Runs, run operations and DAGs in this process; no schedules (`cron` adds them), no histories. */
export class BaseBackend implements Backend, RunOperations, DagRunner, ActionLog {
  readonly name: string = 'base';
  private readonly runner: StageRunner;
  private readonly store: AuditStore;
  private readonly record: (record: AuditRecord, source?: RecordSource) => void;
  /** Records and outcomes of in-process runs. */
  private readonly sinks: RunSinks;
  private readonly live = new Map<string, LiveRun>();

  constructor(private readonly options: BaseBackendOptions) {
    this.runner = hookedRunner(
      createStageRunner({ registry: options.registry, breakers: options.breakers ?? new CircuitBreakers() }),
      options.registry,
      options.hooks,
    );
    this.store = options.audit ?? new MemoryAuditStore();
    const { events } = options;
    this.record = events
      ? (r, source) => {
          this.store.append(r);
          events.publish({ type: 'audit', record: r, ...(source ? { source } : {}) });
        }
      : (r) => this.store.append(r);
    this.sinks = {
      record: this.record,
      ...(events ? { ended: (outcome, source) => events.publish({ type: 'run', outcome, source }) } : {}),
    };
  }

  async list(): Promise<TaskInfo[]> {
    return listTasks(this.options);
  }

  /**
   * Creates a run without starting it, so callers can pause it or attach context first.
   * @throws CascadenceError UNKNOWN_TASK, TASK_DISABLED, TASK_PAUSED, USAGE.
   */
  prepare(request: RunRequest, controller = new AbortController()): PipelineRun {
    assertKnown(this.options, request.task);
    this.options.state.assertRunnable(request.task);
    const req = toPipelineRequest(request, request.runId ?? randomUUID(), this.options.hashSecret);
    return new PipelineRun(req, inProcessPorts(this.runner, this.sinks, controller.signal));
  }

  /**
   * Starts a run in the background; `done` settles with its result (a cancelled run rejects
   * with CANCELLED). While it runs, pause, resume, status, signal and cancel reach it by run id.
   * @throws CascadenceError RUN_EXISTS when the run id given is already live here, and what `prepare` throws.
   */
  startRun(request: RunRequest): { runId: string; run: PipelineRun; done: Promise<unknown> } {
    if (request.runId !== undefined && this.live.has(request.runId)) {
      throw new CascadenceError('RUN_EXISTS', `run ${request.runId} is already running in this process`);
    }
    const controller = new AbortController();
    const run = this.prepare(request, controller);
    const runId = run.runId;
    const done = run
      .execute()
      .catch((err: unknown) => {
        throw controller.signal.aborted ? cancelled(runId) : err;
      })
      .finally(() => this.live.delete(runId));
    done.catch(() => undefined); // the caller observes `done`; never an unhandled rejection
    const groupHash = request.groupHash ?? hashId(request.groupId, this.options.hashSecret);
    this.live.set(runId, { run, task: request.task, groupHash, controller, startedAt: Date.now() });
    return { runId, run, done };
  }

  async start(request: RunRequest): Promise<string> {
    return this.startRun(request).runId;
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    return runWithPrerequisites(this.options, request, async (one) => {
      const run = this.prepare(one);
      return { runId: run.runId, result: await run.execute() };
    });
  }

  private liveRun(runId: string): LiveRun {
    const live = this.live.get(runId);
    if (!live) {
      throw new CascadenceError('UNKNOWN_RUN', `no run ${runId} is running in this process`, {
        hint: 'the base backend only knows runs started by the same process; use the temporal backend to operate runs from elsewhere',
      });
    }
    return live;
  }

  private select(task: string, target: RunSelector): LiveRun | undefined {
    if (target.runId) return this.liveRun(target.runId);
    const groupHash = selectorGroupHash(target, this.options.hashSecret);
    return [...this.live.values()]
      .filter((l) => l.task === task && (groupHash === undefined || l.groupHash === groupHash))
      .sort((a, b) => b.startedAt - a.startedAt)[0];
  }

  async pause(task: string, target: RunSelector = {}): Promise<PauseTarget> {
    assertKnown(this.options, task);
    const live = this.select(task, target);
    if (!live) return { target: 'task', changed: await setTaskFlag(this.options, task, { paused: true }) };
    return { target: 'run', runId: live.run.runId, changed: live.run.pause() };
  }

  async resume(task: string, target: RunSelector = {}): Promise<PauseTarget> {
    assertKnown(this.options, task);
    if (!target.runId && this.options.state.get(task).paused) {
      return { target: 'task', changed: await setTaskFlag(this.options, task, { paused: false }) };
    }
    const live = this.select(task, target);
    if (!live) return { target: 'task', changed: false };
    return { target: 'run', runId: live.run.runId, changed: live.run.resume() };
  }

  async status(runId: string): Promise<PipelineStatus> {
    return this.liveRun(runId).run.snapshot();
  }

  async groupOf(runId: string): Promise<string | undefined> {
    return this.liveRun(runId).groupHash;
  }

  async cancel(runId: string): Promise<void> {
    this.liveRun(runId).controller.abort();
  }

  async signal(runId: string, payload: unknown): Promise<ContextDelivery> {
    return this.liveRun(runId).run.attachContext(payload);
  }

  /** Admin actions go to the same store and bus as every other record. */
  async recordAction(request: AdminActionRequest): Promise<void> {
    // Published too, as an audit_record of its own (no run holds it: a fresh id names it).
    this.record(adminRecord(request, this.options.hashSecret), { workflowId: `admin:${randomUUID()}`, seq: 0 });
  }

  async audit(task: string, runId?: string): Promise<AuditRecord[]> {
    return this.store.read(task, runId);
  }

  async disable(task: string): Promise<void> {
    await setTaskFlag(this.options, task, { disabled: true });
  }

  async enable(task: string): Promise<void> {
    await setTaskFlag(this.options, task, { disabled: false });
  }

  /** Runs a DAG in this process: the same DagRun algorithm, each node a pipeline run here. */
  async runDag(request: DagRunRequest): Promise<DagResult> {
    return this.prepareDag(request).run.execute();
  }

  /**
   * Starts a DAG run in this process without waiting; it runs on in the background (its records
   * go to the audit store and the event bus as `runDag`'s do).
   * @throws CascadenceError VALIDATION (before anything starts).
   */
  async startDag(request: DagRunRequest): Promise<string> {
    const { runId, run } = this.prepareDag(request);
    run.execute().catch(() => undefined); // nobody awaits it: its outcome is in its records
    return runId;
  }

  /** Validates a DAG and builds its run, each node a pipeline run here. @throws CascadenceError VALIDATION. */
  private prepareDag(request: DagRunRequest): { runId: string; run: DagRun } {
    const valid = validateDag(request.definition, { knownTasks: new Set(this.options.registry.names()) });
    const runId = request.runId ?? randomUUID();
    const ids = toPipelineRequest({ task: request.definition.name, ...request }, runId, this.options.hashSecret);
    const ports: DagPorts = {
      startNode: (node, upstream) => {
        const controller = new AbortController();
        const req: PipelineRequest = {
          task: node.task,
          runId,
          userHash: ids.userHash,
          groupHash: ids.groupHash,
          ...(node.input === undefined ? {} : { input: node.input }),
          ...(Object.keys(upstream).length > 0 ? { upstream } : {}),
          ...(node.retry || node.timeout
            ? {
                options: {
                  ...(node.retry ? { retry: node.retry } : {}),
                  ...(node.timeout ? { startToCloseTimeout: node.timeout } : {}),
                },
              }
            : {}),
        };
        const result = new PipelineRun(req, inProcessPorts(this.runner, this.sinks, controller.signal))
          .execute()
          .catch((err: unknown) => {
            throw controller.signal.aborted ? cancelled(runId) : err;
          });
        return { result, cancel: () => controller.abort() };
      },
      ...createWaiters(),
      now: () => Date.now(),
      isCancellation: (err) => (err as { code?: string })?.code === 'CANCELLED',
    };
    return { runId, run: new DagRun(valid, runId, ports) };
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.options.events?.close?.();
  }
}
