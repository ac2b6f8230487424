/**
 * The `base` backend: the same pipeline algorithm, run in process with direct calls. Audit
 * records go to an audit store (in memory, or JSON Lines on disk) and to the event bus.
 */
import { randomUUID } from 'node:crypto';
import {
  CascadenceError,
  NON_RETRYABLE_CODES,
  PipelineRun,
  STAGE_DEFAULTS,
  durationMs,
  isCascadenceError,
  type AuditRecord,
  type ContextDelivery,
  type PipelinePorts,
  type PipelineRequest,
  type PipelineStatus,
  type SubtaskRef,
} from '../core';
import { createStageRunner, type StageRunner } from '../activities/stage-runner';
import { CircuitBreakers } from '../activities/circuit-breaker';
import { MemoryAuditStore, type AuditStore } from '../events/audit-store';
import type { EventBus } from '../events/bus';
import {
  assertKnown,
  assertRunnable,
  listTasks,
  OPERATIONS,
  setTaskFlag,
  toPipelineRequest,
  unsupported,
  type Backend,
  type Operation,
  type PauseTarget,
  type RunOutcome,
  type RunRequest,
  type RunSelector,
  type ScheduleInfo,
  type ScheduleRequest,
  type TaskCatalogue,
  type TaskInfo,
} from './backend';
import { hashId } from '../events/hash';

/** Options of the base backend. */
export interface BaseBackendOptions extends TaskCatalogue {
  hashSecret: string;
  /** Where audit records are kept (default: in memory). */
  audit?: AuditStore;
  /** Where audit records are published. */
  events?: EventBus;
  /** Circuit breakers (default: a fresh set for this backend). */
  breakers?: CircuitBreakers;
}

/** Sleeps `ms`, waking early when the run is cancelled. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Thrown into a stage boundary when an in-process run is cancelled. */
function cancelled(runId: string): CascadenceError {
  return new CascadenceError('CANCELLED', `run ${runId} was cancelled`);
}

/** Ports that run a pipeline in this process; `signal` cancels the run and its subtasks. */
export function inProcessPorts(
  runner: StageRunner,
  record: ((record: AuditRecord) => void) | undefined,
  signal: AbortSignal = new AbortController().signal,
): PipelinePorts {
  const waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  const ports: PipelinePorts = {
    describe: async (task) => runner.describe(task),
    async runStep(call, desc) {
      // The task's retry policy, as Temporal applies it to stage activities.
      const retry = desc.options.retry ?? {};
      const maxAttempts = retry.maximumAttempts ?? STAGE_DEFAULTS.maximumAttempts;
      const nonRetryable = new Set([...NON_RETRYABLE_CODES, ...(retry.nonRetryableErrorTypes ?? [])]);
      let delay =
        retry.initialInterval === undefined ? STAGE_DEFAULTS.initialIntervalMs : durationMs(retry.initialInterval);
      const maxDelay = retry.maximumInterval === undefined ? delay * 100 : durationMs(retry.maximumInterval);
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) throw cancelled(call.runId);
        try {
          return await runner.runStep(call, { attempt, signal, heartbeat: () => undefined });
        } catch (err) {
          const type = isCascadenceError(err) ? err.code : (err as Error)?.name;
          if (attempt >= maxAttempts && maxAttempts > 0) throw err;
          if (nonRetryable.has(type) || signal.aborted) throw err;
          await abortableSleep(delay, signal);
          delay = Math.min(delay * (retry.backoffCoefficient ?? STAGE_DEFAULTS.backoffCoefficient), maxDelay);
        }
      }
    },
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
          const result = await new PipelineRun(child, inProcessPorts(runner, record, signal)).execute();
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
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        signal.addEventListener('abort', () => reject(cancelled('')), { once: true });
      });
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
    isCancellation: () => signal.aborted,
    ...(record ? { record } : {}),
  };
  return ports;
}

/** A run started in this process. */
interface LiveRun {
  run: PipelineRun;
  task: string;
  groupHash: string;
  controller: AbortController;
  startedAt: number;
}

/** The base backend. */
export class BaseBackend implements Backend {
  readonly name: string = 'base';
  /** Everything but `history` and `schedule`: runs live in this process, not in a server. */
  readonly supports: ReadonlySet<Operation> = new Set<Operation>(
    OPERATIONS.filter((op) => op !== 'history' && op !== 'schedule'),
  );
  private readonly runner: StageRunner;
  private readonly store: AuditStore;
  private readonly record: (record: AuditRecord) => void;
  private readonly live = new Map<string, LiveRun>();

