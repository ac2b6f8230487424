/**
 * The task catalogue on Temporal, as clients and workers see it: flags read from the catalogue
 * workflow's memo (answered by the server, no worker needed) and changed through its
 * `setTaskFlags` update, which starts the catalogue when it does not exist yet. Node-only.
 */
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { CascadenceError, rootMessage } from '../../core/errors';
import { fromFailure } from '../../core/failure';
import { catalogueWorkflowId } from '../../core/ids';
import {
  NO_FLAGS,
  validateFlagsPatch,
  validatePluginRecord,
  type CatalogueSnapshot,
  type PluginRecord,
  type PluginRecordStore,
  type TaskFlags,
  type TaskFlagsChange,
  type TaskFlagsPatch,
  type TaskFlagStore,
} from '../../core/task-flags';
import { catalogueWorkflow, type CatalogueState } from '../../workflows/catalogue';
import { actionsQuery, recordActionUpdate, registerPluginUpdate, setTaskFlagsUpdate } from '../../workflows/messages';
import type { AuditRecord } from '../../core/pipeline';

/** How long a change waits for a worker to take it before it is reported as unanswered. */
const UPDATE_TIMEOUT_MS = 15_000;

/** How long the watcher waits before it tries again after a failure (the catalogue missing, the server away). */
const WATCH_RETRY_MS = 1_000;

/**
 * The catalogue of one task queue. Each read asks the server, unless the catalogue is watched
 * ({@link TemporalCatalogue.watch}, for long-lived clients): then reads are answered from the
 * last snapshot while a long poll on the catalogue's history is in place, which returns as soon
 * as anything is appended to it (every change is), so the snapshot is refreshed within one round
 * trip of a change on any machine.
 */
export class TemporalCatalogue implements TaskFlagStore, PluginRecordStore {
  readonly workflowId: string;
  private inFlight: Promise<CatalogueSnapshot> | undefined;
  /** The snapshot reads may use: set only while the watcher's long poll covers every change after it. */
  private watched: CatalogueSnapshot | undefined;
  private watcher: AbortController | undefined;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {
    this.workflowId = catalogueWorkflowId(taskQueue);
  }

  private handle(): WorkflowHandle<typeof catalogueWorkflow> {
    return this.client.workflow.getHandle<typeof catalogueWorkflow>(this.workflowId);
  }

