/**
 * Webhooks: verifying a delivery's signature, and dispatching its event to the registered
 * `WebhookTask`s, each of which gets one durable run (started through the backend's `operate`
 * capability; the work happens in the worker, never inside the HTTP request). Every server that
 * takes webhooks (`task webhook`, `task api` under `/webhook`) calls {@link receiveWebhook}.
 * Payloads may hold personal data: nothing here logs them. Node-only.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { requireCapability, type Backend } from '../backends/backend';
import type { CascadenceConfig } from '../config/config';
import {
  CascadenceError,
  isCascadenceError,
  isValidDeliveryId,
  isWebhookTask,
  webhookRunId,
  type WebhookInput,
  type WebhookSource,
} from '../core';
import type { TaskRegistry } from '../plugins/registry';

/** How one source names, signs and identifies its deliveries (header names in lower case). */
export interface WebhookSourceSpec {
  /** Header holding the signature: the hex HMAC-SHA-256 of the raw body, after `signaturePrefix`. */
  signatureHeader: string;
  signaturePrefix: string;
  /** Header naming the event type. */
  eventHeader: string;
  /** Header identifying the delivery (its redeliveries carry the same id), when the source sends one. */
  deliveryHeader?: string;
  /** The configured secret of the signatures (unset: deliveries are accepted unsigned). */
  secret(config: Pick<CascadenceConfig, 'githubWebhookSecret' | 'calcomWebhookSecret'>): string | undefined;
  /** Name of the secret's environment variable, for messages. */
  secretEnv: string;
}

