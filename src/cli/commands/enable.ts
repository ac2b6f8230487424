import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Enable extends BaseCommand<typeof Enable> {
  static override summary = 'Enable a disabled task.';
  static override examples = ['<%= config.bin %> enable example'];
  static override args = { name: Args.string({ description: 'Registered task name.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Enable);
    const { setTaskFlag } = await import('../../backends/backend');
    await setTaskFlag(await this.catalogue(), args.name, { disabled: false });
    if (this.flags.json) return this.printJson({ task: args.name, enabled: true });
    this.log(`${args.name} enabled`);
  }
}
