/**
 * Events: the event model, its transports, the audit store and id hashing. Node-only.
 */
export * from './hash';
export * from './bus';
export * from './audit-store';
export * from './ume';
