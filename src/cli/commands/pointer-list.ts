import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class PointerList extends BaseCommand<typeof PointerList> {
  static override summary = "List a pointer task's pointers: one line per pointer, hashes only.";
  static override description =
    'Prints `<run id>\\t<user hash>` (and `\\t<group hash>` for a pointer with a group), oldest first, from the pointer store (CASCADENCE_POINTERS_PATH). --user-id and --group-id keep the pointers of that user or group (hashed before comparing).';
  static override examples = [
    '<%= config.bin %> pointer-list demo_pointer',
    '<%= config.bin %> pointer-list demo_pointer --user-id alice --json',
  ];
  static override args = { name: Args.string({ description: 'Registered pointer task.', required: true }) };
  static override flags = {
    'user-id': Flags.string({ description: 'Only pointers of this user (hashed before comparing).' }),
    'group-id': Flags.string({ description: 'Only pointers of this group (hashed before comparing).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(PointerList);
    const [config, registry, { CascadenceError }, { PointerStore }, { hashId }] = await Promise.all([
      this.loadConfig(),
      this.loadRegistry(),
      import('../../core/errors'),
      import('../../stores/pointer-store'),
      import('../../events/hash'),
    ]);
    if (registry.describe(args.name).kind !== 'pointer') {
      throw new CascadenceError('USAGE', `'${args.name}' is not a pointer task`, {
        hint: 'pointers belong to tasks extending PointerTask (kind pointer)',
      });
    }
    const user = this.flags['user-id'];
    const group = this.flags['group-id'];
    const pointers = new PointerStore(config.pointersPath).list(args.name, {
      ...(user ? { userHash: hashId(user, config.hashSecret) } : {}),
      ...(group ? { groupHash: hashId(group, config.hashSecret) } : {}),
    });
    if (this.flags.json) return this.printJson(pointers);
    for (const p of pointers) this.log([p.run_id, p.user_hash, ...(p.group_hash ? [p.group_hash] : [])].join('\t'));
  }
}
