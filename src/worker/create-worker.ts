/**
 * Composing a Worker: the workflow bundle (prebuilt or bundled here), stage activities over a task
 * registry, a task queue.
 */
import { createHash } from 'node:crypto';
import { CancelledFailure, type Duration } from '@temporalio/common';
import {
  Worker,
  type ActivityInterceptorsFactory,
  type InjectedSinks,
  type NativeConnection,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { EventBus } from '../events/bus';
import type { CascadenceMetrics } from '../metrics/registry';
import { STEPS, type RecordSource, type StepCall } from '../core';
import type { AuditSinks } from '../workflows/messages';
import type { WorkflowInfo } from '@temporalio/workflow';
import { DEFAULT_TASK_QUEUE } from '../core/ids';
import { Client } from '@temporalio/client';
import { createCatalogueActivities } from '../activities/catalogue';
import { createStageActivities } from '../activities/stages';
import { TemporalCatalogue } from '../backends/temporal/catalogue';
import { createCalendarActivities, type CalendarDeps } from '../activities/calendar';
import { createEventDrivenActivities, type EventDrivenDeps } from '../activities/event-driven';
import { CircuitBreakers } from '../activities/circuit-breaker';
import type { TaskRegistry } from '../plugins/registry';
import { createDefaultRegistry } from '../plugins/builtin';
import { loaderOf } from '../plugins/discovery';
import { RegisteredPlugins } from '../plugins/registered';
import { resolveWorkflowBundle } from './bundle';
import { hooksInterceptor } from '../activities/hooks';
import type { Tracing } from '../tracing';
import type { StageHooks } from '../core/task';

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
  /** Most workflow runs cached between their workflow tasks (the SDK's `maxCachedWorkflows`). */
  maxCachedWorkflows?: number;
  /** Where the workflows' audit records are published (default: nowhere; they stay queryable on each run). */
  events?: EventBus;
  /** OpenTelemetry tracing of the workflows and stages (see src/tracing). */
  tracing?: Tracing;
  /** Hooks around every stage this worker runs (each task's own hooks run after them). */
  hooks?: StageHooks[];
  /** A client and UME settings for calendar-driven schedules (their activities are registered only then). */
  calendar?: Omit<CalendarDeps, 'taskQueue'>;
  /**
   * Service URLs (UME, finance engine, research) and a client for the event-driven workflows
   * (their activities are registered only then; they publish follow-ups on `events`).
   */
  eventDriven?: Omit<EventDrivenDeps, 'taskQueue' | 'events'>;
  /** Where run and stage latencies and outcomes are recorded (default: nowhere). */
  metrics?: CascadenceMetrics;
  /**
   * The plugin allowlist of this machine: plugin modules registered at run time (on any machine,
   * recorded in the catalogue) that it permits are loaded when a run asks for one of their tasks.
   * Default: none are loaded.
   */
  pluginAllowlist?: readonly string[];
  /**
   * The workflow code (default: {@link resolveWorkflowBundle} for the tracing interceptors in use:
   * the prebuilt bundle when it is fresh, else bundled in this process).
   */
  workflowBundle?: WorkflowBundleOption;
}

/**
 * Sinks that publish audit records on the event bus, and record run outcomes in `metrics`. They
 * run during replay too: a worker that died with records in its own outbox (on a machine that
 * may not come back) would otherwise lose them; a replayed record has the same event id, so the
 * outbox and JetStream drop the repeat. Metrics have no such id, so replayed outcomes skip them.
 */
export function auditSinks(events: EventBus | undefined, metrics?: CascadenceMetrics): InjectedSinks<AuditSinks> {
  return {
    audit: {
      record: {
        fn: (info, record, source) =>
          events?.publish({
            type: 'audit',
            record,
            source: sourceIn(source ?? { workflowId: info.workflowId, seq: -1 }, info, [
              record.stage,
              record.status,
              record.reason,
              record.output,
            ]),
          }),
        callDuringReplay: true,
      },
      ended: {
        fn: (info, outcome, source) => {
          if (metrics && !info.unsafe.isReplaying)
            metrics.observeRun(outcome.task, outcome.state, outcome.duration_ms / 1000);
          events?.publish({ type: 'run', outcome, source: sourceIn(source, info, [outcome.state, outcome.reason]) });
        },
        callDuringReplay: true,
      },
    },
  };
}

/**
 * `source` with what keeps its events' ids apart from other events' that take the same place:
 * the execution (the start of the first run id of the workflow's chain, so a new workflow under
 * a reused id, such as a DAG node started again, does not take the old one's ids) and a digest
 * of what the record says. A run `task retry` reset goes on from an earlier place in its trail,
 * so its new records take places the failed attempt's had: `verify success` where there was
 * `verify error`, the run's `completed` where there was `failed`. Their digests differ; a record
 * the same as the one it replaces (a stage's start) keeps its id, and is not published twice.
 */