  /**
   * The catalogue as its last change left it (empty when none was ever made). Calls made while
   * one read is on the wire share it: a burst of runs starting together costs one read.
   */
  snapshot(): Promise<CatalogueSnapshot> {
    if (this.watched) return Promise.resolve(this.watched);
    this.inFlight ??= this.read().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** True while reads are answered from the watched snapshot. */
  get watching(): boolean {
    return this.watched !== undefined;
  }

  /** How the catalogue is started when it does not exist yet (an empty catalogue: no task flagged). */
  private startOptions() {
    return {
      workflowId: this.workflowId,
      taskQueue: this.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      args: [{}] as [Partial<CatalogueState>],
      memo: { flags: {}, version: 0 },
    };
  }

  /** Starts watching the catalogue (idempotent) until {@link TemporalCatalogue.close}. */
  watch(): void {
    if (this.watcher) return;
    this.watcher = new AbortController();
    void this.watchLoop(this.watcher.signal);
  }

  /** Stops watching. */
  close(): void {
    this.watcher?.abort();
    this.watched = undefined;
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    const service = this.client.workflowService;
    let nextPageToken: Uint8Array | undefined;
    while (!signal.aborted) {
      try {
        // A watched catalogue must exist to be watched: start an empty one if nobody flagged a task yet.
        if (!nextPageToken) {
          await this.client.withAbortSignal(signal, () =>
            this.client.workflow.start(catalogueWorkflow, this.startOptions()),
          );
        }
        const page = await this.client.withAbortSignal(signal, () =>
          service.getWorkflowExecutionHistory({
            namespace: this.client.options.namespace,
            execution: { workflowId: this.workflowId },
            waitNewEvent: true,
            skipArchival: true,
            ...(nextPageToken ? { nextPageToken } : {}),
          }),
        );
        const appended = (page.history?.events?.length ?? 0) > 0;
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
        if (appended || !this.watched) {
          // Something changed (or nothing is known yet): stop answering from memory until re-read.
          this.watched = undefined;
          const fresh = await this.read();
          // A closed run (continued as new) has no next page: the loop starts again on the new run.
          if (nextPageToken) this.watched = fresh;
        }
      } catch {
        this.watched = undefined;
        nextPageToken = undefined;
        if (signal.aborted) return;
        await new Promise((r) => setTimeout(r, WATCH_RETRY_MS).unref());
      }
    }
  }

  private async read(): Promise<CatalogueSnapshot> {
    try {
      const { memo } = await this.handle().describe();
      const { flags, version, plugins } = (memo ?? {}) as Partial<CatalogueSnapshot>;
      return { version: version ?? 0, flags: flags ?? {}, ...(plugins?.length ? { plugins } : {}) };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { version: 0, flags: {} };
      throw new CascadenceError(
        'CONNECTION',
        `cannot read the task catalogue ${this.workflowId}: ${rootMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async allFlags(): Promise<Record<string, TaskFlags>> {
    return (await this.snapshot()).flags;
  }

  async flagsOf(task: string): Promise<TaskFlags> {
    return { ...NO_FLAGS, ...(await this.snapshot()).flags[task] };
  }

  /** The plugin modules registered at run time, oldest first. */
  async plugins(): Promise<PluginRecord[]> {
    return (await this.snapshot()).plugins ?? [];
  }

  /** Records a plugin module registered at run time (the catalogue is started here if needed). */
  async addPlugin(record: Omit<PluginRecord, 'registered_at'>): Promise<{ added: boolean }> {
    validatePluginRecord(record);
    const answer = await this.update(record.module, () =>
      this.client.workflow.executeUpdateWithStart(registerPluginUpdate, {
        args: [record],
        startWorkflowOperation: new WithStartWorkflowOperation(catalogueWorkflow, this.startOptions()),
      }),
    );
    this.watched = undefined;
    return answer;
  }

  /** Appends an admin action to its task's trail in the catalogue (started here if needed). */
  async recordAction(record: AuditRecord): Promise<void> {
    await this.update(record.task, () =>
      this.client.workflow.executeUpdateWithStart(recordActionUpdate, {
        args: [record],
        startWorkflowOperation: new WithStartWorkflowOperation(catalogueWorkflow, this.startOptions()),
      }),
    );
  }

  /** The admin actions recorded for `task`, oldest first (none while there is no catalogue). */
  async actions(task: string): Promise<AuditRecord[]> {
    try {
      return await this.handle().query(actionsQuery, task);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return [];
      throw fromFailure(err);
    }
  }

  /**
   * Changes one task's flags through the catalogue workflow (started here if needed).
   * @throws CascadenceError CONNECTION when no worker of the task queue takes the change in time.
   */
  async setFlags(patch: TaskFlagsPatch): Promise<TaskFlagsChange> {
    validateFlagsPatch(patch);
    const change = await this.update(patch.task, () =>
      this.client.workflow.executeUpdateWithStart(setTaskFlagsUpdate, {
        args: [patch],
        startWorkflowOperation: new WithStartWorkflowOperation(catalogueWorkflow, this.startOptions()),
      }),
    );
    // Our own change must show in our next read (a dashboard redirecting to its task table right
    // after a pause): ask the server until the watcher has seen the change and re-read it.
    this.watched = undefined;
    return change;
  }

  /**
   * Sends an update to the catalogue, bounded in time.
   * @throws CascadenceError CONNECTION when no worker of the task queue takes it in time.
   */
  private async update<R>(task: string, send: () => Promise<R>): Promise<R> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), UPDATE_TIMEOUT_MS);
    try {
      return await this.client.withAbortSignal(abort.signal, send);
    } catch (err) {
      if (abort.signal.aborted) {
        throw new CascadenceError(
          'CONNECTION',
          `no worker of task queue ${this.taskQueue} took the change of ${task}`,
          {
            hint: 'start a worker (`task worker`, or `task dev` locally) for this task queue, then retry',
            cause: err,
          },
        );
      }
      throw fromFailure(err);
    } finally {
      clearTimeout(timer);
    }
  }
}
