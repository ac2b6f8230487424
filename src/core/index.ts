/**
 * Core: pure, deterministic logic shared by workflows and the in-process backend.
 *
 * Import rule: workflow-safe. Nothing here may import Node built-ins, I/O packages or
 * anything with side effects; `src/workflows` imports from here and runs inside
 * Temporal's deterministic sandbox.
 */
export * from './errors';
export * from './ids';
export * from './task';
export * from './pipeline';
export * from './plan';
export * from './context';
export * from './duration';
export * from './kinds';
export * from './dependencies';
export * from './dag';
export * from './task-flags';
export * from './summaries';
export * from './stage-mode';
