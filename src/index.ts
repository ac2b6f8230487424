/**
 * Cascadence's public API: the task model, the worker, the backends and the CLI entry.
 */
export * from './core';
export {
  TaskRegistry,
  createDefaultRegistry,
  ExampleTask,
  GitHubWebhookTask,
  CalComWebhookTask,
  D0tTinoTask,
  createProviders,
  httpResearchProvider,
  commandPlanProvider,
  type D0tTinoOptions,
  type ResearchRequest,
  type PlanRequest,
  type Providers,
  type TaskClass,
} from './plugins';
export { createWorker, getWorkflowBundle, type WorkerDeps } from './worker';
export { createStageActivities, createStageRunner, CircuitBreakers } from './activities';
export { createBackend, type Backend, type RunRequest, type RunOutcome, type TaskInfo } from './backends';
export { loadConfig, type CascadenceConfig } from './config';
export { hashId } from './events';
export { DevServer } from './dev';
export { main } from './cli';
export { dag, DagBuilder, loadDag, parseDagText, type NodeOptions } from './dag';
export { BaseBackend } from './backends/base';
export { TaskStateStore } from './runtime/task-state';
export { MemoryAuditStore, JsonlAuditStore } from './events/audit-store';
export { loadTaskModules } from './plugins/task-modules';
export { runHooked, loggingHooks, TimingHooks, builtinHooks, type HookLog } from './activities/hooks';
export { NatsTransport, subscribeNats } from './events/nats';
export { GrpcTransport, UmeGrpcServer, subscribeGrpc, loadGrpcStub } from './events/grpc';
export { OutboxTransport, type Sender } from './events/outbox-transport';
export { MemoryTransport, LogTransport, type CascadenceEvent, type EventBus } from './events/bus';
export type { AnyUmeEvent, UmeEventType } from './events/ume';
export { CascadenceMetrics } from './metrics';
export { PointerStore, IdeaStore, TaskStore } from './stores';
export { subscribeEvents } from './services/subscribe';
export {
  dispatch,
  knownEvents,
  EVENT_WORKFLOWS,
  type DispatchOptions,
  type DispatchOutcome,
} from './services/dispatch';
export { receiveWebhook, dispatchWebhookEvent, signWebhook, verifyWebhookSignature } from './services/webhooks';
export { buildServer, type ServerOptions } from './api/server';
export { cascadence } from './api/plugin';
export { cascadenceRoute, type CascadenceRouteOptions, type RouteIdentity } from './api/route';
export type { ApiDeps, Identity } from './api/context';
