/**
 * `task disable` and `task enable` share their argument and output.
 */
import { Args } from '@oclif/core';
import { actorFlags, actorOf } from './actor';
import { BaseCommand } from './base-command';

/** Base of `task disable` and `task enable`: sets the task's disabled flag on the configured backend. */
export abstract class TaskFlagCommand extends BaseCommand<typeof TaskFlagCommand> {
  static override args = { name: Args.string({ description: 'Registered task name.', required: true }) };
  static override flags = { ...actorFlags };

  protected abstract readonly disabled: boolean;

  async run(): Promise<void> {
    // oclif spreads the options object, which drops inherited statics: name them explicitly.
    const { args } = await this.parse({
      args: TaskFlagCommand.args,
      flags: TaskFlagCommand.flags,
      baseFlags: TaskFlagCommand.baseFlags,
    });
    // The flag is set where it lives: Temporal's catalogue, the local file (base, cron) or the Cronyx server's tasks.
    const { setTaskEnabled } = await import('../services/admin');
    await this.withBackend((b) => setTaskEnabled(b, args.name, !this.disabled, actorOf(this.flags)));
    if (this.flags.json) return this.printJson({ task: args.name, enabled: !this.disabled });
    this.log(`${args.name} ${this.disabled ? 'disabled' : 'enabled'}`);
  }
}
