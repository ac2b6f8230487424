/**
 * Browsing runs, written once for every client: recent runs, the plan a run made, a DAG run's
 * node states. Each takes a backend and asks it for the capability it needs.
 */
import { requireCapability, type Backend, type RunFilter, type RunSummary } from '../backends/backend';
import type { ContextDelivery, NodeState } from '../core';
import { CascadenceError } from '../core/errors';
import type { DiagramPlan } from '../core/diagram';

/** A run with the link to its page in the Temporal Web UI. */
export interface RunListing extends RunSummary {
  url: string;
}

/**
 * Recent top-level runs, newest first, each with its Web UI link.
 * @throws CascadenceError UNSUPPORTED on a backend that cannot browse runs.
 */
export async function listRuns(
  backend: Backend,
  filter: RunFilter,
  web: { uiUrl: string; namespace: string },
): Promise<RunListing[]> {
  const runs = await requireCapability(backend, 'browse', "runs are listed from Temporal's visibility").listRuns(
    filter,
  );
  return runs.map((r) => ({ ...r, url: webUiRunUrl(web, r.workflowId) }));
}

/** The page of top-level workflow `workflowId` in the Temporal Web UI. */
export function webUiRunUrl(web: { uiUrl: string; namespace: string }, workflowId: string): string {
  const ui = web.uiUrl.replace(/\/+$/, '');
  return `${ui}/namespaces/${encodeURIComponent(web.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * The subtasks run `runId` of `task` planned: in plan order, parallel when one started before
 * the previous one closed; undefined when it planned none.
 * @throws CascadenceError UNSUPPORTED on a backend that cannot browse runs.
 */
export async function plannedSubtasks(backend: Backend, task: string, runId: string): Promise<DiagramPlan | undefined> {
  const children = await requireCapability(backend, 'browse', "a run's plan is read from Temporal").childRuns(
    task,
    runId,
  );
  if (children.length === 0) return undefined;
  children.sort((a, b) => a.index - b.index);
  const parallel = children.some(
    (c, i) => i > 0 && c.startedAt < ((children[i - 1] as { closedAt?: number }).closedAt ?? Number.POSITIVE_INFINITY),
  );
  return { kind: parallel ? 'parallel' : 'sequence', tasks: children.map((c) => ({ task: c.task })) };
}

/**
 * Each node's state in DAG run `runRef`.
 * @throws CascadenceError UNSUPPORTED on a backend that cannot browse runs, VALIDATION when the run is not a DAG run.
 */
export async function dagNodeStates(backend: Backend, runRef: string): Promise<Record<string, NodeState>> {
  const { status } = await requireCapability(backend, 'browse', 'the states of a DAG run live on Temporal').observe(
    runRef,
  );
  if (!('nodes' in status)) {
    throw new CascadenceError('VALIDATION', `run ${runRef} is not a DAG run`, {
      hint: 'pass the run id `task dag run` printed',
    });
  }
  return Object.fromEntries(Object.entries(status.nodes).map(([id, s]) => [id, s.state]));
}

/** Signal kinds a run accepts. */
export const SIGNAL_KINDS = ['context'] as const;

/**
 * Delivers a signal to a run: `{kind: 'context', value: {note?, url?}}` attaches context, taken
 * now (`delivered`) or by the next stage (`queued`). The kind is checked before the value.
 * @throws CascadenceError VALIDATION (`unsupported signal kind`), CONTEXT_REJECTED, UNKNOWN_RUN, RUN_FINISHED, UNSUPPORTED.
 */
export async function signalRun(
  backend: Backend,
  runRef: string,
  signal: { kind?: unknown; value?: unknown },
): Promise<ContextDelivery> {
  if (!(SIGNAL_KINDS as readonly unknown[]).includes(signal.kind)) {
    throw new CascadenceError('VALIDATION', `unsupported signal kind ${JSON.stringify(signal.kind ?? null)}`, {
      hint: `use one of: ${SIGNAL_KINDS.join(', ')}`,
    });
  }
  return requireCapability(backend, 'operate').signal(runRef, signal.value);
}
