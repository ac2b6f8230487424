/**
 * The `task` CLI (oclif): thin commands that parse flags, call a backend and print. Node-only.
 */
export { main } from './main';
