/**
 * The keep-alive heartbeat of activities that run user code or may run long (stages, lightweight
 * DAG nodes, calendar fetches): sent every second while the activity runs, so cancellation
 * reaches it promptly and Temporal notices its worker died within the heartbeat timeout
 * (`DEFAULT_HEARTBEAT_TIMEOUT` in core, 10 s; the worker sends at most one heartbeat every 2 s).
 * Node-only.
 */
import type { Context } from '@temporalio/activity';

/** How often a running activity heartbeats. */
export const HEARTBEAT_EVERY_MS = 1000;

/** An activity's heartbeats: the keep-alive and the activity's own, which share the last details. */
export interface ActivityHeartbeat {
  /** What the activity (a stage: `ctx.heartbeat`) calls: details, when given, become the last details. */
  beat(details?: unknown): void;
  /** Stops the keep-alive. */
  stop(): void;
}

/**
 * Starts an activity's keep-alive heartbeat (every `everyMs`). It resends the last details the activity
 * gave, starting from those of the previous attempt (`info.heartbeatDetails`), because Temporal
 * hands a retry only the details of the last heartbeat: a bare keep-alive would erase them, and a
 * second crash before the stage reports again would lose them.
 */
export function startHeartbeat(
  ctx: Pick<Context, 'heartbeat' | 'info'>,
  everyMs: number = HEARTBEAT_EVERY_MS,
): ActivityHeartbeat {
  let last: unknown = ctx.info.heartbeatDetails;
  const send = () => ctx.heartbeat(last);
  const timer = setInterval(send, everyMs);
  return {
    beat(details) {
      if (details !== undefined) last = details;
      send();
    },
    stop: () => clearInterval(timer),
  };
}
