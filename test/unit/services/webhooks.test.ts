/**
 * Webhook signatures (GitHub's `sha256=<hex>`, Cal.com's bare hex; compared with timingSafeEqual)
 * and dispatch: one run per handling WebhookTask, derived run ids, redeliveries deduplicated,
 * disabled tasks skipped, nothing started by a bad signature or a throwing `handles`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type * as NodeCrypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseBackend } from '../../../src/backends/base';
import type { Backend, RunRequest } from '../../../src/backends/backend';
import { CascadenceError, WebhookTask, type WebhookSource } from '../../../src/core';
import { JsonlAuditStore } from '../../../src/events/audit-store';
import { createDefaultRegistry } from '../../../src/plugins/builtin';
import { TaskRegistry } from '../../../src/plugins/registry';
import { TaskStateStore } from '../../../src/runtime/task-state';
import {
  dispatchWebhookEvent,
  receiveWebhook,
  signWebhook,
  verifyWebhookSignature,
  type WebhookRequest,
} from '../../../src/services/webhooks';

// Hoisted above the imports by ts-jest: the service compares through this spy.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof NodeCrypto>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const secret = "It's a Secret to Everybody";
const body = Buffer.from('Hello, World!');
const hmacHex = (key: string, data: Buffer): string => createHmac('sha256', key).update(data).digest('hex');

/** A backend that records starts and, like Temporal with REJECT_DUPLICATE, refuses a run id used before. */
function recordingBackend(): Backend & { starts: RunRequest[]; start(r: RunRequest): Promise<string> } {
  const used = new Set<string>();
  const starts: RunRequest[] = [];
  const unused = () => Promise.reject(new Error('not used by webhooks'));
  return {
    name: 'recording',
    starts,
    list: unused,
    run: unused,
    pause: unused,
    resume: unused,
    disable: unused,
    enable: unused,
    close: () => Promise.resolve(),
    status: unused,
    groupOf: unused,
    cancel: unused,
    signal: unused,
    audit: unused,
    async start(request: RunRequest): Promise<string> {
      const key = `${request.task}-${request.runId}`;
      if (request.runId && used.has(key)) throw new CascadenceError('RUN_EXISTS', `run ${request.runId} exists`);
      if (request.runId) used.add(key);
      starts.push(request);
      return request.runId ?? 'generated';
    },
  } as Backend & { starts: RunRequest[]; start(r: RunRequest): Promise<string> };
}

const config = { githubWebhookSecret: secret, calcomWebhookSecret: 'cal-secret' };
const githubRequest = (payload: unknown, headers: Record<string, string> = {}): WebhookRequest => {
  const raw = Buffer.from(JSON.stringify(payload));
  return {
    body: raw,
    headers: {
      'x-github-event': 'issues',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': `sha256=${hmacHex(secret, raw)}`,
      ...headers,
    },
  };
};

describe('verifyWebhookSignature', () => {
  beforeEach(() => jest.mocked(timingSafeEqual).mockClear());

  it("accepts GitHub's documented example signature", () => {
    // The test vector of GitHub's "Validating webhook deliveries" page.
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyWebhookSignature('github', secret, body, header)).toBe(true);
    expect(signWebhook('github', secret, body)).toBe(header);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });

  it('accepts a Cal.com signature: the bare hex digest', () => {
    expect(verifyWebhookSignature('calcom', 'cal-secret', body, hmacHex('cal-secret', body))).toBe(true);
    expect(signWebhook('calcom', 'cal-secret', body)).toBe(hmacHex('cal-secret', body));
  });

  it('refuses a signature made with another secret, or over another body, comparing in constant time', () => {
    expect(verifyWebhookSignature('github', secret, body, `sha256=${hmacHex('other', body)}`)).toBe(false);
    expect(
      verifyWebhookSignature('github', secret, Buffer.from('Hello, World?'), signWebhook('github', secret, body)),
    ).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(2);
  });

  it.each<[string, string | undefined]>([
    ['missing', undefined],
    ['empty', ''],
    ['without its sha256= prefix', hmacHex(secret, body)],
    ['with another algorithm', `sha1=${hmacHex(secret, body)}`],
    ['too short', `sha256=${hmacHex(secret, body).slice(0, 63)}`],
    ['too long', `sha256=${hmacHex(secret, body)}00`],
    ['not hex', `sha256=${'z'.repeat(64)}`],
  ])('refuses a GitHub signature %s, without throwing', (_what, header) => {
    expect(verifyWebhookSignature('github', secret, body, header)).toBe(false);
  });

  it('refuses a Cal.com signature carrying a prefix it never sends', () => {
    expect(verifyWebhookSignature('calcom', 'cal-secret', body, `sha256=${hmacHex('cal-secret', body)}`)).toBe(false);
  });
});

