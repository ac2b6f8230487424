/**
 * The cost of events: the five-stage no-op pipeline on Temporal with NATS JetStream events on
 * (the durable outbox, acknowledged publishes) against events off, in the same run, on one dev
 * server and one real nats-server started here. Two workers, same settings, their own task
 * queues; runs alternate side by side. Then the stage's wait on emission while NATS is down:
 * the time each publish call takes (the sink's synchronous append to the outbox) with the broker
 * up and with it stopped, and run latency in both cases.
 *
 * Targets (information): events on within 5% of off; no wait on emission while NATS is down.
 * Run: `npm run bench -- events-nats`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { installRuntime } from '../src/cli/worker-process';
import { DEV_DYNAMIC_CONFIG, DevServer } from '../src/dev/dev-server';
import { createWorker } from '../src/worker/create-worker';
import { TemporalBackend } from '../src/backends/temporal';
import type { CascadenceEvent, EventBus } from '../src/events/bus';
import { NatsTransport } from '../src/events/nats';
import { NatsServer } from '../test/helpers/nats';
import { NOOP_TASK, noopRegistry } from './lib/noop-task';
import {
  machineLine,
  now,
  pool,
  ratio,
  round,
  runMain,
  summarize,
  table,
  transcript,
  verdict,
  writeResults,
  type Summary,
} from './lib/harness';

const LATENCY_RUNS = Number(process.env.BENCH_EVENTS_LATENCY_RUNS ?? 100);
const BATCH = Number(process.env.BENCH_EVENTS_BATCH ?? 100);
const BATCH_CONCURRENCY = 20;
const BATCH_ROUNDS = 4;
const DOWN_RUNS = Number(process.env.BENCH_EVENTS_DOWN_RUNS ?? 50);
const WARMUP = 10;
/** Events on within 5% of off. */
const TARGET_RATIO = 1.05;
const WORKER_SETTINGS = { shutdownGraceTime: '2s', maxConcurrentActivityTaskExecutions: 100 } as const;

