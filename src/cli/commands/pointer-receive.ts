import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class PointerReceive extends BaseCommand<typeof PointerReceive> {
  static override summary = 'Store a pointer received from another instance, without sending it on.';
  static override description =
    'Give the pointer as NAME RUN_ID USER_HASH (the hash another instance sent; raw ids are refused), with --group-hash or --group-id (hashed here), or as a whole pointer_update event with --event JSON. It is stored in the pointer store (CASCADENCE_POINTERS_PATH), once however often it arrives, and never re-emitted.';
  static override examples = [
    '<%= config.bin %> pointer-receive demo_pointer run42 2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90',
    `<%= config.bin %> pointer-receive --event '{"event_type":"pointer_update",...}'`,
  ];
  static override args = {
    name: Args.string({ description: 'Task the pointer belongs to.' }),
    'run-id': Args.string({ description: 'The run pointed at.' }),
    'user-hash': Args.string({ description: 'Hash of who started it (64 hex characters).' }),
  };
  static override flags = {
    'group-hash': Flags.string({ description: 'Hash of their group.', exclusive: ['group-id', 'event'] }),
    'group-id': Flags.string({ description: 'Their group (hashed here).', exclusive: ['group-hash', 'event'] }),
    event: Flags.string({ description: 'A whole pointer_update event, as JSON (instead of the arguments).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(PointerReceive);
    const [
      config,
      { CascadenceError },
      { PointerStore },
      { parsePointerUpdate, pointerOf, receivePointer },
      { hashId },
    ] = await Promise.all([
      this.loadConfig(),
      import('../../core/errors'),
      import('../../stores/pointer-store'),
      import('../../services/pointers'),
      import('../../events/hash'),
    ]);
    const given = [args.name, args['run-id'], args['user-hash']].filter((a) => a !== undefined).length;
    let update;
    if (this.flags.event !== undefined) {
      if (given > 0) throw new CascadenceError('USAGE', 'give either --event or NAME RUN_ID USER_HASH, not both');
      let data: unknown;
      try {
        data = JSON.parse(this.flags.event);
      } catch (err) {
        throw new CascadenceError('USAGE', `--event is not JSON: ${(err as Error).message}`);
      }
      update = pointerOf(parsePointerUpdate(data));
    } else {
      if (given < 3) throw new CascadenceError('USAGE', 'give NAME RUN_ID USER_HASH, or --event JSON');
      const group =
        this.flags['group-hash'] ??
        (this.flags['group-id'] ? hashId(this.flags['group-id'], config.hashSecret) : undefined);
      update = {
        task: args.name as string,
        run_id: args['run-id'] as string,
        user_hash: args['user-hash'] as string,
        ...(group ? { group_hash: group } : {}),
      };
    }
    const added = await receivePointer(new PointerStore(config.pointersPath), update);
    if (this.flags.json) return this.printJson({ ...update, added });
    this.log(added ? 'pointer stored' : 'pointer already stored');
  }
}
