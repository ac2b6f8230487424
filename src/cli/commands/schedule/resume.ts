import { ScheduleActionCommand } from '../../schedule-action';

export default class ResumeSchedule extends ScheduleActionCommand {
  static override summary = 'Resume a paused schedule.';
  static override examples = ['<%= config.bin %> schedule resume example'];
  protected readonly action = 'resume';
  protected readonly done = 'resumed';
}
