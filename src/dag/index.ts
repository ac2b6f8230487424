/**
 * DAGs: the TypeScript builder and DAG files (YAML/JSON with a published JSON Schema). Node-only
 * (the pure model, validation and algorithm live in core).
 */
export * from './builder';
export * from './load';