  constructor(private readonly options: BaseBackendOptions) {
    this.runner = createStageRunner({
      registry: options.registry,
      breakers: options.breakers ?? new CircuitBreakers(),
    });
    this.store = options.audit ?? new MemoryAuditStore();
    const { events } = options;
    this.record = events
      ? (r) => {
          this.store.append(r);
          events.publish({ type: 'audit', record: r });
        }
      : (r) => this.store.append(r);
  }

  async list(): Promise<TaskInfo[]> {
    return listTasks(this.options);
  }

  /**
   * Creates a run without starting it, so callers can pause it or attach context first.
   * @throws CascadenceError UNKNOWN_TASK, TASK_DISABLED, TASK_PAUSED, USAGE.
   */
  prepare(request: RunRequest, controller = new AbortController()): PipelineRun {
    assertRunnable(this.options, request.task);
    const req = toPipelineRequest(request, request.runId ?? randomUUID(), this.options.hashSecret);
    return new PipelineRun(req, inProcessPorts(this.runner, this.record, controller.signal));
  }

  /**
   * Starts a run in the background; `done` settles with its result (a cancelled run rejects
   * with CANCELLED). While it runs, pause, resume, status, signal and cancel reach it by run id.
   */
  startRun(request: RunRequest): { runId: string; run: PipelineRun; done: Promise<unknown> } {
    const controller = new AbortController();
    const run = this.prepare(request, controller);
    const runId = run.snapshot().runId;
    const done = run
      .execute()
      .catch((err: unknown) => {
        throw controller.signal.aborted ? cancelled(runId) : err;
      })
      .finally(() => this.live.delete(runId));
    done.catch(() => undefined); // the caller observes `done`; never an unhandled rejection
    const groupHash = hashId(request.groupId, this.options.hashSecret);
    this.live.set(runId, { run, task: request.task, groupHash, controller, startedAt: Date.now() });
    return { runId, run, done };
  }

  async start(request: RunRequest): Promise<string> {
    return this.startRun(request).runId;
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const run = this.prepare(request);
    return { runId: run.snapshot().runId, result: await run.execute() };
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
    const groupHash = target.groupId ? hashId(target.groupId, this.options.hashSecret) : undefined;
    return [...this.live.values()]
      .filter((l) => l.task === task && (groupHash === undefined || l.groupHash === groupHash))
      .sort((a, b) => b.startedAt - a.startedAt)[0];
  }

  async pause(task: string, target: RunSelector = {}): Promise<PauseTarget> {
    assertKnown(this.options, task);
    const live = this.select(task, target);
    if (!live) return { target: 'task', changed: await setTaskFlag(this.options, task, { paused: true }) };
    return { target: 'run', runId: live.run.snapshot().runId, changed: live.run.pause() };
  }

  async resume(task: string, target: RunSelector = {}): Promise<PauseTarget> {
    assertKnown(this.options, task);
    if (!target.runId && this.options.state.get(task).paused) {
      return { target: 'task', changed: await setTaskFlag(this.options, task, { paused: false }) };
    }
    const live = this.select(task, target);
    if (!live) return { target: 'task', changed: false };
    return { target: 'run', runId: live.run.snapshot().runId, changed: live.run.resume() };
  }

  async status(runId: string): Promise<PipelineStatus> {
    return this.liveRun(runId).run.snapshot();
  }

  async cancel(runId: string): Promise<void> {
    this.liveRun(runId).controller.abort();
  }

  async signal(runId: string, payload: unknown): Promise<ContextDelivery> {
    return this.liveRun(runId).run.attachContext(payload);
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

  /** Schedules need a scheduler: the temporal backend (Temporal Schedules). */
  async schedule(_request: ScheduleRequest): Promise<ScheduleInfo> {
    throw unsupported(this.name, 'schedule', 'use the temporal or cron backend');
  }

  async unschedule(_task: string): Promise<void> {
    throw unsupported(this.name, 'schedule', 'use the temporal or cron backend');
  }

  async schedules(): Promise<ScheduleInfo[]> {
    throw unsupported(this.name, 'schedule', 'use the temporal or cron backend');
  }

  async scheduleAction(_task: string, _action: 'pause' | 'resume' | 'trigger'): Promise<void> {
    throw unsupported(this.name, 'schedule', 'use the temporal or cron backend');
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.options.events?.close?.();
  }
}
