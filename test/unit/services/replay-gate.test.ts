/**
 * The replay gate's query, report and error, without a server (the gate itself runs in
 * test/integration/replay-gate.test.ts and over the whole suite's histories in its teardown).
 */
import { closedRunsQuery } from '../../../src/backends/temporal/visibility';
import { exitCodeFor } from '../../../src/core/errors';
import {
  REPLAYED_WORKFLOW_TYPES,
  formatReplayGateReport,
  replayGateError,
  type ReplayGateReport,
} from '../../../src/services/replay-gate';

it('replays every workflow type the worker registers', () => {
  expect(REPLAYED_WORKFLOW_TYPES).toEqual([
    'calendarEventWorkflow',
    'calendarScheduleWorkflow',
    'catalogueWorkflow',
    'dagWorkflow',
    'financeDecisionWorkflow',
    'pipelineWorkflow',
  ]);
});

it('asks visibility for closed runs of those types, of a task (and its calendar workflow), since a time, on a queue', () => {
  expect(closedRunsQuery({ types: ['pipelineWorkflow', 'dagWorkflow'] })).toBe(
    "ExecutionStatus != 'Running' AND WorkflowType IN ('pipelineWorkflow', 'dagWorkflow')",
  );
  expect(
    closedRunsQuery({
      types: ['pipelineWorkflow'],
      task: "it's",
      closedAfter: new Date('2026-12-01T00:00:00Z'),
      taskQueue: 'blue',
    }),
  ).toBe(
    "ExecutionStatus != 'Running' AND WorkflowType IN ('pipelineWorkflow') AND " +
      "(CascadenceTask = 'it\\'s' OR WorkflowId = 'cascadence-it\\'s-calendar') AND " +
      "CloseTime >= '2026-12-01T00:00:00.000Z' AND TaskQueue = 'blue'",
  );
});

const report = (failures: ReplayGateReport['failures']): ReplayGateReport => ({
  query: '',
  replayed: 3,
  ok: 3 - failures.length,
  failed: failures.length,
  skipped: 0,
  types: { pipelineWorkflow: 2, dagWorkflow: 1 },
  concurrency: 4,
  failures,
});

it('summarises a clean gate in one line, and no error', () => {
  expect(formatReplayGateReport(report([]))).toEqual([
    'replayed 3 closed runs (dagWorkflow 1, pipelineWorkflow 2), 4 at a time: 3 ok, 0 no longer replay',
  ]);
  expect(replayGateError(report([]))).toBeUndefined();
  expect(formatReplayGateReport({ ...report([]), replayed: 0, ok: 0, types: {} })).toEqual([
    'no closed runs to replay',
  ]);
});

it('names each run that no longer replays and its first mismatching event; the error exits 5', () => {
  const failed = report([
    {
      workflow_id: 'example-r1',
      run_id: 'abc',
      cascadence_run_id: 'r1',
      task: 'example',
      type: 'pipelineWorkflow',
      status: 'completed',
      closed: '2026-12-01T10:00:00.000Z',
      kind: 'DeterminismViolationError',
      error: '[TMPRL1100] Nondeterminism error: boom',
      event: { id: 5, type: 'ActivityTaskScheduled', detail: 'intake' },
    },
  ]);
  expect(formatReplayGateReport(failed)).toEqual([
    'replayed 3 closed runs (dagWorkflow 1, pipelineWorkflow 2), 4 at a time: 2 ok, 1 no longer replays',
    'FAIL example-r1 (run abc, pipelineWorkflow, completed 2026-12-01T10:00:00.000Z): event 5 ActivityTaskScheduled (intake): [TMPRL1100] Nondeterminism error: boom',
  ]);
  const err = replayGateError(failed);
  expect(err).toMatchObject({
    code: 'REPLAY_MISMATCH',
    message:
      '1 of 3 closed runs no longer replay against this workflow code: example-r1 at event 5 ActivityTaskScheduled (intake)',
    data: failed.failures,
  });
  expect(exitCodeFor(err?.code)).toBe(5);
});
