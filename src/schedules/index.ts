/**
 * Schedules: cron validation and schedule entries (files, export). Node-only.
 */
export * from './cron';
export * from './file';
export * from './store';
export * from './scheduler';
