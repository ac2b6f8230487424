/**
 * Heartbeats of the stage activities (no server): the keep-alive resends the last details a stage
 * gave (starting from the previous attempt's), a retry sees those details in
 * `ctx.heartbeatDetails`, and a lightweight DAG node's failures are final (Temporal retries the
 * node only when its worker is lost).
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { HEARTBEAT_EVERY_MS, startHeartbeat } from '../../../src/activities/heartbeat';
import { createStageActivities } from '../../../src/activities/stages';
import type { PipelineRequest, StageContext, StepCall } from '../../../src/core';
import { TaskRegistry } from '../../../src/plugins/registry';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake activity context recording what each heartbeat sent. */
function fakeContext(previous?: unknown): { ctx: Pick<Context, 'heartbeat' | 'info'>; sent: unknown[] } {
  const sent: unknown[] = [];
  const ctx = { heartbeat: (d?: unknown) => void sent.push(d), info: { heartbeatDetails: previous } };
  return { ctx: ctx as unknown as Pick<Context, 'heartbeat' | 'info'>, sent };
}

describe('startHeartbeat', () => {
  it('resends the previous attempt details until the activity reports its own, then those', async () => {
    const { ctx, sent } = fakeContext({ done: 2 });
    const beats = startHeartbeat(ctx, 10);
    await sleep(35);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((d) => JSON.stringify(d) === '{"done":2}')).toBe(true);
    beats.beat({ done: 3 });
    beats.beat(); // a bare liveness call keeps the last details
    const from = sent.length - 2;
    await sleep(35);
    beats.stop();
    expect(sent.slice(from).every((d) => JSON.stringify(d) === '{"done":3}')).toBe(true);
    const stopped = sent.length;
    await sleep(30);
    expect(sent.length).toBe(stopped);
  });

  it('sends no details on a first attempt before the activity gives some', async () => {
    const { ctx, sent } = fakeContext();
    const beats = startHeartbeat(ctx, 10);
    await sleep(25);
    beats.stop();
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((d) => d === undefined)).toBe(true);
  });
});

describe('stage activities', () => {
  const seen: Array<Pick<StageContext, 'attempt' | 'heartbeatDetails'>> = [];
  const registry = new TaskRegistry()
    .register('progress', {
      async run(ctx) {
        seen.push({ attempt: ctx.attempt, heartbeatDetails: ctx.heartbeatDetails });
        ctx.heartbeat({ rows: 10 });
        // Longer than the keep-alive's period: the keep-alive must resend { rows: 10 }.
        await sleep(HEARTBEAT_EVERY_MS + 300);
        return 'ok';
      },
    })
    .register('broken', {
      options: { retry: { maximumAttempts: 1 } },
      run: () => {
        throw new Error('boom');
      },
    });
  const activities = createStageActivities({ registry });
  const call: StepCall = {
    task: 'progress',
    step: 'run',
    runId: 'r1',
    userHash: 'u',
    groupHash: 'g',
    input: undefined,
    context: [],
  };

  it('gives a retry the previous attempt details, and the keep-alive never erases the latest', async () => {
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { rows: 4 } });
    const sent: unknown[] = [];
    env.on('heartbeat', (d: unknown) => sent.push(d));
    expect(await env.run(activities.run, call)).toBe('ok');
    expect(seen.at(-1)).toEqual({ attempt: 2, heartbeatDetails: { rows: 4 } });
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every((d) => JSON.stringify(d) === '{"rows":10}')).toBe(true);
  });

  it('has no details on a first attempt', async () => {
    const env = new MockActivityEnvironment({ attempt: 1 });
    await env.run(activities.run, call);
    expect(seen.at(-1)).toEqual({ attempt: 1, heartbeatDetails: undefined });
  });

  it('fails a lightweight node for good on a failure its pipeline reported (only a lost worker is retried)', async () => {
    const request: PipelineRequest = { task: 'broken', runId: 'r2', userHash: 'u', groupHash: 'g' };
    let err: unknown;
    try {
      await new MockActivityEnvironment().run(activities.runPipelineInline, request);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: true });
    expect((err as Error).message).toMatch(/boom/);
  });
});
