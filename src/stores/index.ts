/**
 * File stores shared by every process of a machine: pointers, idea seeds and registered tasks.
 * Each is a YAML file changed under a cross-process lock, merged with what is on disk at save
 * time and written atomically; a corrupt file is reported with its path and never overwritten.
 * Node-only; imports core, runtime (the file lock) and nothing above.
 */
export * from './locked-yaml-store';
export * from './pointer-store';
export * from './idea-store';
export * from './task-store';
