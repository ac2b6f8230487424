/**
 * Following a run: a line for every stage (or DAG node) change, read from the run's status,
 * until the run ends. `task watch`, live progress of `task run` on a terminal and, soon, the
 * dashboard's live view call these.
 */
import type { DagStatus, PipelineStatus } from '../core';
import { requireCapability, type Backend, type RunRequest } from '../backends/backend';

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
 * Reports the status changes of `runRef` through `print` until it is no longer running (or
 * `stop` resolves). Resolves with the last status.
 * @throws CascadenceError UNSUPPORTED on a backend that cannot browse runs, UNKNOWN_RUN.
 */
export async function followRun(
  backend: Backend,
  runRef: string,
  print: (line: string) => void,
  stop: Promise<void> = new Promise(() => undefined),
  onStatus?: (status: PipelineStatus | DagStatus) => void,
): Promise<PipelineStatus | DagStatus | undefined> {
  const browser = requireCapability(backend, 'browse');
  let last: PipelineStatus | DagStatus | undefined;
  let stopped = false;
  void stop.then(() => (stopped = true));
  for (;;) {
    const { status, running } = await browser.observe(runRef);
    for (const line of statusChanges(last, status)) print(line);
    onStatus?.(status);
    last = status;
    if (!running || stopped) return last;
    await Promise.race([new Promise((r) => setTimeout(r, POLL_MS)), stop]);
    if (stopped) return last;
  }
}

/** How a followed run ended: with its result, or detached from while it goes on. */
export type FollowOutcome = { runId: string; detached: true } | { runId: string; detached: false; result: unknown };

/**
 * Starts a run and follows it to its end, reporting each change; `detach` resolving stops the
 * following (the run goes on).
 * @throws CascadenceError UNSUPPORTED without run operations and browsing, or the run's failure.
 */
export async function runAndFollow(
  backend: Backend,
  request: RunRequest,
  print: (line: string) => void,
  onStarted: (runId: string) => void,
  detach: Promise<void>,
  onStatus?: (status: PipelineStatus | DagStatus) => void,
): Promise<FollowOutcome> {
  const runId = await requireCapability(backend, 'operate').start(request);
  onStarted(runId);
  let detached = false;
  await followRun(
    backend,
    runId,
    print,
    detach.then(() => void (detached = true)),
    onStatus,
  );
  if (detached) return { runId, detached: true };
  return { runId, detached: false, result: await requireCapability(backend, 'browse').result(runId) };
}
