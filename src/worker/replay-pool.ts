/**
 * Replaying many histories at once: a pool of replay workers (each replays one history at a time,
 * as `Worker.runReplayHistories` does), and the search for the first event of a history that
 * today's workflow code no longer replays. Node-only.
 */
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayWorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { auditSinks } from './create-worker';

/** The event a history stops replaying at: the first whose inclusion makes the replay fail. */
export interface MismatchEvent {
  /** Its event id (1 is WorkflowExecutionStarted). */
  id: number;
  /** Its type as the Web UI shows it (`MarkerRecorded`, `ActivityTaskScheduled`). */
  type: string;
  /** What it is about, where the event says: the activity, timer, marker, child workflow or signal. */
  detail?: string;
}

/** What replaying one history found. */
export type ReplayCheck =
  | { ok: true }
  | {
      ok: false;
      /** `DeterminismViolationError`, `ReplayError` (a workflow task failed), or why replay could not run. */
      kind: string;
      /** The failure, in one line (the SDK core's own message where it gives one). */
      error: string;
      /** Where replay stops: found by replaying ever shorter prefixes of the history. */
      event?: MismatchEvent;
    };

/** One history to replay: the workflow id it ran under (workflow code may read it) and the history. */
export interface ReplayInput {
  workflowId: string;
  /** A History object (`fetchHistory()`) or its JSON form (`task history`). */
  history: unknown;
}

/** Options of {@link ReplayPool}. */
export interface ReplayPoolOptions {
  /** The workflow code: a bundle in memory, or a prebuilt bundle's path (`resolveWorkflowBundle` in ./bundle). */
  workflowBundle: WorkflowBundleOption;
  /** Replay workers running at once (default 4). */
  concurrency?: number;
}

interface Request {
  workflowId: string;
  history: History;
  resolve(error: Error | undefined): void;
  reject(err: unknown): void;
}

/**
 * One replay worker, used as request and answer: `replay()` queues a history and resolves with
 * the error its replay ended with (undefined when it replayed). A history the SDK refuses
 * outright fails that request only; the next one gets a fresh replay worker.
 */
class ReplayLane {
  private readonly queue: Request[] = [];
  private current: Request | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly running: Promise<void>;

  constructor(private readonly options: ReplayWorkerOptions) {
    this.running = this.run();
  }

  replay(workflowId: string, history: History): Promise<Error | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ workflowId, history, resolve, reject });
      this.wake?.();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.running;
  }

  private async *feed(): AsyncGenerator<{ workflowId: string; history: History }> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        this.current = next;
        yield { workflowId: next.workflowId, history: next.history };
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private async run(): Promise<void> {
    while (!this.closed || this.queue.length > 0) {
      try {
        for await (const result of Worker.runReplayHistories(this.options, this.feed())) {
          const done = this.current;
          this.current = undefined;
          done?.resolve(result.error);
        }
      } catch (err) {
        const failed = this.current;
        this.current = undefined;
        if (failed) failed.reject(err);
        else {
          // The replay worker itself could not start: nothing queued here can be replayed.
          for (const request of this.queue.splice(0)) request.reject(err);
          if (this.closed) return;
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
        }
      }
    }
  }
}

/**
 * A pool of replay workers over one workflow bundle, for replaying many histories in parallel.
 * Close it when done.
 */
export class ReplayPool {
  private readonly lanes: ReplayLane[];
  private readonly idle: ReplayLane[];
  private readonly waiting: Array<(lane: ReplayLane) => void> = [];

  constructor(options: ReplayPoolOptions) {
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.lanes = Array.from(
      { length: concurrency },
      (_, i) =>
        new ReplayLane({
          workflowBundle: options.workflowBundle,
          sinks: auditSinks(undefined),
          replayName: `cascadence-replay-${i}`,
        }),
    );
    this.idle = [...this.lanes];
  }

  /** How many histories replay at once. */
  get concurrency(): number {
    return this.lanes.length;
  }

  /**
   * Runs `fn` with a replay worker of its own (waiting for one to be free): everything `fn` replays
   * through `replay` happens one after the other, in parallel with other callers.
   */
  async withLane<R>(fn: (replay: (input: ReplayInput) => Promise<ReplayCheck>) => Promise<R>): Promise<R> {
    const lane = this.idle.pop() ?? (await new Promise<ReplayLane>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn((input) => check(lane, input));
    } finally {
      const next = this.waiting.shift();
      if (next) next(lane);
      else this.idle.push(lane);
    }
  }

