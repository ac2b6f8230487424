import { ScheduleActionCommand } from '../../schedule-action';

export default class PauseSchedule extends ScheduleActionCommand {
  static override summary = "Pause a task's schedule (no runs until resumed).";
  static override examples = ['<%= config.bin %> schedule pause example'];
  protected readonly action = 'pause';
  protected readonly done = 'paused';
}
