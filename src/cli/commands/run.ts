import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { parseInput } from '../input';
import { CascadenceError } from '../../core/errors';
import type { RunRequest } from '../../backends/backend';
import type { TemporalBackend } from '../../backends/temporal';

export default class Run extends BaseCommand<typeof Run> {
  static override summary = 'Run a task as a pipeline and wait for its result.';
  static override description =
    'Starts the task on the configured backend (a pipeline workflow `<task>-<runId>` on Temporal; in process with --backend base), waits for it and prints its run id and result. User and group ids are hashed before they leave this process.';
  static override examples = [
    '<%= config.bin %> run example --user-id alice --group-id team-a',
    `<%= config.bin %> run example --user-id alice --group-id team-a --input '{"name":"Ada"}' --json`,
    '<%= config.bin %> run example --user-id alice --group-id team-a --backend base',
    '<%= config.bin %> run example --user-id alice --group-id team-a --detach',
  ];
  static override args = { name: Args.string({ description: 'Registered task name.', required: true }) };
  static override flags = {
    'user-id': Flags.string({ description: 'Id of the user the run is for (hashed before use).', required: true }),
    'group-id': Flags.string({ description: 'Id of the group the run is for (hashed before use).', required: true }),
    input: Flags.string({ description: 'Task input as JSON.' }),
    detach: Flags.boolean({
      description: 'Return as soon as the run has started, printing its run id.',
      default: false,
    }),
    'with-deps': Flags.boolean({
      description:
        "Run the task's prerequisites (dependsOn) first, each once, in dependency order, sharing one run id.",
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Run);
    const input = parseInput(this.flags.input);
    const request = {
      task: args.name,
      userId: this.flags['user-id'],
      groupId: this.flags['group-id'],
      ...(input === undefined ? {} : { input }),
    };
    const withPrerequisites = this.flags['with-deps'];
    if (withPrerequisites && this.flags.detach) {
      throw new CascadenceError('USAGE', '--with-deps waits for each prerequisite, so it cannot be combined with --detach');
    }
    await this.withBackend(async (backend) => {
      if (this.flags.detach) {
        const runId = await backend.start(request);
        if (this.flags.json) return this.printJson({ run_id: runId });
        return this.log(`run-id\t${runId}`);
      }
      if (!withPrerequisites && process.stdout.isTTY && !this.flags.json) {
        const { TemporalBackend } = await import('../../backends/temporal');
        if (backend instanceof TemporalBackend) return this.runWithProgress(backend, request);
      }
      const outcome = await backend.run({
        ...request,
        ...(withPrerequisites ? { withPrerequisites } : {}),
        ...(this.flags.json ? {} : { onPrerequisite: (task: string) => this.log(`${task}\tdone`) }),
      });
      if (this.flags.json) return this.printJson({ run_id: outcome.runId, result: outcome.result ?? null });
      this.log(`run-id\t${outcome.runId}`);
      this.log(`result\t${JSON.stringify(outcome.result ?? null)}`);
    });
  }

  /** On a terminal: live progress while waiting; Ctrl+C detaches without cancelling. */
  private async runWithProgress(backend: TemporalBackend, request: RunRequest): Promise<void> {
    const handle = await backend.startHandle(request);
    const { runIdOf } = await import('../../backends/temporal');
    const runId = runIdOf(request.task, handle);
    this.log(`run-id\t${runId}`);
    let detach!: () => void;
    const detached = new Promise<void>((resolve) => (detach = resolve));
    let wasDetached = false;
    const onSigint = (): void => {
      wasDetached = true;
      detach();
    };
    process.on('SIGINT', onSigint);
    try {
      const { followRun } = await import('../watch');
      await followRun(backend, runId, (line) => this.log(`  ${line}`), detached);
    } finally {
      process.off('SIGINT', onSigint);
    }
    if (wasDetached) {
      this.log(
        `detached: run ${runId} goes on; follow it with \`task watch ${runId}\`, stop it with \`task cancel ${runId}\``,
      );
      return;
    }
    try {
      this.log(`result\t${JSON.stringify((await handle.result()) ?? null)}`);
    } catch (err) {
      const { fromWorkflowFailure } = await import('../../backends/temporal');
      throw fromWorkflowFailure(err);
    }
  }
}