  /** Replays one history and, when it fails, finds the event it stops at. */
  replay(input: ReplayInput): Promise<ReplayCheck> {
    return this.withLane((replay) => replay(input));
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.close()));
  }
}

/** A History object from either form. @throws TypeError for anything without events. */
function toHistory(history: unknown): History {
  const events = (history as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) throw new TypeError('the history has no events');
  const first = events[0] as { eventId?: unknown };
  return typeof first.eventId === 'string' ? historyFromJSON(history) : (history as History);
}

async function check(lane: ReplayLane, input: ReplayInput): Promise<ReplayCheck> {
  let history: History;
  try {
    history = toHistory(input.history);
  } catch (err) {
    return { ok: false, kind: 'InvalidHistory', error: oneLine(err) };
  }
  const error = await lane.replay(input.workflowId, history).catch((err: unknown) => err as Error);
  if (!error) return { ok: true };
  const event = await firstMismatch(lane, input.workflowId, history).catch(() => undefined);
  return { ok: false, kind: error.name || 'Error', error: oneLine(error), ...(event ? { event } : {}) };
}

/** A history's events in their JSON form (`EVENT_TYPE_...` names, attributes as plain objects). */
interface JsonEvent {
  eventId?: string;
  eventType?: string;
  [attributes: string]: unknown;
}

/**
 * The first event of `history` (whose full replay failed) at which replay fails: the last event of
 * the shortest failing prefix. The SDK core replays any prefix that reaches the first workflow
 * task (an open run's history is one), so a binary search over prefix lengths finds it in
 * log2(events) replays; shorter prefixes cannot be replayed and count as passing.
 */
async function firstMismatch(
  lane: ReplayLane,
  workflowId: string,
  history: History,
): Promise<MismatchEvent | undefined> {
  const events = history.events ?? [];
  const json = (JSON.parse(historyToJSON(history)) as { events: JsonEvent[] }).events;
  const firstTask = json.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_STARTED');
  if (firstTask < 0) return undefined;
  let passing = firstTask; // prefix lengths: events.slice(0, n)
  let failing = events.length;
  while (failing - passing > 1) {
    const mid = Math.floor((passing + failing) / 2);
    const error = await lane.replay(workflowId, { events: events.slice(0, mid) }).catch((err: unknown) => err);
    if (error) failing = mid;
    else passing = mid;
  }
  const event = json[failing - 1];
  return event ? describeEvent(event, failing) : undefined;
}

/** `EVENT_TYPE_MARKER_RECORDED` → `MarkerRecorded`. */
function eventTypeName(type: string | undefined): string {
  if (!type) return 'Unknown';
  return type
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, _sep: string, c: string) => c.toUpperCase());
}

function describeEvent(event: JsonEvent, index: number): MismatchEvent {
  const id = Number(event.eventId ?? index);
  const attributes = Object.entries(event).find(([k]) => k.endsWith('EventAttributes'))?.[1] as
    Record<string, unknown> | undefined;
  const name = (v: unknown): string | undefined =>
    typeof v === 'object' && v !== null ? ((v as { name?: unknown }).name as string | undefined) : undefined;
  const parts = [
    name(attributes?.activityType),
    attributes?.markerName,
    attributes?.timerId === undefined ? undefined : `timer ${String(attributes.timerId)}`,
    name(attributes?.workflowType),
    attributes?.signalName,
    attributes?.workflowId,
  ].filter((p): p is string => typeof p === 'string' && p !== '');
  return { id, type: eventTypeName(event.eventType), ...(parts.length > 0 ? { detail: parts.join(' ') } : {}) };
}

/**
 * The failure in one line: the SDK wraps the core's message (`Failure { failure: Some(Failure {
 * message: "[TMPRL1100] Nondeterminism error: ..." ...`), which is the part that says what broke.
 */
function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
  const text = inner ? inner.replace(/\\(.)/g, '$1') : message;
  return (text.split('\n')[0] ?? text).trim();
}
