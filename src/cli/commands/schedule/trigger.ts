import { ScheduleActionCommand } from '../../schedule-action';

export default class TriggerSchedule extends ScheduleActionCommand {
  static override summary = 'Start a run of the schedule now.';
  static override examples = ['<%= config.bin %> schedule trigger example'];
  protected readonly action = 'trigger';
  protected readonly done = 'triggered';
}
