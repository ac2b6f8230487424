/**
 * Plugins: the task registry, task discovery and the built-in tasks. Node-only.
 */
export * from './registry';
export * from './builtin';
export * from './task-modules';
export * from './loader';
export * from './discovery';
export * from './registered';
export * from './watch';
export * from './cronyx-tasks';
export * from './providers';