/** The sources Cascadence takes webhooks from. */
export const WEBHOOK_SPECS: Readonly<Record<WebhookSource, WebhookSourceSpec>> = {
  github: {
    signatureHeader: 'x-hub-signature-256',
    signaturePrefix: 'sha256=',
    eventHeader: 'x-github-event',
    deliveryHeader: 'x-github-delivery',
    secret: (config) => config.githubWebhookSecret || undefined,
    secretEnv: 'GITHUB_WEBHOOK_SECRET',
  },
  calcom: {
    signatureHeader: 'x-cal-signature-256',
    signaturePrefix: '',
    eventHeader: 'cal-event-type',
    secret: (config) => config.calcomWebhookSecret || undefined,
    secretEnv: 'CALCOM_WEBHOOK_SECRET',
  },
};

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** The signature header value `source` would send for `body` signed with `secret`. */
export function signWebhook(source: WebhookSource, secret: string, body: Buffer | string): string {
  return WEBHOOK_SPECS[source].signaturePrefix + createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Whether `header` is the signature of `rawBody` with `secret` for `source`. The digests are
 * compared with `timingSafeEqual`; a header that is not `<prefix><64 hex digits>` is refused
 * before any comparison (its shape is public, so refusing it early reveals nothing).
 */
export function verifyWebhookSignature(
  source: WebhookSource,
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
): boolean {
  const { signaturePrefix } = WEBHOOK_SPECS[source];
  if (header === undefined || !header.startsWith(signaturePrefix)) return false;
  const hex = header.slice(signaturePrefix.length);
  if (!HEX_SHA256.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}

/** An event to dispatch: where it came from, its type, its delivery id (if any) and its parsed body. */
export interface WebhookEvent {
  source: WebhookSource;
  eventType: string;
  /** The source's delivery id: the same delivery always maps to the same run ids. */
  deliveryId?: string;
  payload: unknown;
}

/** One task's share of a delivery: the run started for it, or the one an earlier delivery started. */
export interface WebhookRun {
  task: string;
  run_id: string;
  /** Set when this delivery was seen before and the run already existed: nothing was started. */
  duplicate?: true;
}

/** A task that handles the event but refuses runs now (disabled or paused): nothing was started for it. */
export interface WebhookSkip {
  task: string;
  code: string;
  message: string;
}

/** What a delivery did. */
export interface WebhookDispatch {
  runs: WebhookRun[];
  skipped: WebhookSkip[];
  /** How many runs this delivery started (runs that are not duplicates). */
  started: number;
  /** True when every task that handles the event already had its run: a redelivery. */
  duplicate: boolean;
}

/** What dispatching needs: the registered tasks and a backend that can start runs. */
export interface WebhookDeps {
  registry: TaskRegistry;
  backend: Backend;
}

/** The ids webhook runs are started under (hashed by the backend like any other): no person is behind them. */
export function webhookActor(source: WebhookSource): { userId: string; groupId: string } {
  return { userId: `webhook:${source}`, groupId: 'webhook' };
}

/**
 * Starts one run of every registered WebhookTask whose `handles` accepts the event, with input
 * `{source, event, payload}`. Every `handles` is asked before anything starts, so one that
 * throws starts nothing. With a delivery id the run ids are derived from it and may be used
 * once: a redelivery starts no second run and comes back as `duplicate`.
 * @throws CascadenceError UNSUPPORTED (a backend that cannot start runs), CONNECTION, and what a `handles` throws.
 */
export async function dispatchWebhookEvent(deps: WebhookDeps, event: WebhookEvent): Promise<WebhookDispatch> {
  const operate = requireCapability(deps.backend, 'operate', 'webhooks start runs: use the temporal backend');
  const matching = deps.registry.names().filter((name) => {
    const task = deps.registry.get(name);
    return isWebhookTask(task) && task.handles(event.source, event.eventType, event.payload);
  });
  const input: WebhookInput = { source: event.source, event: event.eventType, payload: event.payload };
  const dispatch: WebhookDispatch = { runs: [], skipped: [], started: 0, duplicate: false };
  for (const task of matching) {
    const runId = event.deliveryId ? webhookRunId(event.source, event.deliveryId, task) : randomUUID();
    try {
      const started = await operate.start({
        task,
        ...webhookActor(event.source),
        input,
        runId,
        once: event.deliveryId !== undefined,
      });
      dispatch.runs.push({ task, run_id: started });
      dispatch.started++;
    } catch (err) {
      if (!isCascadenceError(err)) throw err;
      if (err.code === 'RUN_EXISTS') dispatch.runs.push({ task, run_id: runId, duplicate: true });
      else if (err.code === 'TASK_DISABLED' || err.code === 'TASK_PAUSED') {
        dispatch.skipped.push({ task, code: err.code, message: err.message });
      } else throw err;
    }
  }
  dispatch.duplicate = dispatch.runs.length > 0 && dispatch.started === 0;
  return dispatch;
}

/** A delivery as it arrived: its headers (lower-case names, as Node gives them) and its raw body. */
export interface WebhookRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

/** The answer to a delivery: 202 when it started a run, else 200. */
export interface WebhookReceipt {
  status: 200 | 202;
  body: {
    runs: WebhookRun[];
    skipped?: WebhookSkip[];
    duplicate?: true;
  };
}

const header = (request: WebhookRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Cal.com names its event in the body (`triggerEvent`); the original read a `Cal-Event-Type` header. */
function calcomEventType(payload: unknown, fromHeader: string | undefined): string {
  if (fromHeader) return fromHeader;
  const trigger = (payload as { triggerEvent?: unknown } | null)?.triggerEvent;
  return typeof trigger === 'string' ? trigger : '';
}

/**
 * Takes one delivery from `source`: checks its signature when the source's secret is set,
 * parses its JSON body, and dispatches the event ({@link dispatchWebhookEvent}).
 * @throws CascadenceError UNAUTHORIZED (a missing or wrong signature: nothing starts), VALIDATION
 *   (a body that is not JSON, a missing or malformed event or delivery header), and what
 *   dispatching throws.
 */
export async function receiveWebhook(
  deps: WebhookDeps & { config: Pick<CascadenceConfig, 'githubWebhookSecret' | 'calcomWebhookSecret'> },
  source: WebhookSource,
  request: WebhookRequest,
): Promise<WebhookReceipt> {
  const spec = WEBHOOK_SPECS[source];
  const secret = spec.secret(deps.config);
  if (
    secret !== undefined &&
    !verifyWebhookSignature(source, secret, request.body, header(request, spec.signatureHeader))
  ) {
    throw new CascadenceError(
      'UNAUTHORIZED',
      header(request, spec.signatureHeader) === undefined
        ? `missing webhook signature (${spec.signatureHeader})`
        : `invalid webhook signature (${spec.signatureHeader})`,
      { hint: `sign the raw body with HMAC-SHA-256 and the secret in ${spec.secretEnv}` },
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new CascadenceError('VALIDATION', 'the webhook body is not JSON', {
      hint: 'send the event as application/json',
    });
  }
  let eventType: string;
  let deliveryId: string | undefined;
  if (source === 'github') {
    const event = header(request, spec.eventHeader);
    if (!event) throw new CascadenceError('VALIDATION', 'missing header X-GitHub-Event');
    eventType = event;
    deliveryId = spec.deliveryHeader === undefined ? undefined : header(request, spec.deliveryHeader);
    if (!deliveryId) {
      throw new CascadenceError('VALIDATION', 'missing header X-GitHub-Delivery', {
        hint: 'GitHub sends a GUID per delivery; it keeps a redelivery from starting a second run',
      });
    }
    if (!isValidDeliveryId(deliveryId)) {
      throw new CascadenceError(
        'VALIDATION',
        'X-GitHub-Delivery must be letters, digits, ".", "_" or "-" (at most 128)',
      );
    }
  } else {
    eventType = calcomEventType(payload, header(request, spec.eventHeader));
  }
  const dispatch = await dispatchWebhookEvent(deps, {
    source,
    eventType,
    ...(deliveryId === undefined ? {} : { deliveryId }),
    payload,
  });
  return {
    status: dispatch.started > 0 ? 202 : 200,
    body: {
      runs: dispatch.runs,
      ...(dispatch.skipped.length > 0 ? { skipped: dispatch.skipped } : {}),
      ...(dispatch.duplicate ? { duplicate: true as const } : {}),
    },
  };
}