describe('receiveWebhook', () => {
  it('starts one run of github-webhook for a signed issues event, with a run id derived from the delivery', async () => {
    const backend = recordingBackend();
    const receipt = await receiveWebhook(
      { config, registry: createDefaultRegistry(), backend },
      'github',
      githubRequest({ action: 'opened', issue: { number: 1 } }),
    );
    const runId = 'github-72d3162e-cc78-11e3-81ab-4c9367dc0958-github-webhook';
    expect(receipt).toEqual({ status: 202, body: { runs: [{ task: 'github-webhook', run_id: runId }] } });
    expect(backend.starts).toEqual([
      {
        task: 'github-webhook',
        userId: 'webhook:github',
        groupId: 'webhook',
        runId,
        once: true,
        input: { source: 'github', event: 'issues', payload: { action: 'opened', issue: { number: 1 } } },
      },
    ]);
  });

  it('answers a redelivery with duplicate and starts nothing more', async () => {
    const backend = recordingBackend();
    const deps = { config, registry: createDefaultRegistry(), backend };
    await receiveWebhook(deps, 'github', githubRequest({ action: 'opened' }));
    const again = await receiveWebhook(deps, 'github', githubRequest({ action: 'opened' }));
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.runs).toEqual([
      { task: 'github-webhook', run_id: 'github-72d3162e-cc78-11e3-81ab-4c9367dc0958-github-webhook', duplicate: true },
    ]);
    expect(backend.starts).toHaveLength(1);
    const other = await receiveWebhook(
      deps,
      'github',
      githubRequest({ action: 'closed' }, { 'x-github-delivery': 'd2' }),
    );
    expect(other.status).toBe(202);
    expect(backend.starts).toHaveLength(2);
  });

  it.each<[string, Record<string, string>]>([
    ['a wrong signature', { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }],
    ['a truncated signature', { 'x-hub-signature-256': 'sha256=abc' }],
  ])('refuses %s with UNAUTHORIZED and starts nothing', async (_what, headers) => {
    const backend = recordingBackend();
    await expect(
      receiveWebhook(
        { config, registry: createDefaultRegistry(), backend },
        'github',
        githubRequest({ action: 'opened' }, headers),
      ),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'invalid webhook signature (x-hub-signature-256)' });
    expect(backend.starts).toHaveLength(0);
  });

  it('refuses a missing signature when the secret is set, and checks it before parsing the body', async () => {
    const backend = recordingBackend();
    const request: WebhookRequest = { body: Buffer.from('not json'), headers: { 'x-github-event': 'issues' } };
    await expect(
      receiveWebhook({ config, registry: createDefaultRegistry(), backend }, 'github', request),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'missing webhook signature (x-hub-signature-256)' });
    expect(backend.starts).toHaveLength(0);
  });

  it('accepts an unsigned delivery when no secret is configured', async () => {
    const backend = recordingBackend();
    const { 'x-hub-signature-256': _dropped, ...headers } = githubRequest({ action: 'labeled' }).headers;
    const receipt = await receiveWebhook(
      {
        config: { githubWebhookSecret: undefined, calcomWebhookSecret: undefined },
        registry: createDefaultRegistry(),
        backend,
      },
      'github',
      { body: Buffer.from('{"action":"labeled"}'), headers },
    );
    expect(receipt.status).toBe(202);
    expect(backend.starts).toHaveLength(1);
  });

  it.each<[string, WebhookRequest, RegExp]>([
    [
      'a body that is not JSON',
      { body: Buffer.from('{nope'), headers: { 'x-github-event': 'issues', 'x-github-delivery': 'd' } },
      /not JSON/,
    ],
    ['no X-GitHub-Event', { body: Buffer.from('{}'), headers: { 'x-github-delivery': 'd' } }, /X-GitHub-Event/],
    ['no X-GitHub-Delivery', { body: Buffer.from('{}'), headers: { 'x-github-event': 'issues' } }, /X-GitHub-Delivery/],
    [
      'a delivery id unusable in a workflow id',
      { body: Buffer.from('{}'), headers: { 'x-github-event': 'issues', 'x-github-delivery': '../x' } },
      /X-GitHub-Delivery must be/,
    ],
  ])('refuses %s with VALIDATION', async (_what, request, message) => {
    const backend = recordingBackend();
    const deps = {
      config: { githubWebhookSecret: undefined, calcomWebhookSecret: undefined },
      registry: createDefaultRegistry(),
      backend,
    };
    await expect(receiveWebhook(deps, 'github', request)).rejects.toMatchObject({ code: 'VALIDATION', message });
    expect(backend.starts).toHaveLength(0);
  });

  it('starts calcom-webhook for a signed booking, its event type from the body when no header names it', async () => {
    const backend = recordingBackend();
    const raw = Buffer.from(JSON.stringify({ triggerEvent: 'BOOKING_CREATED', payload: { title: 'Call' } }));
    const receipt = await receiveWebhook({ config, registry: createDefaultRegistry(), backend }, 'calcom', {
      body: raw,
      headers: { 'x-cal-signature-256': hmacHex('cal-secret', raw) },
    });
    expect(receipt.status).toBe(202);
    expect(receipt.body.runs.map((r) => r.task)).toEqual(['calcom-webhook']);
    expect(backend.starts[0]).toMatchObject({
      task: 'calcom-webhook',
      once: false,
      input: { source: 'calcom', event: 'BOOKING_CREATED' },
    });
  });

  it('answers 200 with no runs when no task handles the event', async () => {
    const backend = recordingBackend();
    const receipt = await receiveWebhook(
      { config, registry: createDefaultRegistry(), backend },
      'github',
      githubRequest({ ref: 'refs/heads/main' }, { 'x-github-event': 'push' }),
    );
    expect(receipt).toEqual({ status: 200, body: { runs: [] } });
    expect(backend.starts).toHaveLength(0);
  });
});

