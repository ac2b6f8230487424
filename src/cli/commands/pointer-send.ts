import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class PointerSend extends BaseCommand<typeof PointerSend> {
  static override summary = 'Send pointer updates: one pointer, or every stored pointer of a task.';
  static override description =
    'With USER_ID and RUN_ID, sends that one pointer (user and group hashed) without storing it; with neither, sends every pointer stored for NAME. Needs a transport (--transport / UME_TRANSPORT); each pointer has one event id, so sending it again is harmless.';
  static override examples = [
    '<%= config.bin %> pointer-send demo_pointer alice run42 --transport nats',
    '<%= config.bin %> pointer-send demo_pointer --transport nats --json',
  ];
  static override args = {
    name: Args.string({ description: 'Task the pointers belong to.', required: true }),
    'user-id': Args.string({ description: 'Who started the run pointed at (hashed).' }),
    'run-id': Args.string({ description: 'The run pointed at.' }),
  };
  static override flags = { 'group-id': Flags.string({ description: 'Their group (hashed).' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(PointerSend);
    const [config, { PointerStore }, { sendPointers }, { createEventBus }] = await Promise.all([
      this.loadConfig(),
      import('../../stores/pointer-store'),
      import('../../services/pointers'),
      import('../../events/create-bus'),
    ]);
    const bus = await createEventBus(config);
    const events = await sendPointers(
      { store: new PointerStore(config.pointersPath), bus, hashSecret: config.hashSecret },
      { task: args.name, userId: args['user-id'], runId: args['run-id'], groupId: this.flags['group-id'] },
    ).finally(() => bus?.close?.());
    if (this.flags.json) return this.printJson({ task: args.name, sent: events.map((e) => e.event_id) });
    this.log(events.length === 1 ? 'pointer sent' : `${events.length} pointers sent`);
  }
}
