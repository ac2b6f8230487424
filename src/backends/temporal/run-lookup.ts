/**
 * Waiting for a run id that visibility has not indexed yet, shared by every lookup of one client.
 *
 * A run started a moment ago may not be listed yet, so a lookup that finds nothing looks again for
 * a few seconds before it answers "unknown run". Done by each lookup on its own, a crowd of such
 * lookups (the HTTP fuzzing sent 128 unknown ids at once) multiplies into thousands of visibility
 * queries and starves the server. Here the waiting refs of one client are asked for together: one
 * query per poll (`CascadenceRunId IN (...) OR WorkflowId IN (...)`, at most {@link BATCH} refs
 * each), one poll at a time, so the server's load no longer grows with the crowd.
 */
import { SEARCH_ATTRIBUTE_RUN_ID } from '../../core/ids';
import { quote } from './visibility';

/** Refs asked for by one visibility query. */
export const BATCH = 50;
/** Pause between two polls. */
export const POLL_INTERVAL_MS = 250;

/** One listed workflow: its id and the run id search attribute it carries, if any. */
export interface ListedWorkflow {
  workflowId: string;
  runId?: string;
}

/** Lists the workflows a visibility query matches. */
export type ListWorkflows = (query: string) => AsyncIterable<ListedWorkflow>;

interface Waiter {
  deadline: number;
  resolve: (workflowId: string | undefined) => void;
  reject: (err: unknown) => void;
}

/** The query for the top-level workflows of `refs`, each a run id or a workflow id. */
export function runRefsQuery(refs: readonly string[]): string {
  const list = refs.map(quote).join(', ');
  return `${SEARCH_ATTRIBUTE_RUN_ID} IN (${list}) OR WorkflowId IN (${list})`;
}

/** The ref of `refs` that `wf` answers: its top-level workflow's run id, or its workflow id. */
function refAnswered(wf: ListedWorkflow, refs: ReadonlySet<string>): string | undefined {
  if (refs.has(wf.workflowId)) return wf.workflowId;
  // A subtask or DAG node carries its run's id too; the run is the workflow without a `/`.
  if (wf.runId !== undefined && refs.has(wf.runId) && !wf.workflowId.includes('/')) return wf.runId;
  return undefined;
}

/** Polls visibility for the refs being waited for; one instance per client. */
export class RunRefWaiter {
  private readonly waiting = new Map<string, Waiter[]>();
  private polling = false;

  constructor(
    private readonly list: ListWorkflows,
    private readonly intervalMs = POLL_INTERVAL_MS,
  ) {}

  /** Refs being waited for now (for tests and diagnostics). */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * The workflow id of `ref` (a run id or a workflow id) once visibility lists it, or undefined
   * when it is still not listed at `deadline` (epoch ms).
   * @throws whatever the visibility query throws, to every waiter of the refs it asked for.
   */
  wait(ref: string, deadline: number): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(ref);
      if (waiters) waiters.push({ deadline, resolve, reject });
      else this.waiting.set(ref, [{ deadline, resolve, reject }]);
      if (!this.polling) {
        this.polling = true;
        void this.poll();
      }
    });
  }

  private async poll(): Promise<void> {
    while (this.waiting.size > 0) {
      await new Promise((r) => setTimeout(r, this.intervalMs));
      const refs = [...this.waiting.keys()];
      for (let i = 0; i < refs.length; i += BATCH) await this.ask(new Set(refs.slice(i, i + BATCH)));
      const now = Date.now();
      for (const [ref, waiters] of this.waiting) {
        const late = waiters.filter((w) => w.deadline <= now);
        if (late.length === 0) continue;
        for (const w of late) w.resolve(undefined);
        const left = waiters.filter((w) => w.deadline > now);
        if (left.length > 0) this.waiting.set(ref, left);
        else this.waiting.delete(ref);
      }
    }
    this.polling = false;
  }

  /** One query for `refs`: answers the found ones, and every one of them when the query fails. */
  private async ask(refs: Set<string>): Promise<void> {
    const settle = (ref: string, fn: (w: Waiter) => void): void => {
      for (const w of this.waiting.get(ref) ?? []) fn(w);
      this.waiting.delete(ref);
    };
    try {
      for await (const wf of this.list(runRefsQuery([...refs]))) {
        const ref = refAnswered(wf, refs);
        if (ref !== undefined) settle(ref, (w) => w.resolve(wf.workflowId));
      }
    } catch (err) {
      for (const ref of refs) settle(ref, (w) => w.reject(err));
    }
  }
}