class Everything extends WebhookTask {
  handles(source: WebhookSource): boolean {
    return source === 'github';
  }
  run(): string {
    return 'done';
  }
}

describe('dispatchWebhookEvent', () => {
  it('starts one run per handling task, each with its own run id, and skips a disabled one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-webhooks-'));
    const state = new TaskStateStore(join(dir, 'state.json'));
    const registry = createDefaultRegistry().register('everything', Everything).register('off', Everything);
    await state.setFlags({ task: 'off', disabled: true });
    const backend = new BaseBackend({
      registry,
      state,
      hashSecret: 'h',
      audit: new JsonlAuditStore(join(dir, 'a.jsonl')),
    });
    const dispatch = await dispatchWebhookEvent(
      { registry, backend },
      { source: 'github', eventType: 'issues', deliveryId: 'd1', payload: { action: 'opened' } },
    );
    expect(dispatch.runs).toEqual([
      { task: 'everything', run_id: 'github-d1-everything' },
      { task: 'github-webhook', run_id: 'github-d1-github-webhook' },
    ]);
    expect(dispatch.skipped).toEqual([{ task: 'off', code: 'TASK_DISABLED', message: expect.any(String) }]);
    expect(dispatch).toMatchObject({ started: 2, duplicate: false });
    await backend.close();
  });

  it('records the action in the run result and the run audit record (in process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-webhooks-'));
    const registry = createDefaultRegistry();
    const backend = new BaseBackend({
      registry,
      state: new TaskStateStore(join(dir, 'state.json')),
      hashSecret: 'h',
      audit: new JsonlAuditStore(join(dir, 'a.jsonl')),
    });
    const { done, runId } = backend.startRun({
      task: 'github-webhook',
      userId: 'webhook:github',
      groupId: 'webhook',
      runId: 'github-d9-github-webhook',
      input: { source: 'github', event: 'issues', payload: { action: 'reopened' } },
    });
    expect(() =>
      backend.startRun({ task: 'github-webhook', userId: 'u', groupId: 'g', runId: 'github-d9-github-webhook' }),
    ).toThrow(expect.objectContaining({ code: 'RUN_EXISTS' }));
    await expect(done).resolves.toEqual({ source: 'github', event: 'issues', action: 'reopened' });
    const run = (await backend.audit('github-webhook', runId)).find((r) => r.stage === 'run' && r.status === 'success');
    expect(run?.output).toContain('reopened');
    await backend.close();
  });

  it('starts nothing when a handles() throws', async () => {
    class Broken extends WebhookTask {
      handles(): boolean {
        throw new Error('broken');
      }
    }
    const backend = recordingBackend();
    const registry = new TaskRegistry().register('a-first', Everything).register('b-broken', Broken);
    await expect(
      dispatchWebhookEvent(
        { registry, backend },
        { source: 'github', eventType: 'issues', deliveryId: 'd', payload: {} },
      ),
    ).rejects.toThrow('broken');
    expect(backend.starts).toHaveLength(0);
  });

  it('passes a connection failure on (the route answers 503)', async () => {
    const backend = recordingBackend();
    backend.start = () => Promise.reject(new CascadenceError('CONNECTION', 'down'));
    await expect(
      dispatchWebhookEvent(
        { registry: createDefaultRegistry(), backend },
        { source: 'github', eventType: 'issues', deliveryId: 'd', payload: { action: 'opened' } },
      ),
    ).rejects.toMatchObject({ code: 'CONNECTION' });
  });
});

