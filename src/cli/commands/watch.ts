import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Watch extends BaseCommand<typeof Watch> {
  static override summary = 'Follow a run: a line per stage (or DAG node) change until it ends, then its result.';
  static override examples = ['<%= config.bin %> watch 6584aac0-d4c9-4a9d-8983-925f08f49bd2'];
  static override args = { 'run-id': Args.string({ description: 'Run id (or workflow id).', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Watch);
    await this.withBackend(async (backend) => {
      const [{ followRun }, { requireCapability }] = await Promise.all([
        import('../../services/follow'),
        import('../../backends/backend'),
      ]);
      // On a terminal the stages are drawn in place; elsewhere each change is one plain line.
      const { TerminalProgress } = await import('../progress');
      const progress =
        process.stdout.isTTY && !this.flags.json ? new TerminalProgress(process.stdout, Date.now, '') : undefined;
      const last = await followRun(
        backend,
        args['run-id'],
        progress ? () => undefined : (line) => this.log(line),
        undefined,
        progress ? (status) => progress.render(status) : undefined,
      ).finally(() => progress?.finish());
      const result = await requireCapability(backend, 'browse').result(args['run-id']);
      if (this.flags.json) {
        return this.printJson({
          run_id: args['run-id'],
          state: last && 'state' in last ? last.state : 'completed',
          result,
        });
      }
      this.log(`result\t${JSON.stringify(result ?? null)}`);
    });
  }
}
