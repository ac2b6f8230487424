/**
 * Events: the event model, its transports and id hashing. Node-only.
 */
export * from './hash';
