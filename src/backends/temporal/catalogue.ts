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
  type CatalogueSnapshot,
  type TaskFlags,
  type TaskFlagsChange,
  type TaskFlagsPatch,
  type TaskFlagStore,
} from '../../core/task-flags';
import { catalogueWorkflow } from '../../workflows/catalogue';
import { setTaskFlagsUpdate } from '../../workflows/messages';

/** How long a change waits for a worker to take it before it is reported as unanswered. */
const UPDATE_TIMEOUT_MS = 15_000;

/** The catalogue of one task queue. */
export class TemporalCatalogue implements TaskFlagStore {
  readonly workflowId: string;
  private inFlight: Promise<CatalogueSnapshot> | undefined;

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
    this.inFlight ??= this.read().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async read(): Promise<CatalogueSnapshot> {
    try {
      const { memo } = await this.handle().describe();
      const { flags, version } = (memo ?? {}) as Partial<CatalogueSnapshot>;
      return { version: version ?? 0, flags: flags ?? {} };
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

  /**
   * Changes one task's flags through the catalogue workflow (started here if needed).
   * @throws CascadenceError CONNECTION when no worker of the task queue takes the change in time.
   */
  async setFlags(patch: TaskFlagsPatch): Promise<TaskFlagsChange> {
    validateFlagsPatch(patch);
    const startWorkflowOperation = new WithStartWorkflowOperation(catalogueWorkflow, {
      workflowId: this.workflowId,
      taskQueue: this.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [{}],
      memo: { flags: {}, version: 0 },
    });
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), UPDATE_TIMEOUT_MS);
    try {
      return await this.client.withAbortSignal(abort.signal, () =>
        this.client.workflow.executeUpdateWithStart(setTaskFlagsUpdate, { args: [patch], startWorkflowOperation }),
      );
    } catch (err) {
      if (abort.signal.aborted) {
        throw new CascadenceError(
          'CONNECTION',
          `no worker of task queue ${this.taskQueue} took the change of ${patch.task}'s flags`,
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