function sourceIn(source: RecordSource, info: WorkflowInfo, says: readonly unknown[]): RecordSource {
  const digest = createHash('sha256').update(JSON.stringify(says)).digest('hex').slice(0, 8);
  return { ...source, execution: info.firstExecutionRunId.slice(0, 8), digest };
}

/**
 * The activity interceptors of a worker, outermost first: each feature (hooks, metrics, tracing)
 * adds its factory here, so they compose in one place.
 */
function activityInterceptors(deps: WorkerDeps, registry: TaskRegistry): ActivityInterceptorsFactory[] {
  // Outermost: the stage's span covers everything else.
  const factories: ActivityInterceptorsFactory[] = [...(deps.tracing?.activityInterceptors() ?? [])];
  // Then metrics: a stage's latency includes its hooks.
  if (deps.metrics) factories.push(stageMetricsInterceptor(deps.metrics));
  factories.push(hooksInterceptor(registry, deps.hooks ?? []));
  return factories;
}

const STEP_TYPES: ReadonlySet<string> = new Set(STEPS);

/**
 * Times every stage activity (the activity type is the stage name) and counts those that throw:
 * one observation per attempt; a cancelled attempt is timed but not counted as a failure.
 */
export function stageMetricsInterceptor(metrics: CascadenceMetrics): ActivityInterceptorsFactory {
  return (ctx) => {
    const stage = ctx.info.activityType;
    if (!STEP_TYPES.has(stage)) return {};
    return {
      inbound: {
        async execute(input, next) {
          const task = (input.args[0] as StepCall | undefined)?.task ?? 'unknown';
          const began = process.hrtime.bigint();
          let failed = false;
          try {
            return await next(input);
          } catch (err) {
            failed = !(err instanceof CancelledFailure);
            throw err;
          } finally {
            metrics.observeStage(task, stage, Number(process.hrtime.bigint() - began) / 1e9, failed);
          }
        },
      },
    };
  };
}

/** The workflow interceptor modules a worker with `deps` bundles in (tracing's, when traced). */
export function workflowInterceptorModules(deps: Pick<WorkerDeps, 'tracing'>): string[] {
  return deps.tracing ? [deps.tracing.workflowModule] : [];
}

/** Creates a worker for the pipeline workflows and stage activities. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const registry = deps.registry ?? createDefaultRegistry();
  const namespace = deps.namespace ?? 'default';
  const taskQueue = deps.taskQueue ?? DEFAULT_TASK_QUEUE;
  // Runs read their task's flags from the catalogue of this queue, through the worker's own connection.
  const catalogue = new TemporalCatalogue(new Client({ connection: deps.connection, namespace }), taskQueue);
  const registered = deps.pluginAllowlist
    ? new RegisteredPlugins(loaderOf(registry), catalogue, deps.pluginAllowlist)
    : undefined;
  // Registrations made before this worker started are loaded now; later ones when a run asks.
  await registered?.sync({ force: true }).catch(() => undefined);
  return Worker.create({
    connection: deps.connection,
    namespace,
    taskQueue,
    // The prebuilt bundle of `npm run build` when it matches the compiled workflows, else bundled here once.
    workflowBundle: deps.workflowBundle ?? (await resolveWorkflowBundle(workflowInterceptorModules(deps))),
    activities: {
      ...createStageActivities({
        registry,
        breakers: deps.breakers ?? new CircuitBreakers(),
        ...(registered ? { ensureTask: (task: string) => registered.ensure(task) } : {}),
      }),
      ...createCatalogueActivities(catalogue),
      ...(deps.calendar ? createCalendarActivities({ ...deps.calendar, taskQueue }) : {}),
      ...(deps.eventDriven
        ? createEventDrivenActivities({
            ...deps.eventDriven,
            taskQueue,
            ...(deps.events ? { events: deps.events } : {}),
          })
        : {}),
    },
    sinks: { ...auditSinks(deps.events, deps.metrics), ...deps.tracing?.sinks() },
    interceptors: { activity: activityInterceptors(deps, registry) },
    shutdownGraceTime: deps.shutdownGraceTime ?? '10s',
    // Stages heartbeat every second; a cancellation reaches a running stage with its next
    // heartbeat sent, so send them at most every 2 s (the SDK's default is 30 s without a heartbeat timeout).
    defaultHeartbeatThrottleInterval: '2s',
    ...(deps.maxConcurrentActivityTaskExecutions === undefined
      ? {}
      : { maxConcurrentActivityTaskExecutions: deps.maxConcurrentActivityTaskExecutions }),
    ...(deps.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: deps.maxCachedWorkflows }),
  });
}
