import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';
import { OVERLAP_POLICIES } from '../../../backends/backend';

export default class Schedule extends BaseCommand<typeof Schedule> {
  static override summary = 'Create or update the schedule of a task (a Temporal Schedule `cascadence-<name>`).';
  static override description =
    'Standard five-field cron (minute hour day-of-month month day-of-week) with *, steps, ranges, lists and names; 0 and 7 both mean Sunday. Each run is a pipeline run like `task run` (ids hashed). See also `task schedule pause|resume|trigger NAME`.';
  static override examples = [
    '<%= config.bin %> schedule example "0 9 * * MON-FRI" --user-id alice --group-id team-a --timezone Europe/Paris',
    '<%= config.bin %> schedule example "*/15 * * * *" --user-id alice --group-id team-a --overlap buffer-one --catchup-window 10m --note "quarter-hourly sync"',
  ];
  static override args = {
    name: Args.string({ description: 'Registered task name.', required: true }),
    cron: Args.string({ description: 'Five-field cron expression (quote it).', required: true }),
  };
  static override flags = {
    'user-id': Flags.string({ description: 'User the runs are for (hashed before use).', required: true }),
    'group-id': Flags.string({ description: 'Group the runs are for (hashed before use).', required: true }),
    timezone: Flags.string({ description: 'IANA timezone of the cron (default: $CASCADENCE_TIMEZONE or UTC).' }),
    overlap: Flags.string({
      description: 'When a run is due while the last still runs.',
      options: [...OVERLAP_POLICIES],
      default: 'skip',
    }),
    'catchup-window': Flags.string({
      description: 'How late a missed run may still start after an outage (e.g. 10m).',
    }),
    note: Flags.string({ description: 'A note kept with the schedule.' }),
    input: Flags.string({ description: 'Task input for every run, as JSON.' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Schedule);
    const { parseInput } = await import('../../input');
    const input = parseInput(this.flags.input);
    const { scheduleTask } = await import('../../../services/admin');
    const info = await this.withBackend((b) =>
      scheduleTask(b, {
        task: args.name,
        cron: args.cron,
        userId: this.flags['user-id'],
        groupId: this.flags['group-id'],
        overlap: this.flags.overlap as (typeof OVERLAP_POLICIES)[number],
        ...(this.flags.timezone ? { timezone: this.flags.timezone } : {}),
        ...(this.flags['catchup-window'] ? { catchupWindow: this.flags['catchup-window'] } : {}),
        ...(this.flags.note ? { note: this.flags.note } : {}),
        ...(input === undefined ? {} : { input }),
      }),
    );
    if (this.flags.json) return this.printJson(info);
    this.log(`${args.name} scheduled: ${info.cron}`);
  }
}
