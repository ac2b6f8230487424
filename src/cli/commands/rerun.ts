import { BaseCommand } from '../base-command';
import { recoveryArgs, recoveryFailures, recoveryFlags, recoveryTarget } from '../recovery';

export default class Rerun extends BaseCommand<typeof Rerun> {
  static override summary = 'Start a run again as a new run, with the same task, input and hashed ids.';
  static override description =
    'The new run gets a new run id and runs every stage; the first run stays as it was. Recorded in the task’s audit trail.';
  static override examples = [
    '<%= config.bin %> rerun 6584aac0-d4c9-4a9d-8983-925f08f49bd2',
    '<%= config.bin %> rerun --failed --since 1h',
  ];
  static override args = recoveryArgs;
  static override flags = recoveryFlags;

  async run(): Promise<void> {
    const { args } = await this.parse(Rerun);
    const target = recoveryTarget('rerun', args['run-id'], this.flags);
    const { rerunRun, rerunFailedRuns } = await import('../../services/recovery');
    if ('runId' in target) {
      const outcome = await this.withBackend((b) => rerunRun(b, target.runId, target.actor));
      if (this.flags.json) return this.printJson(outcome);
      return this.log(['rerun', outcome.run_id, outcome.task, `as ${outcome.new_run_id}`].join('\t'));
    }
    const results = await this.withBackend((b) => rerunFailedRuns(b, target.selection, target.actor));
    if (this.flags.json) this.printJson(results);
    else if (results.length === 0) this.log('no failed runs to re-run');
    else {
      for (const r of results) {
        this.log(
          ('error' in r
            ? ['not re-run', r.run_id, r.task, r.error.message]
            : ['rerun', r.run_id, r.task, `as ${r.new_run_id}`]
          ).join('\t'),
        );
      }
    }
    const failed = recoveryFailures('re-run', results);
    if (failed) throw failed;
  }
}
