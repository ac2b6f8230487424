/**
 * The pipeline run: the algorithm, written once and run by every runtime (DESIGN.md, "One algorithm,
 * several runtimes"). It talks to the outside only through {@link PipelinePorts}: the Temporal
 * workflow supplies ports built from activities, child workflows and `condition`; the `base`
 * backend supplies direct in-process calls. Workflow-safe: no I/O, no Node APIs, no clocks
 * other than `ports.now()`.
 */
import { CascadenceError, ERROR_TABLE, isErrorCode, partialOf, rootCode, rootMessage } from '../errors';
import { validateContextPayload } from '../context';
import { pipelineWorkflowId } from '../ids';
import { normalisePlan, preview } from '../plan';
import {
  DEFAULT_MAX_DEPTH,
  STAGES,
  STEPS,
  type ContextPayload,
  type PipelineRequest,
  type StageName,
  type StepName,
  type SubtaskRef,
  type TaskDescription,
} from '../task';
import type { PipelinePorts } from './ports';
import { asPrecheckOutcome } from './precheck';
import type {
  AuditRecord,
  AuditStatus,
  ContextDelivery,
  PipelineStatus,
  RunOutcome,
  RunState,
  StepCall,
  StepStatus,
} from './types';

/** The reason a precheck that answered `false` (or nothing) is skipped with. */
const PRECHECK_FALSE = 'precheck returned false';

/**
 * One run of one task's pipeline: the algorithm plus the state that the status query,
 * pause/resume and context attachment read and change.
 */
export class PipelineRun {
  /** When `execute` began (for the outcome's duration). */
  private startedMs = 0;
  readonly audit: AuditRecord[] = [];
  private readonly status: PipelineStatus;
  private readonly delivered: ContextPayload[];
  private readonly queued: ContextPayload[] = [];
  private paused = false;
  /** Why the stages after a precheck failure did not run. */
  private stopReason: string | undefined;
  /** The run's workflow id, the source of its records' event ids. */
  private readonly workflowId: string;
  /** True while a step is executing (context attached then is queued). */
  private busy = false;
  private description: TaskDescription | undefined;

  constructor(
    private readonly request: PipelineRequest,
    private readonly ports: PipelinePorts,
  ) {
    this.delivered = [...(request.context ?? [])];
    this.workflowId = request.workflowId ?? pipelineWorkflowId(request.task, request.runId);
    this.status = {
      task: request.task,
      runId: request.runId,
      state: 'pending',
      paused: false,
      currentStage: null,
      steps: {},
      subtasks: { total: 0, completed: 0, failed: 0 },
      context: { delivered: this.delivered.length, queued: 0 },
    };
  }

  /** A copy of the current status (what the status query returns). */
  snapshot(): PipelineStatus {
    return JSON.parse(JSON.stringify(this.status)) as PipelineStatus;
  }

  /** Asks the run to pause at the next stage boundary; a running stage finishes first. False if already paused. */
  pause(): boolean {
    if (this.paused || this.isFinished()) return false;
    this.paused = true;
    this.status.paused = true;
    if (!this.busy && this.status.state === 'running') this.status.state = 'paused';
    this.emit(this.status.currentStage ?? 'pipeline', 'paused');
    this.ports.changed?.();
    return true;
  }

  /** Lets a paused run go on. False if it was not paused. */
  resume(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    this.status.paused = false;
    if (this.status.state === 'paused') this.status.state = 'running';
    this.emit(this.status.currentStage ?? 'pipeline', 'resumed');
    this.ports.changed?.();
    return true;
  }

  /**
   * Attaches context: delivered at once when no stage is executing (the run is idle or
   * paused at a boundary), otherwise queued and delivered at the next stage boundary.
   * @throws CascadenceError CONTEXT_REJECTED for a malformed or oversized payload, RUN_FINISHED after the run ended.
   */
  attachContext(payload: unknown): ContextDelivery {
    const valid = validateContextPayload(payload);
    if (this.isFinished()) throw new CascadenceError('RUN_FINISHED', `run ${this.request.runId} has already finished`);
    if (this.busy) {
      this.queued.push(valid);
      this.status.context.queued = this.queued.length;
      this.ports.changed?.();
      return 'queued';
    }
    this.deliver(valid, this.status.currentStage ?? 'pipeline');
    this.ports.changed?.();
    return 'delivered';
  }

