/**
 * Tracing with OpenTelemetry: Temporal's interceptors (`@temporalio/interceptors-opentelemetry`)
 * on the client, the workflows and the activities, so one trace spans a client's start, the
 * workflow, each stage and every subtask. On when the standard `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: spans go over OTLP/HTTP to that endpoint,
 * named by `OTEL_SERVICE_NAME` (default `cascadence-<role>`). Off, nothing is loaded. One tracer
 * provider per process. Node-only.
 */
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';

/** The workflows' span-export sink. */
export type TracingSinks = InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }>;

/** Whether `env` asks for tracing. */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The process's tracing: what clients and workers add, and how to flush it. */
export interface Tracing {
  /** Client interceptors: the start (and signals, updates, queries) of a workflow as spans, passed on in headers. */
  clientInterceptors(): WorkflowClientInterceptor[];
  /** Activity interceptors: each stage activity as a span, child of the workflow's. */
  activityInterceptors(): ActivityInterceptorsFactory[];
  /** The workflow-side interceptor module, bundled into the workflow code. */
  readonly workflowModule: string;
  /** The sink through which workflows export their spans. */
  sinks(): TracingSinks;
  /** Sends what is buffered. */
  flush(): Promise<void>;
  /** Flushes and stops. */
  shutdown(): Promise<void>;
}

let current: Promise<Tracing> | undefined;

/**
 * The process's tracing when the environment asks for it (created once), else undefined.
 * `role` names the service when `OTEL_SERVICE_NAME` does not (`cascadence-cli`, `cascadence-worker`).
 */
export function processTracing(role: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> | undefined {
  if (!tracingEnabled(env)) return undefined;
  current ??= createTracing(env.OTEL_SERVICE_NAME || `cascadence-${role}`);
  return current;
}

/** Flushes the process's tracing, if any (before a short-lived command exits). */
export async function flushProcessTracing(): Promise<void> {
  await (await current)?.flush();
}

async function createTracing(serviceName: string): Promise<Tracing> {
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { Resource }, otelTemporal] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@temporalio/interceptors-opentelemetry'),
    ]);
  const resource = new Resource({ 'service.name': serviceName });
  // The exporter reads the standard OTEL_EXPORTER_OTLP_* variables (endpoint, headers, timeout).
  const processor = new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the interceptors use the global tracer, context manager and W3C propagator.
  provider.register();
  return {
    clientInterceptors: () => [new otelTemporal.OpenTelemetryWorkflowClientInterceptor()],
    activityInterceptors: () => [
      (ctx) => ({
        inbound: new otelTemporal.OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new otelTemporal.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    workflowModule: require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
    sinks: () => ({ exporter: otelTemporal.makeWorkflowExporter(processor, resource) }),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
