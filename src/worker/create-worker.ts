/**
 * Composing a Worker: bundled workflows, stage activities over a task registry, a task queue.
 */
import type { Duration } from '@temporalio/common';
import {
  Worker,
  type ActivityInterceptorsFactory,
  type InjectedSinks,
  type NativeConnection,
} from '@temporalio/worker';
import type { EventBus } from '../events/bus';
import type { AuditSinks } from '../workflows/messages';
import { DEFAULT_TASK_QUEUE } from '../core/ids';
import { Client } from '@temporalio/client';
import { createCatalogueActivities } from '../activities/catalogue';
import { createStageActivities } from '../activities/stages';
import { TemporalCatalogue } from '../backends/temporal/catalogue';
import { createCalendarActivities, type CalendarDeps } from '../activities/calendar';
import { CircuitBreakers } from '../activities/circuit-breaker';
import type { TaskRegistry } from '../plugins/registry';
import { createDefaultRegistry } from '../plugins/builtin';
import { getWorkflowBundle } from './bundle';

/** What a worker is built from; everything is injected. */
export interface WorkerDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** Tasks this worker can run (default: the built-in tasks). */
  registry?: TaskRegistry;
  /** Circuit breakers shared by the worker's runs (default: a fresh set). */
  breakers?: CircuitBreakers;
  /** Graceful shutdown: how long in-flight activities get to finish before they are cancelled. */
  shutdownGraceTime?: Duration;
  maxConcurrentActivityTaskExecutions?: number;
  /** Where the workflows' audit records are published (default: nowhere; they stay queryable on each run). */
  events?: EventBus;
  /** A client and UME settings for calendar-driven schedules (their activities are registered only then). */
  calendar?: Omit<CalendarDeps, 'taskQueue'>;
}

/**
 * Sinks that publish audit records on the event bus. They run during replay too: a worker that
 * died after a workflow task completed but before its sink calls ran would otherwise lose those
 * records; a replayed record has the same event id, so the outbox and JetStream drop the repeat.
 */
export function auditSinks(events: EventBus | undefined): InjectedSinks<AuditSinks> {
  return {
    audit: {
      record: {
        fn: (info, record, source) =>
          events?.publish({ type: 'audit', record, source: source ?? { workflowId: info.workflowId, seq: -1 } }),
        callDuringReplay: true,
      },
      ended: {
        fn: (_info, outcome, source) => events?.publish({ type: 'run', outcome, source }),
        callDuringReplay: true,
      },
    },
  };
}

/**
 * The activity interceptors of a worker, outermost first: each feature (hooks, metrics, tracing)
 * adds its factory here, so they compose in one place.
 */
function activityInterceptors(_deps: WorkerDeps): ActivityInterceptorsFactory[] {
  const factories: ActivityInterceptorsFactory[] = [];
  return factories;
}

/** Creates a worker for the pipeline workflows and stage activities. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const registry = deps.registry ?? createDefaultRegistry();
  const namespace = deps.namespace ?? 'default';
  const taskQueue = deps.taskQueue ?? DEFAULT_TASK_QUEUE;
  // Runs read their task's flags from the catalogue of this queue, through the worker's own connection.
  const catalogue = new TemporalCatalogue(new Client({ connection: deps.connection, namespace }), taskQueue);
  return Worker.create({
    connection: deps.connection,
    namespace,
    taskQueue,
    workflowBundle: await getWorkflowBundle(),
    activities: {
      ...createStageActivities({ registry, breakers: deps.breakers ?? new CircuitBreakers() }),
      ...createCatalogueActivities(catalogue),
      ...(deps.calendar ? createCalendarActivities({ ...deps.calendar, taskQueue }) : {}),
    },
    sinks: auditSinks(deps.events),
    interceptors: { activity: activityInterceptors(deps) },
    shutdownGraceTime: deps.shutdownGraceTime ?? '10s',
    ...(deps.maxConcurrentActivityTaskExecutions === undefined
      ? {}
      : { maxConcurrentActivityTaskExecutions: deps.maxConcurrentActivityTaskExecutions }),
  });
}
