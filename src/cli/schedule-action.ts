/**
 * `task schedule pause|resume|trigger NAME` share their argument and output.
 */
import { Args } from '@oclif/core';
import { actorFlags, actorOf } from './actor';
import { BaseCommand } from './base-command';

/** Base of the schedule actions. */
export abstract class ScheduleActionCommand extends BaseCommand<typeof ScheduleActionCommand> {
  static override args = { name: Args.string({ description: 'Task whose schedule to act on.', required: true }) };
  static override flags = { ...actorFlags };

  protected abstract readonly action: 'pause' | 'resume' | 'trigger';
  protected abstract readonly done: string;

  async run(): Promise<void> {
    // oclif spreads the options object, which drops inherited statics: name them explicitly.
    const { args } = await this.parse({
      args: ScheduleActionCommand.args,
      flags: ScheduleActionCommand.flags,
      baseFlags: ScheduleActionCommand.baseFlags,
    });
    const { actOnSchedule } = await import('../services/admin');
    await this.withBackend((b) => actOnSchedule(b, args.name, this.action, actorOf(this.flags)));
    if (this.flags.json) return this.printJson({ task: args.name, action: this.action });
    this.log(`${args.name} schedule ${this.done}`);
  }
}
