import { Args } from '@oclif/core';
import { actorFlags, actorOf } from '../actor';
import { BaseCommand } from '../base-command';

export default class Unschedule extends BaseCommand<typeof Unschedule> {
  static override summary = "Delete a task's schedule.";
  static override examples = ['<%= config.bin %> unschedule example'];
  static override args = { name: Args.string({ description: 'Task whose schedule to delete.', required: true }) };
  static override flags = { ...actorFlags };

  async run(): Promise<void> {
    const { args } = await this.parse(Unschedule);
    const { unscheduleTask } = await import('../../services/admin');
    await this.withBackend((b) => unscheduleTask(b, args.name, actorOf(this.flags)));
    if (this.flags.json) return this.printJson({ task: args.name, scheduled: false });
    this.log(`${args.name} unscheduled`);
  }
}
