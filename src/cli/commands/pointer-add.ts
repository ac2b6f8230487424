import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class PointerAdd extends BaseCommand<typeof PointerAdd> {
  static override summary = 'Add a pointer: a run of another instance that a pointer task refers to.';
  static override description =
    'NAME must be a registered pointer task. The user (and group) id is hashed before anything is stored or sent; the pointer goes into the pointer store (CASCADENCE_POINTERS_PATH), once however often it is added, and, when it is new and a transport is configured (--transport / UME_TRANSPORT), out as a pointer_update event.';
  static override examples = [
    '<%= config.bin %> pointer-add demo_pointer alice run42',
    '<%= config.bin %> pointer-add demo_pointer alice run42 --group-id family --transport nats --json',
  ];
  static override args = {
    name: Args.string({ description: 'Registered pointer task.', required: true }),
    'user-id': Args.string({ description: 'Who started the run pointed at (hashed).', required: true }),
    'run-id': Args.string({ description: 'The run pointed at.', required: true }),
  };
  static override flags = { 'group-id': Flags.string({ description: 'Their group (hashed).' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(PointerAdd);
    const [config, registry, { CascadenceError }, { PointerStore }, { addPointer }, { createEventBus }] =
      await Promise.all([
        this.loadConfig(),
        this.loadRegistry(),
        import('../../core/errors'),
        import('../../stores/pointer-store'),
        import('../../services/pointers'),
        import('../../events/create-bus'),
      ]);
    if (registry.describe(args.name).kind !== 'pointer') {
      throw new CascadenceError('USAGE', `'${args.name}' is not a pointer task`, {
        hint: 'pointers belong to tasks extending PointerTask (kind pointer)',
      });
    }
    const bus = await createEventBus(config);
    const result = await addPointer(
      { store: new PointerStore(config.pointersPath), bus, hashSecret: config.hashSecret },
      { task: args.name, userId: args['user-id'], runId: args['run-id'], groupId: this.flags['group-id'] },
    ).finally(() => bus?.close?.());
    if (this.flags.json) return this.printJson(result);
    this.log(result.added ? 'pointer added' : 'pointer already stored');
  }
}
