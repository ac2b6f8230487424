import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Audit extends BaseCommand<typeof Audit> {
  static override summary = "Show a task's audit trail: every stage transition of its runs.";
  static override description =
    'One line per record: time, run id, stage, status, then reason or output; admin actions (stage `task` or `schedule`: who disabled, paused, scheduled...) end with the hashed user who made them. Ids are hashes; outputs are JSON previews of at most 256 characters.';
  static override examples = [
    '<%= config.bin %> audit example',
    '<%= config.bin %> audit example --run-id 6584aac0-d4c9-4a9d-8983-925f08f49bd2 --json',
  ];
  static override args = { name: Args.string({ description: 'Registered task name.', required: true }) };
  static override flags = { 'run-id': Flags.string({ description: 'Only this run.' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Audit);
    const records = await this.withCapability('operate', (b) => b.audit(args.name, this.flags['run-id']));
    if (this.flags.json) return this.printJson(records);
    for (const r of records) {
      // An admin action (stage task or schedule) says who did it: the hashed user.
      const by = (r.stage === 'task' || r.stage === 'schedule') && r.user_hash ? `by ${r.user_hash}` : '';
      const detail = r.reason ?? r.output ?? '';
      this.log([r.time, r.run_id, r.stage, r.status, detail, by].join('\t').replace(/\t+$/, ''));
    }
  }
}
