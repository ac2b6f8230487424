/**
 * The pipeline: its records and status (types), what it asks of a runtime (ports), the precheck
 * rule and the run itself. Workflow-safe.
 */
export * from './types';
export * from './ports';
export * from './precheck';
export * from './run';
