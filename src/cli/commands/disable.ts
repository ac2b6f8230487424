import { TaskFlagCommand } from '../task-flag';

export default class Disable extends TaskFlagCommand {
  static override summary = 'Disable a task: new runs are refused until it is enabled.';
  static override examples = ['<%= config.bin %> disable example'];
  protected readonly disabled = true;
}
