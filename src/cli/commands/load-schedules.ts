import { Args, Flags } from '@oclif/core';
import { actorOf } from '../actor';
import { BaseCommand } from '../base-command';
import { CascadenceError } from '../../core/errors';

export default class LoadSchedules extends BaseCommand<typeof LoadSchedules> {
  static override summary = 'Register every schedule of a schedules.yml file.';
  static override description =
    'Entries: `task: "cron"`, or a mapping with expr, user_id, group_id (or user_hash, group_hash as exported), timezone, recurrence, overlap. The whole file is checked first; if any entry is invalid nothing is registered and each problem is printed with its YAML line. --prune deletes schedules that are not in the file.';
  static override examples = [
    '<%= config.bin %> load-schedules schedules.yml',
    '<%= config.bin %> load-schedules schedules.yml --user-id alice --group-id team-a --prune',
  ];
  static override args = { file: Args.string({ description: 'The schedules file.', required: true }) };
  static override flags = {
    'user-id': Flags.string({ description: 'User for entries that name none.' }),
    'group-id': Flags.string({ description: 'Group for entries that name none.' }),
    prune: Flags.boolean({ description: 'Delete schedules that are not in the file.', default: false }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(LoadSchedules);
    const [{ readFile }, { parseSchedulesFile }, config, registry] = await Promise.all([
      import('node:fs/promises'),
      import('../../schedules/file'),
      this.loadConfig(),
      this.loadRegistry(),
    ]);
    let text: string;
    try {
      text = await readFile(args.file, 'utf8');
    } catch (err) {
      throw new CascadenceError('USAGE', `cannot read ${args.file}: ${(err as Error).message}`);
    }
    const requests = parseSchedulesFile(text, args.file, {
      knownTasks: registry.names(),
      defaultTimezone: config.timezone,
      defaults: {
        ...(this.flags['user-id'] ? { userId: this.flags['user-id'] } : {}),
        ...(this.flags['group-id'] ? { groupId: this.flags['group-id'] } : {}),
      },
    });
    const pruned: string[] = [];
    const crons = new Map<string, string>();
    const { scheduleTask, unscheduleTask } = await import('../../services/admin');
    await this.withCapability('schedules', async (b) => {
      for (const request of requests) crons.set(request.task, (await scheduleTask(b, request, args.file)).cron);
      if (this.flags.prune) {
        const keep = new Set(requests.map((r) => r.task));
        for (const s of await b.schedules()) {
          if (!keep.has(s.name)) {
            await unscheduleTask(b, s.name, actorOf(this.flags));
            pruned.push(s.name);
          }
        }
      }
    });
    if (this.flags.json) return this.printJson({ scheduled: requests.map((r) => r.task), pruned });
    for (const r of requests) {
      const from = r.calendar
        ? ` (from calendar event ${r.calendar.node}${r.calendar.poll ? `, re-checked every ${r.calendar.poll}s` : ''})`
        : '';
      this.log(`${r.task} scheduled: ${crons.get(r.task) ?? r.cron}${from}`);
    }
    for (const name of pruned) this.log(`${name} unscheduled`);
  }
}
