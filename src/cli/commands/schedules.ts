import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Schedules extends BaseCommand<typeof Schedules> {
  static override summary = 'List every schedule: cron, timezone, paused or not, next three runs, last run.';
  static override examples = [
    '<%= config.bin %> schedules',
    '<%= config.bin %> schedules --json',
    '<%= config.bin %> schedules --export schedules.yml',
  ];
  static override flags = {
    export: Flags.string({ description: 'Write the schedules to FILE in the schedules.yml format (ids hashed).' }),
  };

  async run(): Promise<void> {
    const schedules = await this.withCapability('schedules', (b) => b.schedules());
    if (this.flags.export) {
      const [{ formatSchedulesFile }, { writeOutputFile }] = await Promise.all([
        import('../../schedules/file'),
        import('../output-file'),
      ]);
      await writeOutputFile(this.flags.export, formatSchedulesFile(schedules));
      if (!this.flags.json) return this.log(`${schedules.length} schedule(s) written to ${this.flags.export}`);
    }
    if (this.flags.json) return this.printJson(schedules);
    for (const s of schedules) {
      const last = s.lastRun ? `last ${s.lastRun.startedAt} ${s.lastRun.status}` : 'never run';
      const columns = [
        s.name,
        s.cron,
        s.timezone,
        s.paused ? 'paused' : 'active',
        `next ${s.nextRuns.join(', ') || '-'}`,
        last,
      ];
      if (s.recurrence !== undefined) columns.push(`recurrence ${JSON.stringify(s.recurrence)}`);
      this.log(columns.join('\t'));
    }
  }
}
