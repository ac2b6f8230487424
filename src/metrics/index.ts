/**
 * Prometheus metrics: Cascadence's own (runs, stages, the event outbox) and the Temporal SDK's
 * worker metrics, served together at `/metrics`. Node-only.
 */
export * from './registry';
export * from './server';
export * from './temporal';
