/**
 * Activities: stage execution and other side effects. Node-only: all I/O lives here or below.
 * Workflows import from this folder as types only.
 */
export * from './stages';
export * from './stage-runner';
export * from './circuit-breaker';
