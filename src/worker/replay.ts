/**
 * Replaying a saved history against today's workflow code (debugging, and the replay tests).
 */
import { Worker } from '@temporalio/worker';
import { rootMessage } from '../core/errors';
import { getWorkflowBundle } from './bundle';
import { auditSinks } from './create-worker';
import { installRuntime } from './runtime';

/** Outcome of a replay: OK, or the non-determinism (or other failure) found. */
export type ReplayOutcome = { ok: true } | { ok: false; error: string; kind: string };

/** Replays `history` (a History object or its JSON form) with the bundled workflows. */
export async function replayHistory(history: unknown, workflowId?: string): Promise<ReplayOutcome> {
  try {
    installRuntime();
    await Worker.runReplayHistory(
      { workflowBundle: await getWorkflowBundle(), sinks: auditSinks(undefined) },
      history,
      workflowId,
    );
    return { ok: true };
  } catch (err) {
    return { ok: false, kind: (err as Error).name ?? 'Error', error: rootMessage(err) };
  }
}