  /** Context payloads delivered so far. */
  contextSoFar(): ContextPayload[] {
    return [...this.delivered];
  }

  /**
   * Runs the pipeline to its end and returns the pipeline result (verify's, else run's).
   * @throws CascadenceError PRECHECK_FAILED, STAGE_FAILED, INVALID_PLAN, PLAN_DEPTH_EXCEEDED, UNKNOWN_TASK.
   */
  async execute(): Promise<unknown> {
    const req = this.request;
    this.status.state = 'running';
    this.startedMs = this.ports.now();
    const refusal = this.ports.admit ? await this.ports.admit(req.task) : undefined;
    if (refusal !== undefined) return this.refuse(refusal);
    const described = await this.ports.describe(req.task);
    const desc = req.options ? { ...described, options: { ...described.options, ...req.options } } : described;
    this.description = desc;
    // Every stage has a line in the status, in pipeline order (precheck only when the task has one).
    for (const step of STEPS)
      if (step !== 'precheck' || desc.steps.precheck) this.status.steps[step] = { status: 'pending' };
    const call: StepCall = {
      task: req.task,
      step: 'intake',
      runId: req.runId,
      userHash: req.userHash,
      groupHash: req.groupHash,
      input: req.input,
      context: [],
      ...(req.upstream === undefined ? {} : { upstream: req.upstream }),
    };
    try {
      let result: unknown;
      for (const stage of STAGES) {
        // Only a boundary with something to do awaits (a pause, queued context): fewer promises per stage.
        if (this.paused || this.queued.length > 0) await this.boundary(stage);
        result = await this.runStage(stage, call, desc);
      }
      this.status.state = 'completed';
      this.status.currentStage = null;
      this.ended('completed');
      return result;
    } catch (err) {
      if ((this.status.state as RunState) !== 'precheck_failed') this.status.state = 'failed';
      // Every stage has records in every run: what the failure left undone is skipped, saying why.
      const why =
        this.stopReason ??
        (this.ports.isCancellation?.(err)
          ? 'run cancelled'
          : `not run: ${this.status.currentStage ?? 'a stage'} failed`);
      for (const [step, st] of Object.entries(this.status.steps) as Array<[StepName, StepStatus]>) {
        if (st.status === 'pending') this.skip(step, why);
      }
      this.ended(
        (this.status.state as RunState) === 'precheck_failed' ? 'precheck_failed' : 'failed',
        this.stopReason ?? rootMessage(err),
      );
      throw err;
    } finally {
      this.ports.changed?.();
    }
  }

  /** Ends a run that may not start: no stage runs; the run and its audit trail say why. */
  private refuse(reason: string): undefined {
    this.status.state = 'skipped';
    this.status.reason = reason;
    this.emit('pipeline', 'skipped', { reason });
    this.ports.changed?.();
    return undefined;
  }

  private async runStage(stage: StageName, call: StepCall, desc: TaskDescription): Promise<unknown> {
    switch (stage) {
      case 'intake':
        if (desc.steps.intake) await this.step('intake', call, desc);
        else this.skip('intake', 'no intake method');
        return undefined;
      case 'research':
      case 'plan':
        if (desc.steps[stage]) call[stage] = await this.step(stage, call, desc);
        else this.skip(stage, `no ${stage} method`);
        return undefined;
      case 'run':
        return this.execution(call, desc);
      case 'verify':
        if (desc.steps.verify) return this.step('verify', call, desc);
        this.skip('verify', 'no verify method');
        return call.runResult;
    }
  }

