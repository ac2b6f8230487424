/**
 * The temporal backend's connection and failure mapping: connect with a one-line error when
 * nothing answers, turn workflow failures back into CascadenceErrors, read run ids off handles.
 * Node-only.
 */
import { processTracing } from '../../tracing';
import { Client, Connection, type ConnectionLike, type WorkflowHandle } from '@temporalio/client';
import { CascadenceError, rootMessage } from '../../core/errors';
import { fromFailure } from '../../core/failure';
import { runIdFromWorkflowId } from '../../core/ids';

/** How long the CLI waits for a server before saying it is unreachable. */
const CONNECT_TIMEOUT_MS = 3000;

/**
 * Opens a client connection, failing fast with a one-line error when nothing answers; with
 * `shared`, builds the client on that open connection instead (one a worker of this process uses).
 * @throws CascadenceError CONNECTION naming the address.
 */
export async function connectClient(address: string, namespace: string, shared?: ConnectionLike): Promise<Client> {
  // With OTEL_EXPORTER_OTLP_ENDPOINT set, starts (and signals, updates) become spans passed on to the workflow.
  const tracing = await processTracing('client');
  try {
    const connection = shared ?? (await Connection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS }));
    return new Client({
      connection,
      namespace,
      ...(tracing ? { interceptors: { workflow: tracing.clientInterceptors() } } : {}),
    });
  } catch (err) {
    throw new CascadenceError('CONNECTION', `cannot reach Temporal at ${address}: ${rootMessage(err).split('\n')[0]}`, {
      hint: 'start a local server with `task dev`, or set TEMPORAL_ADDRESS / --address',
      cause: err,
    });
  }
}

/**
 * Maps a workflow, update or activity failure to the CascadenceError it stands for (code,
 * hint and data carried across the workflow boundary); anything else comes back unchanged.
 */
export const fromWorkflowFailure = fromFailure;

/** The run id of a top-level run's handle. */
export function runIdOf(task: string, handle: WorkflowHandle): string {
  return runIdFromWorkflowId(task, handle.workflowId) ?? handle.workflowId;
}
