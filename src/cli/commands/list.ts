import { BaseCommand } from '../base-command';

export default class List extends BaseCommand<typeof List> {
  static override summary = 'List the registered tasks.';
  static override description = 'Prints one line per task: its name and whether it is enabled.';
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list --json'];

  async run(): Promise<void> {
    const config = await this.loadConfig();
    // Cronyx tasks live on the server; every other backend lists this process's registry (no connection needed).
    const { listTasks } = await import('../../backends/backend');
    const tasks =
      config.backend === 'cronyx' ? await this.withBackend((b) => b.list()) : listTasks(await this.catalogue());
    if (this.flags.json) return this.printJson(tasks);
    for (const t of tasks) this.log(`${t.name}\t${t.enabled ? 'enabled' : 'disabled'}`);
  }
}
