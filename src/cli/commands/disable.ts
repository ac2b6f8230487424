import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Disable extends BaseCommand<typeof Disable> {
  static override summary = 'Disable a task: new runs are refused until it is enabled.';
  static override examples = ['<%= config.bin %> disable example'];
  static override args = { name: Args.string({ description: 'Registered task name.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Disable);
    const { setTaskFlag } = await import('../../backends/backend');
    await setTaskFlag(await this.catalogue(), args.name, { disabled: true });
    if (this.flags.json) return this.printJson({ task: args.name, enabled: false });
    this.log(`${args.name} disabled`);
  }
}
