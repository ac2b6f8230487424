/**
 * Every `task` command, for oclif's explicit command discovery (no file-system scan at startup).
 * Command modules import only oclif and the base command at load time; everything heavy is
 * imported inside `run()`, so `task --help` stays fast.
 */
import Dev from './dev';
import List from './list';
import Run from './run';
import Worker from './worker';

export const COMMANDS = {
  dev: Dev,
  list: List,
  run: Run,
  worker: Worker,
};
