import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Signal extends BaseCommand<typeof Signal> {
  static override summary = 'Attach context (a note and/or a URL) to a running run.';
  static override description =
    'Prints `delivered` when the run took it at once (idle or paused at a stage boundary) or `queued` when a stage is running: the next stage sees it. Note and URL are at most 2048 characters each; the payload at most 3072 bytes as JSON.';
  static override examples = [
    '<%= config.bin %> signal 6584aac0-d4c9-4a9d-8983-925f08f49bd2 --note "use the staging database"',
    '<%= config.bin %> signal 6584aac0-d4c9-4a9d-8983-925f08f49bd2 --url https://example.com/spec --json',
  ];
  static override args = { 'run-id': Args.string({ description: 'Run id (or workflow id).', required: true }) };
  static override flags = {
    note: Flags.string({ description: 'A note for the task.' }),
    url: Flags.string({ description: 'A URL for the task.' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Signal);
    const payload = {
      ...(this.flags.note === undefined ? {} : { note: this.flags.note }),
      ...(this.flags.url === undefined ? {} : { url: this.flags.url }),
    };
    const delivery = await this.withCapability('operate', (b) => b.signal(args['run-id'], payload));
    if (this.flags.json) return this.printJson({ run_id: args['run-id'], delivery });
    this.log(delivery);
  }
}
