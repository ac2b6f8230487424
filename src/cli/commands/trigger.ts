import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { parseInput } from '../input';
import Run from './run';

export default class Trigger extends BaseCommand<typeof Trigger> {
  static override summary = 'Run a ManualTrigger task by hand and wait for its result.';
  static override description =
    'Like `task run`, for tasks of kind manual (`ManualTrigger`) only: any other kind is refused with one line and exit 2 before anything starts (run those with `task run`). Prints the run id and the result.';
  static override examples = [
    '<%= config.bin %> trigger demo_manual --user-id alice --group-id team-a',
    `<%= config.bin %> trigger demo_manual --user-id alice --group-id team-a --input '{"name":"Ada"}' --json`,
    '<%= config.bin %> trigger demo_manual --user-id alice --group-id team-a --detach',
  ];
  static override args = {
    name: Args.string({ description: 'Registered name of a ManualTrigger task.', required: true }),
  };
  // The flags of `task run` (one definition each), without --with-deps: a trigger runs the one task asked for.
  static override flags = {
    'user-id': Run.flags['user-id'],
    'group-id': Run.flags['group-id'],
    input: Run.flags.input,
    detach: Run.flags.detach,
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Trigger);
    const input = parseInput(this.flags.input);
    const request = {
      task: args.name,
      userId: this.flags['user-id'],
      groupId: this.flags['group-id'],
      ...(input === undefined ? {} : { input }),
    };
    await this.withBackend(async (backend) => {
      const { startTriggered, triggerTask } = await import('../../services/trigger');
      if (this.flags.detach) {
        const runId = await startTriggered(backend, request);
        if (this.flags.json) return this.printJson({ run_id: runId });
        return this.log(`run-id\t${runId}`);
      }
      const outcome = await triggerTask(backend, request);
      if (this.flags.json) return this.printJson({ run_id: outcome.runId, result: outcome.result ?? null });
      this.log(`run-id\t${outcome.runId}`);
      this.log(`result\t${JSON.stringify(outcome.result ?? null)}`);
    });
  }
}
