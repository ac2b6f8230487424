/**
 * The `temporal` backend: a Temporal client that starts pipeline and DAG workflows, operates and
 * browses runs (pause, resume, status, cancel, context, audit, history, visibility), and hands
 * schedules to `./schedules` and task flags to the catalogue (`./catalogue`).
 */
import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { CascadenceError, isCascadenceError } from '../../core/errors';
import {
  SEARCH_ATTRIBUTE_GROUP,
  SEARCH_ATTRIBUTE_RUN_ID,
  SEARCH_ATTRIBUTE_TASK,
  dagWorkflowId,
  parseChildWorkflowId,
  pipelineWorkflowId,
} from '../../core/ids';
import { visibilityQuery } from './visibility';
import { RunRefWaiter } from './run-lookup';
import {
  rootMessage,
  runDetails,
  runSummary,
  validateContextPayload,
  type AuditRecord,
  type DagDefinition,
  type DagResult,
  type DagStatus,
  type ContextDelivery,
  type PipelineStatus,
  type TaskDescription,
} from '../../core';
import {
  assertKnown,
  assertRunnable,
  listTasks,
  runWithPrerequisites,
  selectorGroupHash,
  setTaskFlag,
  toPipelineRequest,
  adminRecord,
  type ActionLog,
  type AdminActionRequest,
  type Backend,
  type ChildRun,
  type DagRunner,
  type Histories,
  type RunBrowser,
  type RunFilter,
  type RunObservation,
  type RunOperations,
  type RunSummary,
  type Schedules,
  type DagRunRequest,
  type FailedRunFilter,
  type PauseTarget,
  type Recovery,
  type RerunOutcome,
  type RetryOutcome,
  type RetryRequest,
  type RunOutcome,
  type RunRequest,
  type RunSelector,
  type ScheduleInfo,
  type ScheduleRequest,
  type TaskCatalogue,
  type TaskInfo,
} from '../backend';
import { TemporalCatalogue } from './catalogue';
import { TemporalRecovery } from './recovery';
import { connectClient, fromWorkflowFailure, runIdOf } from './client';
import { TemporalSchedules } from './schedules';

export { connectClient, fromWorkflowFailure, runIdOf } from './client';

/** How long a run id lookup waits for visibility to index a just-started run. */
const LOOKUP_WAIT_MS = 3000;

/** Settings of the temporal backend. Task flags live in the task queue's catalogue workflow. */
export interface TemporalBackendOptions extends Omit<TaskCatalogue, 'state'> {
  address: string;
  namespace: string;
  taskQueue: string;
  hashSecret: string;
  /** Default timezone of schedules (default UTC). */
  timezone?: string;
  /**
   * Watch the task catalogue, so flag checks before each run are answered from memory (long-lived
   * clients: the API, benchmarks). A one-shot CLI reads the flags from the server instead.
   */
  watchCatalogue?: boolean;
  /**
   * The connection a worker in this process polls with (`task dev`, an app embedding both): the
   * client shares it and asks for eager workflow start, so the server hands a run's first
   * workflow task straight back to that worker (when it polls this task queue and has a free
   * slot; otherwise the run starts as usual). The backend does not close it.
   */
  workerConnection?: NativeConnection;
}

