import { BaseCommand } from '../base-command';

export default class List extends BaseCommand<typeof List> {
  static override summary = 'List the registered tasks.';
  static override description =
    'Prints one line per task: its name, whether it is enabled, and where it comes from (builtin, module:<file>, package:<name>, directory:<dir>, registered:<module>, cronyx:<url>).';
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list --json'];

  async run(): Promise<void> {
    // The flags come from where they live: the catalogue on Temporal, the local file for base and cron, the server for Cronyx.
    const tasks = await this.withBackend((b) => b.list());
    if (this.flags.json) return this.printJson(tasks);
    for (const t of tasks) this.log(`${t.name}\t${t.enabled ? 'enabled' : 'disabled'}\t${t.origin ?? 'code'}`);
  }
}