/** A bus that times each publish call (what the worker's sink does on the run's behalf). */
class TimedBus implements EventBus {
  readonly micros: number[] = [];
  constructor(private readonly inner: EventBus) {}
  publish(event: CascadenceEvent): void {
    const t0 = process.hrtime.bigint();
    this.inner.publish(event);
    this.micros.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}

async function main(): Promise<void> {
  const { say, text } = transcript();
  say(machineLine());
  installRuntime();
  const tStart = now();
  const [server, nats] = await Promise.all([
    DevServer.start({ headless: true, dynamicConfig: DEV_DYNAMIC_CONFIG }),
    NatsServer.start(),
  ]);
  const transport = new NatsTransport({
    servers: nats.url,
    subject: `bench${randomUUID().slice(0, 8)}`,
    outboxDir: mkdtempSync(join(tmpdir(), 'cascadence-bench-outbox-')),
    warn: () => undefined,
  }).start();
  const timed = new TimedBus(transport);
  let connection: NativeConnection | undefined;
  const backends: TemporalBackend[] = [];
  const workers: Worker[] = [];
  const running: Array<Promise<void>> = [];
  try {
    connection = await NativeConnection.connect({ address: server.address });
    const registry = noopRegistry();
    const queues = { on: `bench-events-on-${randomUUID()}`, off: `bench-events-off-${randomUUID()}` };
    workers.push(
      await createWorker({ connection, taskQueue: queues.on, registry, events: timed, ...WORKER_SETTINGS }),
      await createWorker({ connection, taskQueue: queues.off, registry, ...WORKER_SETTINGS }),
    );
    for (const w of workers)
      running.push(w.run().catch((err: unknown) => console.error(`worker failed: ${String(err)}`)));
    const side = async (name: 'on' | 'off') => {
      const backend = await TemporalBackend.connect({
        address: server.address,
        namespace: 'default',
        taskQueue: queues[name],
        hashSecret: '',
        registry,
        watchCatalogue: true,
      });
      backends.push(backend);
      return {
        name,
        async once(): Promise<void> {
          const { result } = await backend.run({ task: NOOP_TASK, userId: 'bench-user', groupId: 'bench-group' });
          if (result !== 'ok') throw new Error(`${name}: unexpected result ${JSON.stringify(result)}`);
        },
      };
    };
    const on = await side('on');
    const off = await side('off');
    const sides = [on, off];
    say(
      `events-nats: dev server ${server.address}, nats-server ${nats.url} (JetStream), ready in ${round((now() - tStart) / 1000, 1)} s`,
    );

    for (let i = 0; i < WARMUP; i++) for (const s of sides) await s.once();
    const latency = new Map<string, number[]>([
      ['on', []],
      ['off', []],
    ]);
    for (let i = 0; i < LATENCY_RUNS; i++) {
      for (const s of i % 2 === 0 ? sides : [...sides].reverse()) {
        const t0 = now();
        await s.once();
        latency.get(s.name)?.push(now() - t0);
      }
    }
    const batchMs = new Map<string, number>([
      ['on', 0],
      ['off', 0],
    ]);
    for (let r = 0; r < BATCH_ROUNDS; r++) {
      for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
        const t0 = now();
        await pool(BATCH, BATCH_CONCURRENCY, () => s.once());
        batchMs.set(s.name, (batchMs.get(s.name) ?? 0) + now() - t0);
      }
    }
    const upPublish = summarize(timed.micros.splice(0));
    const lOn = summarize(latency.get('on') ?? []);
    const lOff = summarize(latency.get('off') ?? []);
    const rate = (name: string): number => round((BATCH * BATCH_ROUNDS) / ((batchMs.get(name) ?? 1) / 1000), 1);

    // NATS down: runs go on, events wait in the outbox; how long does each publish call take now?
    // Runs alternate with the events-off side here too: the off side is the control for whatever
    // the long throughput phase left behind (a busier server, a fuller cache).
    await nats.stop();
    const down: number[] = [];
    const control: number[] = [];
    for (let i = 0; i < DOWN_RUNS; i++) {
      for (const s of i % 2 === 0 ? sides : [...sides].reverse()) {
        const t0 = now();
        await s.once();
        (s === on ? down : control).push(now() - t0);
      }
    }
    const downPublish = summarize(timed.micros.splice(0));
    const lDown = summarize(down);
    const lControl = summarize(control);
    const depthWhileDown = transport.outbox.depth;
    await nats.resume();
    const drainStart = now();
    while (transport.outbox.depth > 0 && now() - drainStart < 60_000) await new Promise((r) => setTimeout(r, 50));
    const drainMs = now() - drainStart;

    const checks = {
      latencyP50: { ratio: ratio(lOn.p50, lOff.p50), met: lOn.p50 / lOff.p50 <= TARGET_RATIO },
      latencyP95: { ratio: ratio(lOn.p95, lOff.p95), met: lOn.p95 / lOff.p95 <= TARGET_RATIO },
      throughput: { ratio: ratio(rate('on'), rate('off')), met: rate('on') / rate('off') >= 1 / TARGET_RATIO },
      // "No wait": a publish call while NATS is down costs what it costs while NATS is up (a local append).
      publishWhileDown: {
        ratio: ratio(downPublish.p95, upPublish.p95),
        met: downPublish.p95 <= Math.max(2 * upPublish.p95, upPublish.p95 + 200),
      },
      runWhileDown: { ratio: ratio(lDown.p50, lControl.p50), met: lDown.p50 / lControl.p50 <= TARGET_RATIO },
    };
    say(
      table(
        `five-stage no-op pipeline, NATS JetStream events on vs off: ${LATENCY_RUNS} sequential runs each (latency), ${BATCH_ROUNDS} x ${BATCH} runs at concurrency ${BATCH_CONCURRENCY} each (throughput)`,
        ['metric', 'events on', 'events off', 'ratio on/off', 'target', 'met'],
        [
          ['latency p50 (ms)', lOn.p50, lOff.p50, checks.latencyP50.ratio, '<= 1.05', verdict(checks.latencyP50.met)],
          ['latency p95 (ms)', lOn.p95, lOff.p95, checks.latencyP95.ratio, '<= 1.05', verdict(checks.latencyP95.met)],
          [
            'throughput (runs/s)',
            rate('on'),
            rate('off'),
            checks.throughput.ratio,
            '>= 0.952',
            verdict(checks.throughput.met),
          ],
        ],
      ),
    );
    say(
      table(
        `NATS stopped: ${DOWN_RUNS} sequential runs each, events on and off alternating (events wait in the outbox: ${depthWhileDown} queued; sent ${round(drainMs / 1000, 1)} s after NATS came back)`,
        ['metric', 'NATS down', 'up / events off', 'ratio', 'target', 'met'],
        [
          ['publish call p50 (µs)', downPublish.p50, upPublish.p50, ratio(downPublish.p50, upPublish.p50), '', ''],
          [
            'publish call p95 (µs)',
            downPublish.p95,
            upPublish.p95,
            checks.publishWhileDown.ratio,
            'no wait',
            verdict(checks.publishWhileDown.met),
          ],
          [
            'run latency p50 (ms), events on vs off',
            lDown.p50,
            lControl.p50,
            checks.runWhileDown.ratio,
            '<= 1.05',
            verdict(checks.runWhileDown.met),
          ],
        ],
      ),
    );
    say(
      "targets are information, not assertions; the publish call is the worker sink's synchronous outbox append, off the stage's path.",
    );
    const path = await writeResults('events-nats', {
      settings: { latencyRuns: LATENCY_RUNS, batch: BATCH, batchRounds: BATCH_ROUNDS, downRuns: DOWN_RUNS },
      latencyMs: { on: lOn, off: lOff, natsDown: lDown, offWhileNatsDown: lControl } as Record<string, Summary>,
      runsPerSec: { on: rate('on'), off: rate('off') },
      publishMicros: { up: upPublish, down: downPublish },
      outboxDepthWhileDown: depthWhileDown,
      drainMs: round(drainMs, 0),
      checks,
      totalSeconds: round((now() - tStart) / 1000, 1),
      output: text(),
    });
    console.log(`\nresults: ${path}`);
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
    for (const b of backends) await b.close().catch(() => undefined);
    await transport.close(500).catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await nats.stop();
    await server.stop();
  }
}

runMain(main);
