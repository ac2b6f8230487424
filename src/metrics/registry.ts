/**
 * Cascadence's Prometheus metrics: run and stage latency and outcomes, the event outbox, and the
 * Temporal SDK's own worker metrics, in one prom-client `Registry` per owner (never the global one).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from '../events/bus';
import type { OutboxObserver } from '../events/outbox-transport';
import type { TemporalSdkMetrics } from './temporal';

/**
 * Buckets of the task and stage latency histograms, in seconds: the Python client's defaults
 * (the original's `task_latency_seconds`), set explicitly because prom-client's differ.
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** How a run ended, as run outcomes state it. */
export type RunState = 'completed' | 'failed' | 'precheck_failed';

/** An event transport whose outbox the metrics report (an `OutboxTransport`). */
export interface OutboxSource {
  readonly outbox: { readonly depth: number; readonly dropped: number };
}

/** The metrics of one process (a worker, a CLI command): create one, feed it, serve `registry`. */
export class CascadenceMetrics {
  /** The registry every metric here is registered in. */
  readonly registry = new Registry();
  /** `task_latency_seconds{task_name}`: a run's duration, whatever its outcome. */
  readonly taskLatency: Histogram<'task_name'>;
  /** `task_success_total{task_name}`: runs that completed. */
  readonly taskSuccess: Counter<'task_name'>;
  /** `task_failure_total{task_name}`: runs that failed (a precheck refusal included). */
  readonly taskFailure: Counter<'task_name'>;
  /** `cascadence_stage_latency_seconds{task_name,stage}`: one stage attempt, whatever its outcome. */
  readonly stageLatency: Histogram<'task_name' | 'stage'>;
  /** `cascadence_stage_failure_total{task_name,stage}`: stage attempts that threw (each retry counts). */
  readonly stageFailure: Counter<'task_name' | 'stage'>;
  /** `cascadence_outbox_publish_latency_seconds`: time a batch of events took to be acknowledged. */
  readonly outboxPublishLatency: Histogram;
  /** `cascadence_outbox_published_total`: events the broker acknowledged. */
  readonly outboxPublished: Counter;
  /** `cascadence_outbox_publish_failures_total`: failed sends (each is retried). */
  readonly outboxPublishFailures: Counter;
  private readonly outboxes = new Set<OutboxSource>();
  /** Drops counted by outboxes that are no longer watched (the counter never goes down). */
  private droppedBefore = 0;
  private temporal: TemporalSdkMetrics | undefined;

  constructor() {
    const registers = [this.registry];
    this.taskLatency = new Histogram({
      name: 'task_latency_seconds',
      help: 'Time spent executing tasks',
      labelNames: ['task_name'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.taskSuccess = new Counter({
      name: 'task_success_total',
      help: 'Total number of tasks completed successfully',
      labelNames: ['task_name'],
      registers,
    });
    this.taskFailure = new Counter({
      name: 'task_failure_total',
      help: 'Total number of tasks that raised an exception',
      labelNames: ['task_name'],
      registers,
    });
    this.stageLatency = new Histogram({
      name: 'cascadence_stage_latency_seconds',
      help: 'Time spent in one attempt of a pipeline stage',
      labelNames: ['task_name', 'stage'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.stageFailure = new Counter({
      name: 'cascadence_stage_failure_total',
      help: 'Total number of stage attempts that raised an error',
      labelNames: ['task_name', 'stage'],
      registers,
    });
    const outboxes = this.outboxes;
    const dropped = (): number => this.droppedBefore + [...outboxes].reduce((n, t) => n + t.outbox.dropped, 0);
    new Gauge({
      name: 'cascadence_outbox_depth',
      help: 'Events in the outbox waiting to be sent',
      registers,
      collect() {
        this.set([...outboxes].reduce((n, t) => n + t.outbox.depth, 0));
      },
    });
    new Counter({
      name: 'cascadence_outbox_dropped_total',
      help: 'Events dropped because the outbox was full',
      registers,
      collect() {
        this.reset();
        this.inc(dropped());
      },
    });
    this.outboxPublishLatency = new Histogram({
      name: 'cascadence_outbox_publish_latency_seconds',
      help: 'Time from sending a batch of outbox events to its acknowledgement',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.outboxPublished = new Counter({
      name: 'cascadence_outbox_published_total',
      help: 'Outbox events acknowledged by the broker',
      registers,
    });
    this.outboxPublishFailures = new Counter({
      name: 'cascadence_outbox_publish_failures_total',
      help: 'Failed sends of outbox events (each is retried)',
      registers,
    });
  }

  /** Records a finished run: its latency, and a success or a failure. */
  observeRun(task: string, state: RunState, seconds: number): void {
    this.taskLatency.observe({ task_name: task }, seconds);
    (state === 'completed' ? this.taskSuccess : this.taskFailure).inc({ task_name: task });
  }

  /** Records one stage attempt: its latency and, when it threw, a failure. */
  observeStage(task: string, stage: string, seconds: number, failed: boolean): void {
    this.stageLatency.observe({ task_name: task, stage }, seconds);
    if (failed) this.stageFailure.inc({ task_name: task, stage });
  }

  /** An observer to give an outbox transport (`observer` option): it feeds the publish metrics. */
  outboxObserver(): OutboxObserver {
    return {
      sent: (count, seconds) => {
        this.outboxPublished.inc(count);
        this.outboxPublishLatency.observe(seconds);
      },
      failed: () => this.outboxPublishFailures.inc(),
    };
  }

  /** Reports `source`'s outbox depth and drops from now on; the returned function stops that. */
  watchOutbox(source: OutboxSource): () => void {
    this.outboxes.add(source);
    return () => {
      if (this.outboxes.delete(source)) this.droppedBefore += source.outbox.dropped;
    };
  }

  /** Includes the Temporal SDK's worker metrics (the process Runtime's) in this registry. */
  includeTemporal(temporal: TemporalSdkMetrics): void {
    if (this.temporal === temporal) return;
    this.temporal = temporal;
    temporal.attach(this.registry);
  }

  /** Content type of {@link metrics}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Everything in the Prometheus text format (the SDK's latest updates taken in first). */
  async metrics(): Promise<string> {
    this.temporal?.drain();
    return this.registry.metrics();
  }
}

/** Whether `bus` goes through an outbox (an `OutboxTransport`), whose depth and drops can be watched. */
export function hasOutbox(bus: EventBus | undefined): bus is EventBus & OutboxSource {
  return typeof (bus as Partial<OutboxSource> | undefined)?.outbox?.depth === 'number';
}

/**
 * An event bus that records the run outcomes passing through it in `metrics`, then hands every
 * event to `inner` (if any), whose outbox it reports while open: how in-process backends, which
 * report outcomes as `run` events, feed the task and outbox metrics.
 */
export function runMetricsBus(metrics: CascadenceMetrics, inner?: EventBus): EventBus {
  const unwatch = hasOutbox(inner) ? metrics.watchOutbox(inner) : undefined;
  return {
    publish(event) {
      if (event.type === 'run')
        metrics.observeRun(event.outcome.task, event.outcome.state, event.outcome.duration_ms / 1000);
      inner?.publish(event);
    },
    async close() {
      await inner?.close?.();
      unwatch?.();
    },
  };
}
