/**
 * Local development: finding or building the Temporal CLI and running its dev server. Node-only.
 */
export * from './dev-server';
export * from './temporal-binary';
