import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { parseInput } from '../input';
import { CascadenceError } from '../../core/errors';
import type { Backend, RunRequest } from '../../backends/backend';

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
      throw new CascadenceError(
        'USAGE',
        '--with-deps waits for each prerequisite, so it cannot be combined with --detach',
      );
    }
    await this.withBackend(async (backend) => {
      const { hasCapability, requireCapability } = await import('../../backends/backend');
      if (this.flags.detach) {
        const runId = await requireCapability(backend, 'operate').start(request);
        if (this.flags.json) return this.printJson({ run_id: runId });
        return this.log(`run-id\t${runId}`);
      }
      // Live progress needs a run that can be followed from here: one any client can browse.
      const followable = hasCapability(backend, 'operate') && hasCapability(backend, 'browse');
      if (!withPrerequisites && followable && process.stdout.isTTY && !this.flags.json) {
        return this.runWithProgress(backend, request);
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
  private async runWithProgress(backend: Backend, request: RunRequest): Promise<void> {
    let detach!: () => void;
    const detached = new Promise<void>((resolve) => (detach = resolve));
    const onSigint = (): void => detach();
    process.on('SIGINT', onSigint);
    try {
      const [{ runAndFollow }, { TerminalProgress }] = await Promise.all([
        import('../../services/follow'),
        import('../progress'),
      ]);
      const progress = new TerminalProgress(process.stdout);
      const outcome = await runAndFollow(
        backend,
        request,
        () => undefined,
        (runId) => this.log(`run-id\t${runId}`),
        detached,
        (status) => progress.render(status),
      ).finally(() => progress.finish());
      if (outcome.detached) {
        const { runId } = outcome;
        this.log(
          `detached: run ${runId} goes on; follow it with \`task watch ${runId}\`, stop it with \`task cancel ${runId}\``,
        );
        return;
      }
      this.log(`result\t${JSON.stringify(outcome.result ?? null)}`);
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}