  /** The `run` stage: precheck gate, then planned subtasks, then the task's own `run`. */
  private async execution(call: StepCall, desc: TaskDescription): Promise<undefined> {
    if (desc.steps.precheck) {
      const outcome = asPrecheckOutcome(await this.step('precheck', call, desc));
      if (!outcome.ok) {
        // One record for the outcome: `started`, then `skipped` with the reason (never a success).
        this.skip('precheck', outcome.reason ?? PRECHECK_FALSE);
        this.stopReason = outcome.reason === undefined ? 'precheck failed' : `precheck failed: ${outcome.reason}`;
        this.status.state = 'precheck_failed';
        throw new CascadenceError('PRECHECK_FAILED', `${call.task}: ${this.stopReason}`);
      }
      this.emit('precheck', 'success');
    }
    const plan = normalisePlan(call.plan);
    if (plan.kind !== 'value') {
      const started = this.ports.now();
      // Without a `run` method the subtasks are the run stage: it has its records, and their results as output.
      const subtasksAreRun = !desc.steps.run;
      if (subtasksAreRun) {
        this.status.currentStage = 'run';
        this.emit('run', 'started');
      }
      call.results = await this.subtasks(plan.tasks, plan.kind, desc, started);
      if (subtasksAreRun) {
        this.finish('run', started, 'success');
        this.emit('run', 'success', { output: preview(call.results) });
      }
    }
    if (desc.steps.run) call.runResult = await this.step('run', call, desc);
    else {
      if (plan.kind === 'value') this.skip('run', 'no run method');
      call.runResult = call.results;
    }
    return undefined;
  }

  private async subtasks(
    tasks: SubtaskRef[],
    mode: 'sequence' | 'parallel',
    desc: TaskDescription,
    started: number,
  ): Promise<unknown[]> {
    const depth = this.request.depth ?? 0;
    const maxDepth = this.request.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (depth + 1 > maxDepth) {
      const err = new CascadenceError(
        'PLAN_DEPTH_EXCEEDED',
        `${desc.name}: nested plans go deeper than the limit of ${maxDepth}`,
        { hint: 'check for a task that plans itself, or raise maxDepth' },
      );
      this.fail('run', err);
      throw err;
    }
    this.status.subtasks.total += tasks.length;
    this.mark('run', { status: 'running', startedAt: this.iso(started) });
    try {
      return await this.ports.runSubtasks(tasks, mode, this.request, (_i, ok) => {
        if (ok) this.status.subtasks.completed++;
        else this.status.subtasks.failed++;
      });
    } catch (err) {
      if (this.ports.isCancellation?.(err)) throw err;
      const code = rootCode(err);
      const wrapped = new CascadenceError(
        isErrorCode(code) && ERROR_TABLE[code].keptBySubtask ? code : 'STAGE_FAILED',
        `${desc.name}: subtask failed: ${rootMessage(err)}`,
        { cause: err },
      );
      this.fail('run', wrapped);
      throw wrapped;
    }
  }

  /** Runs one step with audit records, status updates and the task's fallback. */
  private async step(step: StepName, call: StepCall, desc: TaskDescription): Promise<unknown> {
    const started = this.ports.now();
    this.status.currentStage = step;
    this.mark(step, { status: 'running', startedAt: this.iso(started) });
    this.emit(step, 'started');
    this.busy = true;
    try {
      const output = await this.ports.runStep({ ...call, step, context: [...this.delivered] }, desc);
      this.finish(step, started, 'success');
      // A precheck's record is its outcome, made by the caller once the answer is read.
      if (step !== 'precheck') this.emit(step, 'success', { output: preview(output) });
      return output;
    } catch (err) {
      const reason = rootMessage(err);
      if (this.ports.isCancellation?.(err)) {
        this.finish(step, started, 'error', 'cancelled');
        this.emit(step, 'error', { reason: 'cancelled' });
        throw err;
      }
      const fallback = desc.options.fallback;
      if (fallback && Object.prototype.hasOwnProperty.call(fallback, step)) {
        this.finish(step, started, 'success', `fallback after: ${reason}`);
        this.emit(step, 'error', { reason, output: preview(fallback[step]) });
        return fallback[step];
      }
      // What the stage had done before it failed (StageError's `partial`), kept in the record and the failure.
      const partial = partialOf(err);
      this.finish(step, started, 'error', reason);
      if (partial !== undefined) (this.status.steps[step] as StepStatus).partial = partial;
      this.emit(step, 'error', { reason, ...(partial === undefined ? {} : { output: preview(partial) }) });
      // The same code on every runtime: a plan or breaker problem keeps its code, anything else is a stage failure.
      const code = rootCode(err);
      const kept = isErrorCode(code) && ERROR_TABLE[code].keptByStage ? code : 'STAGE_FAILED';
      throw new CascadenceError(kept, `${call.task}: stage ${step} failed: ${reason}`, {
        cause: err,
        ...(partial === undefined ? {} : { data: { stage: step, partial } }),
      });
    } finally {
      this.busy = false;
    }
  }

