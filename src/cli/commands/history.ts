import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class History extends BaseCommand<typeof History> {
  static override summary = "Export a run's workflow history as JSON (for `task replay --file`).";
  static override examples = ['<%= config.bin %> history 6584aac0-d4c9-4a9d-8983-925f08f49bd2 --out run.json'];
  static override args = { 'run-id': Args.string({ description: 'Run id (or workflow id).', required: true }) };
  static override flags = { out: Flags.string({ description: 'File to write (default: stdout).' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(History);
    const json = await this.withCapability('history', (backend) => backend.history(args['run-id']));
    if (!this.flags.out) return this.log(json);
    const { writeOutputFile } = await import('../output-file');
    await writeOutputFile(this.flags.out, `${json}\n`);
    if (this.flags.json) return this.printJson({ run_id: args['run-id'], file: this.flags.out });
    this.log(`history of ${args['run-id']} written to ${this.flags.out}`);
  }
}
