import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Audit extends BaseCommand<typeof Audit> {
  static override summary = "Show a task's audit trail: every stage transition of its runs.";
  static override description =
    'One line per record: time, run id, stage, status, then reason or output. Ids are hashes; outputs are JSON previews of at most 256 characters.';
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
      this.log([r.time, r.run_id, r.stage, r.status, r.reason ?? r.output ?? ''].join('\t').trimEnd());
    }
  }
}
