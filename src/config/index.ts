/**
 * Configuration loading (YAML file + environment + flags). Node-only.
 */
export * from './config';