  /** A stage boundary: wait while paused, then deliver queued context. */
  private async boundary(stage: StageName): Promise<void> {
    this.flushQueued(stage);
    if (this.paused) {
      // Paused before `stage`: records and the status name the stage the run will go on with.
      this.status.currentStage = stage;
      this.status.state = 'paused';
      await this.ports.waitUntil(() => !this.paused);
      this.status.state = 'running';
      this.flushQueued(stage);
    }
  }

  private flushQueued(stage: StageName): void {
    while (this.queued.length > 0) this.deliver(this.queued.shift() as ContextPayload, stage);
    this.status.context.queued = 0;
  }

  private deliver(payload: ContextPayload, stage: StepName | 'pipeline'): void {
    this.delivered.push(payload);
    this.status.context.delivered = this.delivered.length;
    this.emit(stage, 'context', { output: preview(payload) });
  }

  private skip(step: StepName, reason: string): void {
    this.mark(step, { status: 'skipped', reason });
    this.emit(step, 'skipped', { reason });
  }

  private fail(step: StepName, err: Error): void {
    this.mark(step, {
      ...this.status.steps[step],
      status: 'error',
      reason: err.message,
      endedAt: this.iso(this.ports.now()),
    });
    this.emit(step, 'error', { reason: err.message });
  }

  private finish(step: StepName, started: number, status: 'success' | 'error', reason?: string): void {
    const ended = this.ports.now();
    this.mark(step, {
      status,
      startedAt: this.iso(started),
      endedAt: this.iso(ended),
      durationMs: ended - started,
      ...(reason === undefined ? {} : { reason }),
    });
  }

  private mark(step: StepName, status: StepStatus): void {
    this.status.steps[step] = status;
  }

  private emit(
    stage: StepName | 'pipeline',
    status: AuditStatus,
    extra: { reason?: string; output?: string } = {},
  ): void {
    const rec: AuditRecord = {
      task: this.request.task,
      stage,
      status,
      ...(extra.reason === undefined ? {} : { reason: extra.reason }),
      ...(extra.output === undefined ? {} : { output: extra.output }),
      run_id: this.request.runId,
      user_hash: this.request.userHash,
      group_hash: this.request.groupHash,
      time: this.iso(this.ports.now()),
    };
    this.audit.push(rec);
    this.ports.record?.(rec, { workflowId: this.workflowId, seq: this.audit.length - 1 });
  }

  /** Says how the run ended; its source is the place after the last record (the run's last event). */
  private ended(state: RunOutcome['state'], reason?: string): void {
    const now = this.ports.now();
    this.ports.ended?.(
      {
        task: this.request.task,
        run_id: this.request.runId,
        user_hash: this.request.userHash,
        group_hash: this.request.groupHash,
        state,
        ...(reason === undefined ? {} : { reason }),
        time: this.iso(now),
        duration_ms: now - this.startedMs,
      },
      { workflowId: this.workflowId, seq: this.audit.length },
    );
  }

  private isFinished(): boolean {
    const s = this.status.state;
    return s === 'completed' || s === 'failed' || s === 'precheck_failed' || s === 'skipped';
  }

  private lastIso: { ms: number; text: string } = { ms: NaN, text: '' };

  /** ISO time of `ms`; records made in the same millisecond (most of them) share one conversion. */
  private iso(ms: number): string {
    if (ms !== this.lastIso.ms) this.lastIso = { ms, text: new Date(ms).toISOString() };
    return this.lastIso.text;
  }

  /** The run id. */
  get runId(): string {
    return this.request.runId;
  }

  /** The task description read at the start of the run (undefined before it started). */
  get task(): TaskDescription | undefined {
    return this.description;
  }
}