/** Every capability: runs and their operations, DAGs, schedules, histories, browsing and recovering runs, from any machine. */
export class TemporalBackend
  implements Backend, RunOperations, DagRunner, Schedules, Histories, RunBrowser, ActionLog, Recovery
{
  readonly name = 'temporal';

  private readonly options: TemporalBackendOptions & TaskCatalogue;
  private readonly scheduleOps: TemporalSchedules;
  /** Lookups of run ids visibility has not listed yet, asked for together. */
  private readonly lookups: RunRefWaiter;

  private constructor(
    readonly client: Client,
    options: TemporalBackendOptions,
  ) {
    const catalogue = new TemporalCatalogue(client, options.taskQueue);
    if (options.watchCatalogue) catalogue.watch();
    this.options = { ...options, state: catalogue };
    this.scheduleOps = new TemporalSchedules(client, this.options);
    this.lookups = new RunRefWaiter(async function* (query) {
      for await (const wf of client.workflow.list({ query })) {
        const runId = wf.searchAttributes[SEARCH_ATTRIBUTE_RUN_ID]?.[0];
        yield { workflowId: wf.workflowId, ...(typeof runId === 'string' ? { runId } : {}) };
      }
    });
  }

  /** Connects to the server. @throws CascadenceError CONNECTION. */
  static async connect(options: TemporalBackendOptions): Promise<TemporalBackend> {
    return new TemporalBackend(
      await connectClient(options.address, options.namespace, options.workerConnection),
      options,
    );
  }

  /** Start options asking for eager workflow start, when the client shares a worker's connection. */
  private get eager(): { requestEagerStart?: true } {
    return this.options.workerConnection ? { requestEagerStart: true } : {};
  }

  /** Plugin modules registered at run time live in the catalogue, beside the flags. */
  pluginRecords(): TemporalCatalogue {
    return this.catalogue;
  }

  /** The task queue's catalogue: every task's flags, shared by every client and worker. */
  get catalogue(): TemporalCatalogue {
    return this.options.state as TemporalCatalogue;
  }

  async list(): Promise<TaskInfo[]> {
    return listTasks(this.options);
  }

  /** Starts a pipeline run and returns its workflow handle without waiting. */
  async startHandle(request: RunRequest): Promise<WorkflowHandle> {
    const { taskQueue, hashSecret } = this.options;
    await assertRunnable(this.options, request.task);
    const runId = request.runId ?? randomUUID();
    const pipelineRequest = {
      ...toPipelineRequest(request, runId, hashSecret),
      description: this.options.registry.describe(request.task),
      flagsChecked: true,
    };
    const { pipelineWorkflow } = await import('../../workflows/pipeline');
    const { pipelineSearchAttributes } = await import('../../workflows/search-attributes');
    try {
      return await this.client.workflow.start(pipelineWorkflow, {
        taskQueue,
        workflowId: pipelineWorkflowId(request.task, runId),
        args: [pipelineRequest],
        staticSummary: runSummary({ task: request.task, description: pipelineRequest.description.description }),
        staticDetails: runDetails(pipelineRequest),
        // No memo: `task runs`, `task status` and the Web UI find and show runs by these search
        // attributes and the static summary and details; a memo repeating them is only more bytes.
        typedSearchAttributes: pipelineSearchAttributes(request.task, pipelineRequest.groupHash, runId),
        ...(request.once ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
        ...this.eager,
      });
    } catch (err) {
      if (isCascadenceError(err)) throw err;
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new CascadenceError('RUN_EXISTS', `run ${runId} of ${request.task} already exists`, {
          hint: 'pick another run id, or leave it out for a new one',
          cause: err,
        });
      }
      throw new CascadenceError(
        'CONNECTION',
        `could not start ${request.task} on ${this.options.address}: ${rootMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async start(request: RunRequest): Promise<string> {
    return runIdOf(request.task, await this.startHandle(request));
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    return runWithPrerequisites(this.options, request, async (one) => {
      const handle = await this.startHandle(one);
      try {
        return { runId: runIdOf(one.task, handle), result: await handle.result() };
      } catch (err) {
        throw fromWorkflowFailure(err);
      }
    });
  }

  /**
   * The handle of the top-level workflow of a run, found by run id (or given as a workflow id).
   * @throws CascadenceError UNKNOWN_RUN.
   */
  async handleFor(runRef: string): Promise<WorkflowHandle> {
    const unknown = () =>
      new CascadenceError('UNKNOWN_RUN', `no run ${runRef} in namespace ${this.options.namespace}`, {
        hint: 'use the run id printed by `task run`, or a workflow id',
      });
    // Nothing a run is named by (ids are non-empty, printable, at most 1,000 bytes): no lookup.
    // A control character would also make the server's visibility query fail slowly, not cleanly.
    // eslint-disable-next-line no-control-regex -- control characters are what is refused here
    if (!runRef.trim() || Buffer.byteLength(runRef) > 1000 || /[\u0000-\u001f\u007f]/.test(runRef)) throw unknown();
    const deadline = Date.now() + LOOKUP_WAIT_MS;
    for await (const wf of this.client.workflow.list({ query: visibilityQuery({ runId: runRef }) })) {
      if (!wf.workflowId.includes('/')) return this.client.workflow.getHandle(wf.workflowId);
    }
    try {
      const handle = this.client.workflow.getHandle(runRef);
      await handle.describe();
      return handle;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    // Not listed yet, perhaps: wait for it with every other lookup of this client.
    const workflowId = await this.lookups.wait(runRef, deadline);
    if (workflowId === undefined) throw unknown();
    return this.client.workflow.getHandle(workflowId);
  }

  /** The handle of a run that must still be running. @throws CascadenceError UNKNOWN_RUN, RUN_FINISHED. */
  private async runningHandle(runRef: string): Promise<WorkflowHandle> {
    const handle = await this.handleFor(runRef);
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') {
      throw new CascadenceError('RUN_FINISHED', `run ${runRef} has already finished (${status.name.toLowerCase()})`);
    }
    return handle;
  }

  /** Top-level running runs of `task`, newest first (of one group, when given). */
  private async runningRuns(task: string, target: RunSelector): Promise<WorkflowHandle[]> {
    const groupHash = selectorGroupHash(target, this.options.hashSecret);
    const query = visibilityQuery({ task, status: 'running', ...(groupHash ? { groupHash } : {}) });
    const found: Array<{ id: string; start: number }> = [];
    for await (const wf of this.client.workflow.list({ query })) {
      if (!wf.workflowId.includes('/')) found.push({ id: wf.workflowId, start: wf.startTime.getTime() });
    }
    return found.sort((a, b) => b.start - a.start).map((f) => this.client.workflow.getHandle(f.id));
  }

  private async selectRun(task: string, target: RunSelector): Promise<WorkflowHandle | undefined> {
    if (target.runId) return this.runningHandle(pipelineWorkflowId(task, target.runId));
    return (await this.runningRuns(task, target))[0];
  }

  async pause(task: string, target: RunSelector = {}): Promise<PauseTarget> {
    assertKnown(this.options, task);
    const { pauseSignal, statusQuery } = await import('../../workflows/messages');
    const handle = await this.selectRun(task, target);
    if (!handle) return { target: 'task', changed: await setTaskFlag(this.options, task, { paused: true }) };
    const before = await handle.query(statusQuery);
    await handle.signal(pauseSignal);
    return { target: 'run', runId: before.runId, changed: !before.paused };
  }

  async resume(task: string, target: RunSelector = {}): Promise<PauseTarget> {
    assertKnown(this.options, task);
    const { resumeSignal, statusQuery } = await import('../../workflows/messages');
    if (!target.runId && (await this.options.state.flagsOf(task)).paused) {
      return { target: 'task', changed: await setTaskFlag(this.options, task, { paused: false }) };
    }
    let handle: WorkflowHandle | undefined;
    let status: PipelineStatus | undefined;
    if (target.runId) handle = await this.selectRun(task, target);
    else {
      for (const candidate of await this.runningRuns(task, target)) {
        const s = await candidate.query(statusQuery);
        if (s.paused) {
          handle = candidate;
          status = s;
          break;
        }
      }
    }
    if (!handle) return { target: 'task', changed: false };
    status ??= await handle.query(statusQuery);
    await handle.signal(resumeSignal);
    return { target: 'run', runId: status.runId, changed: status.paused };
  }

  async status(runRef: string): Promise<PipelineStatus> {
    const { statusQuery } = await import('../../workflows/messages');
    return (await this.handleFor(runRef)).query(statusQuery);
  }

  async groupOf(runRef: string): Promise<string | undefined> {
    // Read from the run itself (not visibility), so a run started a moment ago is found at once.
    const { searchAttributes } = await (await this.handleFor(runRef)).describe();
    const group = searchAttributes[SEARCH_ATTRIBUTE_GROUP]?.[0];
    return typeof group === 'string' ? group : undefined;
  }

  async cancel(runRef: string): Promise<void> {
    await (await this.runningHandle(runRef)).cancel();
  }

  async signal(runRef: string, payload: unknown): Promise<ContextDelivery> {
    const valid = validateContextPayload(payload);
    const { attachContextUpdate } = await import('../../workflows/messages');
    const handle = await this.runningHandle(runRef);
    try {
      return await handle.executeUpdate(attachContextUpdate, { args: [valid] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || /already completed/i.test(rootMessage(err))) {
        throw new CascadenceError('RUN_FINISHED', `run ${runRef} has already finished`);
      }
      throw fromWorkflowFailure(err);
    }
  }

  /** Admin actions live in the task queue's catalogue, beside the flags. */
  async recordAction(request: AdminActionRequest): Promise<void> {
    await this.catalogue.recordAction(adminRecord(request, this.options.hashSecret));
  }

  async audit(task: string, runId?: string, limit = 100): Promise<AuditRecord[]> {
    const { auditQuery } = await import('../../workflows/messages');
    const ids: string[] = [];
    if (runId) ids.push(pipelineWorkflowId(task, runId));
    else {
      for await (const wf of this.client.workflow.list({
        query: visibilityQuery({ task, taskQueue: this.options.taskQueue }),
      })) {
        ids.push(wf.workflowId);
        if (ids.length >= limit) break;
      }
    }
    const records = await Promise.all(
      ids.map((id) =>
        this.client.workflow
          .getHandle(id)
          .query(auditQuery)
          .catch((err: unknown) => {
            if (err instanceof WorkflowNotFoundError && runId) {
              throw new CascadenceError('UNKNOWN_RUN', `no run ${runId} of task ${task}`);
            }
            throw err;
          }),
      ),
    );
    // The task's admin actions (from the catalogue) beside its runs' records: of this run only, with a run id.
    const actions = (await this.catalogue.actions(task)).filter((r) => !runId || r.run_id === runId);
    return [...records.flat(), ...actions].filter((r) => r.task === task).sort((a, b) => a.time.localeCompare(b.time));
  }

  async listRuns(filter: RunFilter): Promise<RunSummary[]> {
    const runs: RunSummary[] = [];
    const query = visibilityQuery({
      cascadenceOnly: true,
      ...(filter.task ? { task: filter.task } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.groupHash ? { groupHash: filter.groupHash } : {}),
    });
    const seen = new Set<string>();
    for await (const wf of this.client.workflow.list({ query })) {
      if (wf.workflowId.includes('/')) continue; // subtasks and DAG nodes belong to their parent run
      // A retried run has an execution per reset; the newest (listed first: it starts when made) stands for it.
      if (seen.has(wf.workflowId)) continue;
      seen.add(wf.workflowId);
      runs.push({
        run_id: String(wf.searchAttributes[SEARCH_ATTRIBUTE_RUN_ID]?.[0] ?? wf.workflowId),
        task: String(wf.searchAttributes[SEARCH_ATTRIBUTE_TASK]?.[0] ?? wf.type),
        status: wf.status.name.toLowerCase(),
        started: wf.startTime.toISOString(),
        workflowId: wf.workflowId,
      });
      if (runs.length >= filter.limit) break;
    }
    return runs;
  }

  /** The subtasks of a run, from its child workflows (`<run>/<index>-<task>`). */
  async childRuns(task: string, runId: string): Promise<ChildRun[]> {
    const parent = pipelineWorkflowId(task, runId);
    const children: ChildRun[] = [];
    for await (const wf of this.client.workflow.list({ query: visibilityQuery({ runId }) })) {
      const child = parseChildWorkflowId(parent, wf.workflowId);
      if (!child) continue;
      children.push({
        ...child,
        startedAt: wf.startTime.getTime(),
        ...(wf.closeTime ? { closedAt: wf.closeTime.getTime() } : {}),
      });
    }
    return children;
  }

  async observe(runRef: string): Promise<RunObservation> {
    const { statusQuery } = await import('../../workflows/messages');
    const handle = await this.handleFor(runRef);
    const [status, description] = await Promise.all([
      handle.query(statusQuery) as Promise<PipelineStatus | DagStatus>,
      handle.describe(),
    ]);
    return { status, running: description.status.name === 'RUNNING' };
  }

  async result(runRef: string): Promise<unknown> {
    const handle = await this.handleFor(runRef);
    try {
      return await handle.result();
    } catch (err) {
      throw fromWorkflowFailure(err);
    }
  }

  /** The run's history as JSON (the format `temporal workflow show --output json` writes). */
  async history(runRef: string): Promise<string> {
    const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
    return historyToJSON(await (await this.handleFor(runRef)).fetchHistory());
  }

  async disable(task: string): Promise<void> {
    await setTaskFlag(this.options, task, { disabled: true });
  }

  async enable(task: string): Promise<void> {
    await setTaskFlag(this.options, task, { disabled: false });
  }

  /** Starts a DAG run (validated first, against this client's registry) and returns its workflow handle. */
  async startDagWorkflow(request: DagRunRequest): Promise<WorkflowHandle> {
    const { validateDag } = await import('../../core/dag/validate');
    validateDag(request.definition, { knownTasks: new Set(this.options.registry.names()) });
    const runId = request.runId ?? randomUUID();
    const ids = toPipelineRequest({ task: request.definition.name, ...request }, runId, this.options.hashSecret);
    const { dagWorkflow } = await import('../../workflows/dag');
    const { pipelineSearchAttributes } = await import('../../workflows/search-attributes');
    return this.client.workflow.start(dagWorkflow, {
      taskQueue: this.options.taskQueue,
      workflowId: dagWorkflowId(request.definition.name, runId),
      args: [
        {
          definition: request.definition,
          runId,
          userHash: ids.userHash,
          groupHash: ids.groupHash,
          descriptions: this.nodeDescriptions(request.definition),
        },
      ],
      staticSummary: runSummary({
        task: `dag ${request.definition.name}`,
        description: `${request.definition.nodes.length} nodes`,
      }),
      staticDetails: runDetails({
        task: request.definition.name,
        runId,
        userHash: ids.userHash,
        groupHash: ids.groupHash,
      }),
      typedSearchAttributes: pipelineSearchAttributes(`dag:${request.definition.name}`, ids.groupHash, runId),
      ...this.eager,
    });
  }

  /** The task description of every task the DAG's child pipelines run, from this client's registry. */
  private nodeDescriptions(definition: DagDefinition): Record<string, TaskDescription> {
    const tasks = new Set(definition.nodes.filter((n) => !n.lightweight).map((n) => n.task));
    return Object.fromEntries([...tasks].map((task) => [task, this.options.registry.describe(task)]));
  }

  async startDag(request: DagRunRequest): Promise<string> {
    const runId = request.runId ?? randomUUID();
    await this.startDagWorkflow({ ...request, runId });
    return runId;
  }

  async runDag(request: DagRunRequest): Promise<DagResult> {
    const handle = await this.startDagWorkflow(request);
    try {
      return (await handle.result()) as DagResult;
    } catch (err) {
      throw fromWorkflowFailure(err);
    }
  }

  /** Retry and rerun (./recovery): Temporal's workflow reset, and a new run from a run's input. */
  private get recovery(): TemporalRecovery {
    this.recoveryOps ??= new TemporalRecovery({
      client: this.client,
      namespace: this.options.namespace,
      taskQueue: this.options.taskQueue,
      workflowIdOf: async (runRef) => (await this.handleFor(runRef)).workflowId,
      flagsOf: (task) => this.options.state.flagsOf(task),
      start: (request) => this.start(request),
      startDag: (request) => this.startDag(request),
    });
    return this.recoveryOps;
  }

  private recoveryOps: TemporalRecovery | undefined;

  retry(runRef: string, request?: RetryRequest): Promise<RetryOutcome> {
    return this.recovery.retry(runRef, request);
  }

  rerun(runRef: string): Promise<RerunOutcome> {
    return this.recovery.rerun(runRef);
  }

  failedRuns(filter: FailedRunFilter): Promise<RunSummary[]> {
    return this.recovery.failedRuns(filter);
  }

  schedule(request: ScheduleRequest): Promise<ScheduleInfo> {
    return this.scheduleOps.schedule(request);
  }

  unschedule(task: string): Promise<void> {
    return this.scheduleOps.unschedule(task);
  }

  schedules(): Promise<ScheduleInfo[]> {
    return this.scheduleOps.schedules();
  }

  scheduleAction(task: string, action: 'pause' | 'resume' | 'trigger'): Promise<void> {
    return this.scheduleOps.scheduleAction(task, action);
  }

  async close(): Promise<void> {
    this.catalogue.close();
    // A worker's connection stays open for the worker.
    if (!this.options.workerConnection) await this.client.connection.close();
  }
}
