/**
 * Reading events through the configured transport, written once for every reader (`task
 * events`, `task pointer-sync`, `task capability-planner`, the API's live views): NATS
 * JetStream (a durable consumer that resumes where it stopped, or an ordered one) or the gRPC
 * server's Subscribe stream. Node-only.
 */
import type { CascadenceConfig } from '../config/config';
import { CascadenceError, isCascadenceError, rootMessage } from '../core/errors';
import type { Subscription } from '../events/nats';
import { EVENT_KINDS, type AnyUmeEvent, type UmeEventType } from '../events/ume';

/** What a reader wants. */
export interface EventFilter {
  /** Only these event types (default: all). */
  types?: UmeEventType[];
  /** Only events of this task. */
  task?: string;
  /** A durable consumer's name (NATS): the reader resumes after the last event it handled, across restarts. */
  durable?: string;
  /** Where a new reader starts (NATS): every stored event (`all`) or only later ones (`new`, default). */
  from?: 'all' | 'new';
}

/** What a reader is told of a message: its event (undefined when it is not one) and its raw text. */
export type EventHandler = (
  event: AnyUmeEvent | undefined,
  raw: { text: string; subject?: string; seq?: number },
) => Promise<void> | void;

/** The subject filters of `filter` under the prefix: `<kind>.<task>` (a task's dots become `_`). */
export function subjectFilters(filter: Pick<EventFilter, 'types' | 'task'>): string[] {
  const task = filter.task ? filter.task.replace(/\./g, '_') : '*';
  const kinds = filter.types?.length ? [...new Set(filter.types.map((t) => EVENT_KINDS[t]))] : ['*'];
  return kinds.map((k) => `${k}.${task}`);
}

/**
 * Calls `handler` for each event the configured transport delivers that matches `filter`, one at
 * a time, in order; a durable reader acknowledges each once the handler resolved.
 * @throws CascadenceError CONFIG when the transport cannot be read (`none`, `log`), CONNECTION when unreachable.
 */
export async function subscribeEvents(
  config: Pick<CascadenceConfig, 'events' | 'natsUrl' | 'natsSubject' | 'grpcTarget' | 'grpcStub'>,
  filter: EventFilter,
  handler: EventHandler,
): Promise<Subscription> {
  if (config.events === 'nats') {
    const { subscribeNats } = await import('../events/nats');
    try {
      return await subscribeNats(
        {
          servers: config.natsUrl,
          subject: config.natsSubject,
          filter: subjectFilters(filter),
          ...(filter.durable ? { durable: filter.durable } : {}),
          from: filter.from ?? 'new',
        },
        (event, raw) => handler(event, { text: raw.text, subject: raw.subject, seq: raw.seq }),
      );
    } catch (err) {
      if (isCascadenceError(err)) throw err;
      throw new CascadenceError(
        'CONNECTION',
        `cannot read events from NATS at ${config.natsUrl}: ${rootMessage(err).split('\n')[0]}`,
        {
          hint: 'start nats-server with JetStream (-js), or set UME_NATS_URL / --nats-url',
          cause: err,
        },
      );
    }
  }
  if (config.events === 'grpc') {
    const { subscribeGrpc, loadGrpcStub } = await import('../events/grpc');
    const stub = config.grpcStub
      ? loadGrpcStub(config.grpcStub, process.cwd(), { target: config.grpcTarget, method: 'Subscribe' })
      : undefined;
    const wanted = filter.types ? new Set<string>(filter.types) : undefined;
    return subscribeGrpc(
      {
        target: config.grpcTarget,
        ...(stub ? { stub } : {}),
        ...(filter.types ? { eventTypes: filter.types } : {}),
        ...(filter.task ? { task: filter.task } : {}),
      },
      (event, raw) => {
        // A user's server may ignore the filter: apply it here too.
        if (event && wanted && !wanted.has(event.event_type)) return;
        if (event && filter.task && event.task !== filter.task) return;
        return handler(event, { text: raw.json });
      },
    );
  }
  throw new CascadenceError('CONFIG', `events cannot be read from the ${JSON.stringify(config.events)} transport`, {
    hint: 'use --transport nats (or grpc), or set UME_TRANSPORT',
  });
}
