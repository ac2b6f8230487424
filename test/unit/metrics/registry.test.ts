import { register as globalRegistry } from 'prom-client';
import type { BufferedMetricUpdate } from '@temporalio/worker';
import { CascadenceMetrics, LATENCY_BUCKETS, runMetricsBus, TemporalSdkMetrics } from '../../../src/metrics';
import { MemoryTransport } from '../../../src/events/bus';
import { auditSinks } from '../../../src/worker/create-worker';
import type { RunOutcome } from '../../../src/core';

const outcome = (task: string, state: RunOutcome['state'], ms: number): RunOutcome => ({
  task,
  run_id: 'r',
  user_hash: 'u',
  group_hash: 'g',
  state,
  time: new Date(0).toISOString(),
  duration_ms: ms,
});

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('CascadenceMetrics', () => {
  it('keeps its metrics in its own registry, never the global one', async () => {
    const a = new CascadenceMetrics();
    const b = new CascadenceMetrics();
    a.observeRun('example', 'completed', 0.001);
    expect(sample(await a.metrics(), 'task_success_total{task_name="example"}')).toBe(1);
    expect(sample(await b.metrics(), 'task_success_total{task_name="example"}')).toBeUndefined();
    expect(await globalRegistry.metrics()).not.toContain('task_success_total');
  });

  it('names, helps and labels the task metrics as the original does, with its buckets', async () => {
    const m = new CascadenceMetrics();
    m.observeRun('example', 'completed', 0.003);
    m.observeRun('example', 'failed', 2);
    m.observeRun('example', 'precheck_failed', 0.2);
    const text = await m.metrics();
    expect(text).toContain(
      '# HELP task_latency_seconds Time spent executing tasks\n# TYPE task_latency_seconds histogram',
    );
    expect(text).toContain('# HELP task_success_total Total number of tasks completed successfully');
    expect(text).toContain('# HELP task_failure_total Total number of tasks that raised an exception');
    expect(sample(text, 'task_success_total{task_name="example"}')).toBe(1);
    expect(sample(text, 'task_failure_total{task_name="example"}')).toBe(2);
    expect(sample(text, 'task_latency_seconds_bucket{le="0.005",task_name="example"}')).toBe(1);
    expect(sample(text, 'task_latency_seconds_bucket{le="0.25",task_name="example"}')).toBe(2);
    expect(sample(text, 'task_latency_seconds_bucket{le="+Inf",task_name="example"}')).toBe(3);
    expect(sample(text, 'task_latency_seconds_sum{task_name="example"}')).toBeCloseTo(2.203);
    const les = [...text.matchAll(/^task_latency_seconds_bucket\{le="([^"]+)"/gm)].map((x) => x[1]);
    expect(les).toEqual([...LATENCY_BUCKETS.map(String), '+Inf']);
    expect(LATENCY_BUCKETS).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
  });

  it('labels stage metrics by task and stage, counting failures apart', async () => {
    const m = new CascadenceMetrics();
    m.observeStage('example', 'run', 0.02, false);
    m.observeStage('example', 'run', 0.5, true);
    m.observeStage('example', 'verify', 0.001, false);
    const text = await m.metrics();
    expect(sample(text, 'cascadence_stage_latency_seconds_count{task_name="example",stage="run"}')).toBe(2);
    expect(sample(text, 'cascadence_stage_latency_seconds_bucket{le="0.025",task_name="example",stage="run"}')).toBe(1);
    expect(sample(text, 'cascadence_stage_failure_total{task_name="example",stage="run"}')).toBe(1);
    expect(sample(text, 'cascadence_stage_failure_total{task_name="example",stage="verify"}')).toBeUndefined();
  });

  it('reports watched outboxes (depth, drops that survive unwatching) and what their observer hears', async () => {
    const m = new CascadenceMetrics();
    const a = { outbox: { depth: 3, dropped: 1 } };
    const b = { outbox: { depth: 2, dropped: 4 } };
    m.watchOutbox(a);
    const unwatchB = m.watchOutbox(b);
    const observer = m.outboxObserver();
    observer.sent(10, 0.004);
    observer.sent(5, 0.2);
    observer.failed();
    let text = await m.metrics();
    expect(sample(text, 'cascadence_outbox_depth')).toBe(5);
    expect(sample(text, 'cascadence_outbox_dropped_total')).toBe(5);
    expect(sample(text, 'cascadence_outbox_published_total')).toBe(15);
    expect(sample(text, 'cascadence_outbox_publish_failures_total')).toBe(1);
    expect(sample(text, 'cascadence_outbox_publish_latency_seconds_count')).toBe(2);
    expect(sample(text, 'cascadence_outbox_publish_latency_seconds_bucket{le="0.005"}')).toBe(1);
    expect(text).toContain('# TYPE cascadence_outbox_dropped_total counter');
    unwatchB();
    a.outbox.depth = 0;
    text = await m.metrics();
    expect(sample(text, 'cascadence_outbox_depth')).toBe(0);
    expect(sample(text, 'cascadence_outbox_dropped_total')).toBe(5);
  });
});

describe('runMetricsBus', () => {
  it('counts the run outcomes passing through and forwards every event', async () => {
    const m = new CascadenceMetrics();
    const inner = new MemoryTransport();
    const bus = runMetricsBus(m, inner);
    bus.publish({ type: 'run', outcome: outcome('t', 'failed', 30), source: { workflowId: 'w', seq: 1 } });
    expect(inner.events).toHaveLength(1);
    expect(sample(await m.metrics(), 'task_failure_total{task_name="t"}')).toBe(1);
    expect(sample(await m.metrics(), 'task_latency_seconds_sum{task_name="t"}')).toBeCloseTo(0.03);
  });
});

describe('auditSinks', () => {
  const ended = (m: CascadenceMetrics, isReplaying: boolean) => {
    const sink = auditSinks(undefined, m).audit.ended;
    void sink.fn(
      { workflowId: 'w', firstExecutionRunId: '0a1b2c3d-run', unsafe: { isReplaying } } as never,
      outcome('example', 'completed', 1500),
      {
        workflowId: 'w',
        seq: 9,
      },
    );
  };

  it('records a run outcome once, not again when the workflow replays', async () => {
    const m = new CascadenceMetrics();
    ended(m, false);
    ended(m, true);
    const text = await m.metrics();
    expect(sample(text, 'task_success_total{task_name="example"}')).toBe(1);
    expect(sample(text, 'task_latency_seconds_sum{task_name="example"}')).toBe(1.5);
  });

  it('still publishes replayed outcomes (their event ids make repeats harmless)', () => {
    const bus = new MemoryTransport();
    void auditSinks(bus).audit.ended.fn(
      { workflowId: 'w', firstExecutionRunId: '0a1b2c3d-run', unsafe: { isReplaying: true } } as never,
      outcome('x', 'failed', 1),
      {
        workflowId: 'w',
        seq: 1,
      },
    );
    expect(bus.events.map((e) => e.type)).toEqual(['run']);
    // The event id carries the workflow's execution (the start of its first run id) and a digest.
    expect(bus.events[0]).toMatchObject({ source: { workflowId: 'w', seq: 1, execution: '0a1b2c3d' } });
  });
});

describe('TemporalSdkMetrics', () => {
  const update = (
    name: string,
    kind: BufferedMetricUpdate['metric']['kind'],
    value: number,
    attributes: Record<string, string | number | boolean>,
    unit?: string,
  ): BufferedMetricUpdate =>
    ({ metric: { name, kind, valueType: 'float', description: `the ${name}`, unit }, value, attributes }) as never;

  it('aggregates the SDK buffer into the registries attached, under temporal_ names', async () => {
    const sdk = new TemporalSdkMetrics();
    const updates = [
      update('temporal_worker_task_slots_available', 'gauge', 5, { task_queue: 'q', worker_type: 'ActivityWorker' }),
      update('temporal_worker_task_slots_available', 'gauge', 4, { task_queue: 'q', worker_type: 'ActivityWorker' }),
      update('temporal_activity_execution_latency', 'histogram', 0.02, { activity_type: 'run' }, 's'),
      update('temporal_activity_execution_latency', 'histogram', 3, { activity_type: 'run' }, 's'),
      update('workflow_completed', 'counter', 1, { workflow_type: 'pipelineWorkflow' }),
      update('workflow_completed', 'counter', 2, { workflow_type: 'pipelineWorkflow', extra: true }),
      update('temporal_num_pollers', 'up-down-counter', 2, {}),
      update('temporal_num_pollers', 'up-down-counter', -1, {}),
    ];
    jest.spyOn(sdk.buffer, 'retrieveUpdates').mockReturnValueOnce(updates.values());
    const m = new CascadenceMetrics();
    m.includeTemporal(sdk);
    const text = await m.metrics();
    expect(text).toContain('# TYPE temporal_worker_task_slots_available gauge');
    expect(sample(text, 'temporal_worker_task_slots_available{task_queue="q",worker_type="ActivityWorker"}')).toBe(4);
    expect(text).toContain('# HELP temporal_activity_execution_latency the temporal_activity_execution_latency');
    expect(text).toContain('# TYPE temporal_activity_execution_latency histogram');
    expect(sample(text, 'temporal_activity_execution_latency_bucket{activity_type="run",le="0.025"}')).toBe(1);
    expect(sample(text, 'temporal_activity_execution_latency_bucket{activity_type="run",le="+Inf"}')).toBe(2);
    expect(sample(text, 'temporal_activity_execution_latency_count{activity_type="run"}')).toBe(2);
    expect(sample(text, 'temporal_activity_execution_latency_sum{activity_type="run"}')).toBeCloseTo(3.02);
    // An unprefixed name gets the prefix; label sets may differ between updates of one metric.
    expect(text).toContain('# TYPE temporal_workflow_completed counter');
    expect(sample(text, 'temporal_workflow_completed{workflow_type="pipelineWorkflow"}')).toBe(1);
    expect(sample(text, 'temporal_workflow_completed{workflow_type="pipelineWorkflow",extra="true"}')).toBe(2);
    expect(sample(text, 'temporal_num_pollers')).toBe(1);
    // A registry attached later gets the metrics seen so far.
    const later = new CascadenceMetrics();
    later.includeTemporal(sdk);
    expect(sample(await later.metrics(), 'temporal_num_pollers')).toBe(1);
  });
});
