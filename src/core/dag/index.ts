/**
 * DAGs: the canonical definition (types), validation with cycle paths, the DAG run, and the
 * condition language of its nodes. Workflow-safe.
 */
export * from './types';
export * from './validate';
export * from './run';
