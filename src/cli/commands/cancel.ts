import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Cancel extends BaseCommand<typeof Cancel> {
  static override summary = 'Cancel a run, its subtasks and its running stage.';
  static override examples = ['<%= config.bin %> cancel 6584aac0-d4c9-4a9d-8983-925f08f49bd2'];
  static override args = { 'run-id': Args.string({ description: 'Run id (or workflow id).', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Cancel);
    await this.withCapability('operate', (b) => b.cancel(args['run-id']));
    if (this.flags.json) return this.printJson({ run_id: args['run-id'], cancelled: true });
    this.log(`cancel requested: ${args['run-id']}`);
  }
}
