/**
 * Following a run from the CLI: prints a line for every stage (or DAG node) change, read from the
 * run's status query, until the run ends. Used by `task watch` and by `task run` on a terminal.
 */
import type { DagStatus, PipelineStatus } from '../core';
import type { TemporalBackend } from '../backends/temporal';

const POLL_MS = 500;

/** One line per change between two statuses. */
export function statusChanges(
  before: PipelineStatus | DagStatus | undefined,
  now: PipelineStatus | DagStatus,
): string[] {
  const lines: string[] = [];
  const entries = 'nodes' in now ? Object.entries(now.nodes) : Object.entries(now.steps);
  const previous = before ? ('nodes' in before ? before.nodes : before.steps) : {};
  for (const [name, s] of entries) {
    const old = (previous as Record<string, { state?: string; status?: string }>)[name];
    const state = 'state' in s ? s.state : s.status;
    const oldState = old ? (old.state ?? old.status) : undefined;
    if (state === oldState || state === 'pending') continue;
    const time = 'durationMs' in s && s.durationMs !== undefined ? ` ${s.durationMs}ms` : '';
    lines.push(`${name}\t${state}${time}${s.reason ? `\t${s.reason}` : ''}`);
  }
  if (now.paused && !before?.paused) lines.push('paused');
  if (!now.paused && before?.paused) lines.push('resumed');
  if (!('nodes' in now) && now.subtasks.total > 0) {
    const b = before && !('nodes' in before) ? before.subtasks : undefined;
    if (!b || b.completed !== now.subtasks.completed || b.failed !== now.subtasks.failed) {
      lines.push(
        `subtasks\t${now.subtasks.completed}/${now.subtasks.total} done${now.subtasks.failed ? `, ${now.subtasks.failed} failed` : ''}`,
      );
    }
  }
  return lines;
}

/**
 * Prints status changes of `runRef` until it is no longer running (or `stop` resolves).
 * Resolves with the last status.
 */
export async function followRun(
  backend: TemporalBackend,
  runRef: string,
  print: (line: string) => void,
  stop: Promise<void> = new Promise(() => undefined),
): Promise<PipelineStatus | DagStatus | undefined> {
  const { statusQuery } = await import('../workflows/messages');
  const handle = await backend.handleFor(runRef);
  let last: PipelineStatus | DagStatus | undefined;
  let stopped = false;
  void stop.then(() => (stopped = true));
  for (;;) {
    const [status, description] = await Promise.all([
      handle.query(statusQuery) as Promise<PipelineStatus | DagStatus>,
      handle.describe(),
    ]);
    for (const line of statusChanges(last, status)) print(line);
    last = status;
    if (description.status.name !== 'RUNNING' || stopped) return last;
    await Promise.race([new Promise((r) => setTimeout(r, POLL_MS)), stop]);
    if (stopped) return last;
  }
}
