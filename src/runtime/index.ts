/**
 * The in-process runtime of the `base` and `cron` backends: the core algorithms' ports over
 * direct calls (waits, retries, cancellation), and the local files of single-machine modes
 * (task flags, locked updates). Node-only; imports core, activities and feature folders, never
 * backends or clients.
 */
export * from './in-process';
export { TaskStateStore } from './task-state';
export { lockedUpdate } from './locked-file';
