import { TaskFlagCommand } from '../task-flag';

export default class Enable extends TaskFlagCommand {
  static override summary = 'Enable a disabled task.';
  static override examples = ['<%= config.bin %> enable example'];
  protected readonly disabled = false;
}