describe('built-in webhook tasks', () => {
  const registry = createDefaultRegistry();
  it('are registered as webhook tasks', () => {
    expect(registry.describe('github-webhook').kind).toBe('webhook');
    expect(registry.describe('calcom-webhook').kind).toBe('webhook');
  });

  it.each<[string, WebhookSource, string, unknown, boolean]>([
    ['github-webhook', 'github', 'issues', { action: 'opened' }, true],
    ['github-webhook', 'github', 'issues', { action: '' }, false],
    ['github-webhook', 'github', 'push', { action: 'opened' }, false],
    ['github-webhook', 'calcom', 'issues', { action: 'opened' }, false],
    ['calcom-webhook', 'calcom', 'booking', { event: 'created' }, true],
    ['calcom-webhook', 'calcom', 'BOOKING_CANCELLED', { triggerEvent: 'BOOKING_CANCELLED' }, true],
    ['calcom-webhook', 'calcom', 'booking', {}, false],
    ['calcom-webhook', 'calcom', 'MEETING_ENDED', { triggerEvent: 'MEETING_ENDED' }, false],
    ['calcom-webhook', 'github', 'booking', { event: 'created' }, false],
  ])('%s handles (%s, %s, %j): %s', (name, source, eventType, payload, expected) => {
    const task = registry.get(name) as WebhookTask;
    expect(task.handles(source, eventType, payload)).toBe(expected);
  });
});
