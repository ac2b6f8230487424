import { PauseResumeCommand } from '../pause-resume';

export default class Pause extends PauseResumeCommand {
  static override summary = 'Pause a run at its next stage boundary, or pause a task.';
  static override description =
    'Pauses the given run, or the latest running run of NAME in the group; a running stage finishes first. If no run is running, pauses the task itself: new runs are refused until `task resume NAME`.';
  static override examples = [
    '<%= config.bin %> pause example --group-id team-a',
    '<%= config.bin %> pause example --group-id team-a --run-id 6584aac0-d4c9-4a9d-8983-925f08f49bd2',
  ];
  protected readonly verb = 'paused';
}
