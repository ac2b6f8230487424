/**
 * Services: what clients do (follow a run, list runs, the plan a run made, validate a project),
 * written once over the backends' capability interfaces and called by the CLI, the HTTP API
 * and the dashboard alike. Node-only; imports backends and below, never a client.
 */
export * from './follow';
export * from './project';
export * from './runs';
export * from './admin';
export * from './subscribe';
export * from './planner';
export * from './dashboard';
export * from './scope';
export * from './plugin-tasks';
export * from './webhooks';
export * from './trigger';
export * from './recovery';
