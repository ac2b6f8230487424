/**
 * The `temporal` backend: a Temporal client that starts and operates pipeline and DAG
 * workflows, keeps schedules in Temporal Schedules and task flags in the catalogue workflow.
 * Node-only.
 */
export * from './backend';
export { TemporalCatalogue } from './catalogue';
