import { PauseResumeCommand } from '../pause-resume';

export default class Resume extends PauseResumeCommand {
  static override summary = 'Resume a paused run, or a paused task.';
  static override description =
    'Resumes a paused task (new runs are allowed again), else the given run, else the latest paused run of NAME in the group.';
  static override examples = [
    '<%= config.bin %> resume example --group-id team-a',
    '<%= config.bin %> resume example --group-id team-a --run-id 6584aac0-d4c9-4a9d-8983-925f08f49bd2',
  ];
  protected readonly verb = 'resumed';
}
