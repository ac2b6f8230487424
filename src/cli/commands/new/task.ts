import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';

export default class NewTask extends BaseCommand<typeof NewTask> {
  static override summary = 'Write a new task module with every stage stubbed.';
  static override description =
    'Writes <dir>/<name>.js exporting `tasks = { <name>: task }`: intake, research, plan, precheck, run and verify each with a one-line default (run returns the input, verify returns the run result), and options from the flags. Register it with `task_modules` in the config file or CASCADENCE_TASK_MODULES. Never overwrites a file.';
  static override examples = [
    '<%= config.bin %> new task report',
    '<%= config.bin %> new task report --with-retry 5 --timeout 60',
    '<%= config.bin %> new task fetch-source --dir lib/tasks --json',
  ];
  static override args = {
    name: Args.string({ description: 'Task name (letters, digits, ".", "_", "-").', required: true }),
  };
  static override flags = {
    dir: Flags.string({ description: 'Folder of the module.', default: 'tasks' }),
    'with-retry': Flags.string({ description: 'Attempts per stage (retry.maximumAttempts), 1 or more.' }),
    timeout: Flags.string({ description: 'Seconds each stage may take (startToCloseTimeout), 1 or more.' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(NewTask);
    const { newTask, positiveInteger } = await import('../../scaffold');
    const retry = positiveInteger('--with-retry', this.flags['with-retry']);
    const timeout = positiveInteger('--timeout', this.flags.timeout);
    const made = await newTask(args.name, {
      dir: this.flags.dir,
      ...(retry === undefined ? {} : { retry }),
      ...(timeout === undefined ? {} : { timeoutSeconds: timeout }),
    });
    if (this.flags.json) return this.printJson(made);
    this.log(`created ${made.file}`);
    this.log(
      `register it: add ${made.file} to task_modules in your config file (or CASCADENCE_TASK_MODULES), then restart the worker`,
    );
    this.log(`try it:      task run ${made.task} --user-id alice --group-id team-a --backend base`);
  }
}
