/**
 * Where a retry resets a workflow, read from histories shaped like the ones pipelines and DAGs
 * record (the integration test recovery.test.ts runs the real thing).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { outlineHistory, planReset } from '../../../../src/backends/temporal/reset-plan';
import { isCascadenceError } from '../../../../src/core/errors';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const E = temporal.api.enums.v1.EventType;

/** Builds a history event by event; ids follow on. */
class History {
  readonly events: HistoryEvent[] = [];
  private lastCompleted = 0;

  // fromObject: ids are int64s (Longs) in the event's type, as in a fetched history.
  private add(eventType: temporal.api.enums.v1.EventType, attrs: Record<string, unknown> = {}): number {
    const eventId = this.events.length + 1;
    this.events.push(temporal.api.history.v1.HistoryEvent.fromObject({ eventId, eventType, ...attrs }));
    return eventId;
  }

  /** A workflow task: scheduled, started, completed. */
  task(): number {
    this.add(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
    this.add(E.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    this.lastCompleted = this.add(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    return this.lastCompleted;
  }

  start(): this {
    this.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    this.task();
    return this;
  }

  schedule(name: string): number {
    return this.add(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: {
        activityType: { name },
        workflowTaskCompletedEventId: this.lastCompleted,
      },
    });
  }

  activityCompleted(scheduledEventId: number): this {
    this.add(E.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    this.add(E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, { activityTaskCompletedEventAttributes: { scheduledEventId } });
    this.task();
    return this;
  }

  activityFailed(scheduledEventId: number): this {
    this.add(E.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    this.add(E.EVENT_TYPE_ACTIVITY_TASK_FAILED, { activityTaskFailedEventAttributes: { scheduledEventId } });
    this.task();
    return this;
  }

  /** A stage that ran and succeeded. */
  stage(name: string): this {
    return this.activityCompleted(this.schedule(name));
  }

  child(workflowId: string): number {
    const initiated = this.add(E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      startChildWorkflowExecutionInitiatedEventAttributes: {
        workflowId,
        workflowTaskCompletedEventId: this.lastCompleted,
      },
    });
    return initiated;
  }

  childStarted(initiatedEventId: number): this {
    this.add(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
      childWorkflowExecutionStartedEventAttributes: { initiatedEventId },
    });
    this.task();
    return this;
  }

  childCompleted(initiatedEventId: number): this {
    this.add(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
      childWorkflowExecutionCompletedEventAttributes: { initiatedEventId },
    });
    this.task();
    return this;
  }

  childFailed(initiatedEventId: number): this {
    this.add(E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, {
      childWorkflowExecutionFailedEventAttributes: { initiatedEventId },
    });
    this.task();
    return this;
  }

  localStage(name: string, failed = false): number {
    return this.add(E.EVENT_TYPE_MARKER_RECORDED, {
      markerRecordedEventAttributes: {
        markerName: 'core_local_activity',
        workflowTaskCompletedEventId: this.lastCompleted,
        details: { data: { payloads: [defaultPayloadConverter.toPayload({ seq: 1, activity_type: name })] } },
        ...(failed ? { failure: { message: 'boom' } } : {}),
      },
    });
  }

  failWorkflow(): this {
    this.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    return this;
  }

  completeWorkflow(): this {
    this.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    return this;
  }

  get lastTask(): number {
    return this.lastCompleted;
  }
}

/** A pipeline whose stages before `failing` succeed and `failing` fails. */
function pipelineFailingAt(failing: string): { history: History; failingTask: number } {
  const history = new History().start();
  for (const stage of ['intake', 'research', 'plan', 'run', 'verify']) {
    if (stage === failing) {
      const failingTask = history.lastTask;
      history.activityFailed(history.schedule(stage)).failWorkflow();
      return { history, failingTask };
    }
    history.stage(stage);
  }
  throw new Error(`no stage ${failing}`);
}

const run = { role: 'run', label: 'run r' } as const;

function validationError(fn: () => unknown): { message: string; hint?: string } {
  try {
    fn();
  } catch (err) {
    if (isCascadenceError(err) && err.code === 'VALIDATION') return { message: err.message, hint: err.hint ?? '' };
    throw err;
  }
  throw new Error('no error');
}

describe('planReset', () => {
  it('goes back to the workflow task that scheduled the failed stage', () => {
    const { history, failingTask } = pipelineFailingAt('verify');
    expect(planReset(history.events, 'failed', run)).toEqual({
      resetTo: failingTask,
      from: 'verify',
      reapplyNone: false,
      children: [],
      passFrom: false,
      restarted: [],
    });
  });

  it('goes back to the stage asked for, and refuses one that never ran', () => {
    const { history } = pipelineFailingAt('run');
    expect(planReset(history.events, 'failed', { ...run, from: 'intake' })).toMatchObject({
      resetTo: 4,
      from: 'intake',
    });
    const err = validationError(() => planReset(history.events, 'failed', { ...run, from: 'verify' }));
    expect(err.message).toBe('stage verify did not run in run r');
    expect(err.hint).toBe('stages that ran: intake, research, plan, run');
  });

  it('leaves a completed run alone, and completes a completed child again', () => {
    const history = new History().start().stage('run');
    history.completeWorkflow();
    expect(validationError(() => planReset(history.events, 'completed', run)).message).toBe(
      'run r completed: there is nothing to retry',
    );
    expect(planReset(history.events, 'completed', { role: 'child', label: 'c' })).toMatchObject({
      resetTo: history.lastTask,
      from: 'end',
      children: [],
    });
  });

  it('keeps a failed DAG node started and retries it, reapplying nothing', () => {
    const history = new History().start();
    const a = history.child('dag/a');
    history.childStarted(a).childCompleted(a);
    const b = history.child('dag/b');
    history.childStarted(b);
    const beforeFailure = history.lastTask;
    history.childFailed(b).failWorkflow();
    expect(planReset(history.events, 'failed', run)).toEqual({
      resetTo: beforeFailure,
      from: 'children',
      reapplyNone: true,
      children: ['dag/b'],
      passFrom: false,
      restarted: [],
    });
    // A stage asked for is the failed node's.
    expect(planReset(history.events, 'failed', { ...run, from: 'verify' })).toMatchObject({ passFrom: true });
  });

  it('reconnects every node open when the first one failed, the completed ones included', () => {
    const history = new History().start();
    const slow = history.child('dag/slow');
    const b = history.child('dag/b');
    history.childStarted(slow).childStarted(b);
    const beforeFailure = history.lastTask;
    history.childFailed(b).childCompleted(slow).failWorkflow();
    expect(planReset(history.events, 'failed', run)).toMatchObject({
      resetTo: beforeFailure,
      reapplyNone: true,
      children: ['dag/slow', 'dag/b'],
    });
  });

  it('retries a stuck run: its open stage, else the children it waits for', () => {
    const stuck = new History().start().stage('intake');
    const pending = stuck.lastTask;
    stuck.schedule('research');
    expect(planReset(stuck.events, 'running', run)).toMatchObject({ resetTo: pending, from: 'research' });

    const waiting = new History().start();
    const child = waiting.child('p/0-sub');
    waiting.childStarted(child);
    expect(planReset(waiting.events, 'running', run)).toEqual({
      from: 'children',
      reapplyNone: false,
      children: ['p/0-sub'],
      passFrom: false,
      restarted: [],
    });

    const paused = new History().start().stage('intake');
    expect(validationError(() => planReset(paused.events, 'running', run)).message).toBe(
      'run r is running and waits for nothing that failed',
    );
  });

  it('retries a failed local-activity stage from the workflow task that ran it', () => {
    const history = new History().start();
    history.localStage('intake');
    const beforeFailure = history.task();
    history.localStage('run', true);
    history.task();
    history.failWorkflow();
    expect(outlineHistory(history.events).items.map((i) => [i.name, i.outcome])).toEqual([
      ['intake', 'succeeded'],
      ['run', 'failed'],
    ]);
    expect(planReset(history.events, 'failed', run)).toMatchObject({ resetTo: beforeFailure, from: 'run' });
  });

  it('retries the last stage when the workflow failed after every stage succeeded (a precheck that said no)', () => {
    const history = new History().start().stage('intake');
    const beforePrecheck = history.lastTask;
    history.stage('precheck');
    history.failWorkflow();
    expect(planReset(history.events, 'failed', run)).toMatchObject({ resetTo: beforePrecheck, from: 'precheck' });
  });

  it('names the subtasks that start again from their beginning', () => {
    const history = new History().start();
    const a = history.child('p/0-a');
    history.childStarted(a);
    const b = history.schedule('inline');
    const beforeFailure = history.lastTask;
    history.activityFailed(b);
    const c = history.child('p/1-c');
    history.childStarted(c).childCompleted(a).childCompleted(c).failWorkflow();
    // The inline node failed first: it runs again from the task that scheduled it, and the child
    // open then (a, completed since) is reconnected by reapplying its completion.
    expect(planReset(history.events, 'failed', run)).toMatchObject({
      resetTo: beforeFailure,
      from: 'inline',
      reapplyNone: false,
      restarted: ['p/1-c'],
    });
  });
});
