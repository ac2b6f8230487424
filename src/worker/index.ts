/**
 * Worker composition. Node-only.
 */
export * from './create-worker';
export * from './bundle';
export * from './runtime';
export * from './replay';
