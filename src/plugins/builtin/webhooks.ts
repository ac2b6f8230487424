/**
 * The built-in webhook tasks: `github-webhook` records the action of GitHub `issues` events and
 * `calcom-webhook` the event name of Cal.com bookings. Each event is one durable run whose
 * result (and `run` audit record) carries what was recorded; nothing else of the payload is
 * kept, since it may hold personal data.
 */
import { WebhookTask, type StageContext, type WebhookInput, type WebhookSource } from '../../core';

/** What `github-webhook` records of an `issues` event. */
export interface GitHubIssuesRecord {
  source: 'github';
  event: 'issues';
  /** The event's `action`: `opened`, `closed`, `labeled`, ... */
  action: string;
}

/** What `calcom-webhook` records of a booking event. */
export interface CalComBookingRecord {
  source: 'calcom';
  /** The booking event's name: the body's `event` (as the original sent it), else Cal.com's `triggerEvent`. */
  event: string;
}

const field = (payload: unknown, name: string): string | undefined => {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const value = (payload as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The name of a Cal.com booking event, or undefined when the payload names none. */
function bookingEventName(payload: unknown): string | undefined {
  return field(payload, 'event') ?? field(payload, 'triggerEvent');
}

/** `github-webhook`: handles GitHub `issues` events that carry an `action`, and records it. */
export class GitHubWebhookTask extends WebhookTask {
  override readonly description = 'Built-in webhook task: records the action of GitHub issues events';

  handles(source: WebhookSource, eventType: string, payload: unknown): boolean {
    return source === 'github' && eventType === 'issues' && field(payload, 'action') !== undefined;
  }

  run(ctx: StageContext<WebhookInput>): GitHubIssuesRecord {
    return { source: 'github', event: 'issues', action: field(ctx.input.payload, 'action') ?? '' };
  }
}

/**
 * `calcom-webhook`: handles Cal.com booking events (event type `booking`, as the original's
 * `Cal-Event-Type` header said, or one of Cal.com's `BOOKING_*` trigger events) that name the
 * event, and records the name.
 */
export class CalComWebhookTask extends WebhookTask {
  override readonly description = 'Built-in webhook task: records the event name of Cal.com bookings';

  handles(source: WebhookSource, eventType: string, payload: unknown): boolean {
    return (
      source === 'calcom' &&
      (eventType === 'booking' || eventType.startsWith('BOOKING_')) &&
      bookingEventName(payload) !== undefined
    );
  }

  run(ctx: StageContext<WebhookInput>): CalComBookingRecord {
    return { source: 'calcom', event: bookingEventName(ctx.input.payload) ?? '' };
  }
}
