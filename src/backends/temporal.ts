/**
 * The `temporal` backend: a Temporal client that starts pipeline workflows and reads their state.
 */
import { randomUUID } from 'node:crypto';
import { Connection, Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CascadenceError, isCascadenceError, type ErrorCode } from '../core/errors';
import { pipelineWorkflowId } from '../core/ids';
import { rootMessage, type AuditRecord } from '../core';
import type { TaskRegistry } from '../plugins/registry';
import { unknownTask } from '../plugins/registry';
import {
  listTasks,
  toPipelineRequest,
  type Backend,
  type Operation,
  type RunOutcome,
  type RunRequest,
  type TaskInfo,
} from './backend';

/** How long the CLI waits for a server before saying it is unreachable. */
const CONNECT_TIMEOUT_MS = 3000;

/** Connection settings of the temporal backend. */
export interface TemporalBackendOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  hashSecret: string;
  registry: TaskRegistry;
}

/**
 * Opens a client connection, failing fast with a one-line error when nothing answers.
 * @throws CascadenceError CONNECTION naming the address.
 */
export async function connectClient(address: string, namespace: string): Promise<Client> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS });
    return new Client({ connection, namespace });
  } catch (err) {
    throw new CascadenceError('CONNECTION', `cannot reach Temporal at ${address}: ${rootMessage(err).split('\n')[0]}`, {
      hint: 'start a local server with `task dev`, or set TEMPORAL_ADDRESS / --address',
      cause: err,
    });
  }
}

const KNOWN_CODES = new Set<string>([
  'UNKNOWN_TASK',
  'INVALID_PLAN',
  'PLAN_DEPTH_EXCEEDED',
  'STAGE_FAILED',
  'PRECHECK_FAILED',
  'CIRCUIT_OPEN',
  'VALIDATION',
]);

/** Maps a workflow failure to a CascadenceError with the failure's type as its code. */
export function fromWorkflowFailure(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  const cause = err.cause as { type?: string; message?: string } | undefined;
  const code = cause?.type && KNOWN_CODES.has(cause.type) ? (cause.type as ErrorCode) : 'STAGE_FAILED';
  return new CascadenceError(code, cause?.message ?? rootMessage(err), { cause: err });
}

/** The temporal backend. */
export class TemporalBackend implements Backend {
  readonly name = 'temporal';
  readonly supports: ReadonlySet<Operation> = new Set<Operation>(['list', 'run', 'audit']);

  private constructor(
    readonly client: Client,
    private readonly options: TemporalBackendOptions,
  ) {}

  /** Connects to the server. @throws CascadenceError CONNECTION. */
  static async connect(options: TemporalBackendOptions): Promise<TemporalBackend> {
    return new TemporalBackend(await connectClient(options.address, options.namespace), options);
  }

  async list(): Promise<TaskInfo[]> {
    return listTasks(this.options.registry);
  }

  /** Starts a pipeline run and returns its handle without waiting. */
  async start(request: RunRequest): Promise<WorkflowHandle> {
    const { registry, taskQueue, hashSecret } = this.options;
    if (!registry.has(request.task)) throw unknownTask(request.task, registry.names());
    const runId = request.runId ?? randomUUID();
    const pipelineRequest = toPipelineRequest(request, runId, hashSecret);
    const { pipelineWorkflow } = await import('../workflows/pipeline');
    const { GROUP_KEY, TASK_KEY } = await import('../workflows/search-attributes');
    try {
      return await this.client.workflow.start(pipelineWorkflow, {
        taskQueue,
        workflowId: pipelineWorkflowId(request.task, runId),
        args: [pipelineRequest],
        memo: { task: request.task, runId },
        typedSearchAttributes: [
          { key: TASK_KEY, value: request.task },
          { key: GROUP_KEY, value: pipelineRequest.groupHash },
        ],
      });
    } catch (err) {
      if (isCascadenceError(err)) throw err;
      throw new CascadenceError(
        'CONNECTION',
        `could not start ${request.task} on ${this.options.address}: ${rootMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const handle = await this.start(request);
    const runId = handle.workflowId.slice(request.task.length + 1);
    try {
      return { runId, result: await handle.result() };
    } catch (err) {
      throw fromWorkflowFailure(err);
    }
  }

  async audit(task: string, runId?: string): Promise<AuditRecord[]> {
    const { auditQuery } = await import('../workflows/messages');
    const ids: string[] = [];
    if (runId) ids.push(pipelineWorkflowId(task, runId));
    else {
      for await (const wf of this.client.workflow.list({ query: `CascadenceTask = '${task.replace(/'/g, "\\'")}'` })) {
        ids.push(wf.workflowId);
      }
    }
    const records = await Promise.all(ids.map((id) => this.client.workflow.getHandle(id).query(auditQuery)));
    return records
      .flat()
      .filter((r) => r.task === task)
      .sort((a, b) => a.time.localeCompare(b.time));
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }
}
