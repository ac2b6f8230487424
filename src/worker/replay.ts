/**
 * Replaying a saved history against today's workflow code: `task replay` and the replay tests
 * both go through {@link replayHistory}, with the worker's sinks registered as in production.
 */
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { rootMessage } from '../core/errors';
import { resolveWorkflowBundle } from './bundle';
import { auditSinks } from './create-worker';
import { installRuntime } from './runtime';

/** Outcome of a replay: OK, or the non-determinism (or other failure) found. */
export type ReplayOutcome = { ok: true } | { ok: false; error: string; kind: string };

/** Options of {@link replayHistory}. */
export interface ReplayOptions {
  workflowId?: string;
  /** Workflow code to replay against (default: today's workflows, prebuilt when the bundle matches them). */
  workflowBundle?: WorkflowBundleOption;
}

/** Replays `history` (a History object or its JSON form) with the bundled workflows. */
export async function replayHistory(history: unknown, options: ReplayOptions = {}): Promise<ReplayOutcome> {
  try {
    installRuntime();
    await Worker.runReplayHistory(
      { workflowBundle: options.workflowBundle ?? (await resolveWorkflowBundle()), sinks: auditSinks(undefined) },
      history,
      options.workflowId,
    );
    return { ok: true };
  } catch (err) {
    return { ok: false, kind: (err as Error).name ?? 'Error', error: rootMessage(err) };
  }
}
