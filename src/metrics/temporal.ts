/**
 * The Temporal SDK's own worker metrics (task latencies, slots, pollers...) on Cascadence's
 * `/metrics`: the process Runtime records them into a `MetricsBuffer`, drained here into
 * prom-client collectors, so they share the endpoint and the registry of the rest. Node-only.
 */
import { MetricsBuffer, type BufferedMetricUpdate } from '@temporalio/worker';
import type { Metric as PromMetric, MetricValueWithName, Registry } from 'prom-client';

/** Buckets (seconds) of the SDK's duration histograms (it reports durations in seconds here). */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Buckets of its other histograms (counts, sizes). */
const VALUE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
/** How often the buffer is drained between scrapes, so it never fills up (it holds 10,000 updates). */
const DRAIN_EVERY_MS = 1000;
const PREFIX = 'temporal_';

type Labels = Record<string, string>;
/** What a prom-client registry reads from a collector (`get()`). */
interface Snapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: MetricValueWithName<string>[];
}
type Series = { labels: Labels; value: number } | { labels: Labels; counts: number[]; sum: number; count: number };

/**
 * One SDK metric as a prom-client collector: the SDK's updates (counter deltas, gauge values,
 * histogram observations) aggregated per label set. Label sets may differ between updates of the
 * same metric, which prom-client's own classes refuse; `get()` is all a registry needs.
 */
class SdkMetric {
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  private readonly buckets: number[];
  private series = new Map<string, Series>();

  constructor(
    readonly name: string,
    private readonly kind: BufferedMetricUpdate['metric']['kind'],
    description: string | undefined,
    unit: string | undefined,
  ) {
    this.type = kind === 'counter' ? 'counter' : kind === 'histogram' ? 'histogram' : 'gauge';
    this.help = description || `Temporal SDK metric ${name}${unit ? ` (${unit})` : ''}`;
    this.buckets = unit === 's' || /latency|duration/.test(name) ? DURATION_BUCKETS : VALUE_BUCKETS;
  }

  apply(value: number, labels: Labels): void {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let s = this.series.get(key);
    if (!s) {
      s =
        this.kind === 'histogram'
          ? { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }
          : { labels, value: 0 };
      this.series.set(key, s);
    }
    if ('counts' in s) {
      this.buckets.forEach((le, i) => {
        if (value <= le) s.counts[i] = (s.counts[i] ?? 0) + 1;
      });
      s.sum += value;
      s.count += 1;
    } else if (this.kind === 'gauge') {
      s.value = value;
    } else {
      s.value += value; // counters and up-down counters send deltas
    }
  }

  get(): Promise<Snapshot> {
    const values: MetricValueWithName<string>[] = [];
    for (const s of this.series.values()) {
      if (!('counts' in s)) {
        values.push({ labels: s.labels, value: s.value });
        continue;
      }
      this.buckets.forEach((le, i) =>
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: s.counts[i] ?? 0 }),
      );
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values });
  }

  reset(): void {
    this.series = new Map();
  }
}

/**
 * The SDK metrics of a process's Temporal Runtime. Create one with its buffer before
 * `Runtime.install({ telemetryOptions: { metrics: { buffer } } })`; attach registries to it.
 */
export class TemporalSdkMetrics {
  /** The buffer to install the Runtime with. */
  readonly buffer = new MetricsBuffer({ useSecondsForDurations: true });
  private readonly metrics = new Map<string, SdkMetric>();
  private readonly registries = new Set<Registry>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * Drains the buffer every second from now on (the Runtime drops updates past 10,000 and logs
   * an error), whether or not anything is served; call it once the Runtime is installed.
   */
  start(): this {
    this.timer ??= setInterval(() => this.drain(), DRAIN_EVERY_MS).unref();
    return this;
  }

  /** Registers every SDK metric, those seen so far and those to come, in `registry`. */
  attach(registry: Registry): void {
    this.registries.add(registry);
    for (const metric of this.metrics.values()) registry.registerMetric(metric as unknown as PromMetric);
  }

  /** Takes in the updates the Runtime buffered since the last call. */
  drain(): void {
    for (const { metric, value, attributes } of this.buffer.retrieveUpdates()) {
      const name = metric.name.startsWith(PREFIX) ? metric.name : `${PREFIX}${metric.name}`;
      let target = this.metrics.get(name);
      if (!target) {
        target = new SdkMetric(name, metric.kind, metric.description, metric.unit);
        this.metrics.set(name, target);
        for (const registry of this.registries) registry.registerMetric(target as unknown as PromMetric);
      }
      const labels: Labels = {};
      for (const [k, v] of Object.entries(attributes)) labels[k] = String(v);
      target.apply(value, labels);
    }
  }
}
