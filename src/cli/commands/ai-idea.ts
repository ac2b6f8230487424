import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class AiIdea extends BaseCommand<typeof AiIdea> {
  static override summary = 'Store an idea seed, and send it when a transport is configured.';
  static override description =
    'The seed goes into the idea store (CASCADENCE_IDEAS_PATH) with the hashed user and group, always; with a transport (--transport / UME_TRANSPORT) it is also published as an idea_seed event.';
  static override examples = [
    '<%= config.bin %> ai-idea "plan the family trip" --user-id alice --group-id family',
    '<%= config.bin %> ai-idea "weekly groceries" --user-id alice --transport nats --json',
  ];
  static override args = { text: Args.string({ description: 'The idea.', required: true }) };
  static override flags = {
    'user-id': Flags.string({ description: 'Who has the idea (hashed).' }),
    'group-id': Flags.string({ description: 'Their group (hashed).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(AiIdea);
    const [config, { IdeaStore }, { addIdea }, { createEventBus }] = await Promise.all([
      this.loadConfig(),
      import('../../stores/idea-store'),
      import('../../services/ideas'),
      import('../../events/create-bus'),
    ]);
    const bus = await createEventBus(config);
    const result = await addIdea(
      { store: new IdeaStore(config.ideasPath), bus, hashSecret: config.hashSecret },
      { text: args.text, userId: this.flags['user-id'], groupId: this.flags['group-id'] },
    ).finally(() => bus?.close?.());
    if (this.flags.json) return this.printJson(result);
    this.log(result.sent ? 'idea stored and sent' : 'idea stored');
  }
}
