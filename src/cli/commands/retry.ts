import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { recoveryArgs, recoveryFailures, recoveryFlags, recoveryTarget } from '../recovery';

export default class Retry extends BaseCommand<typeof Retry> {
  static override summary =
    'Retry a failed (or stuck) run from the stage that did not succeed, reusing what succeeded.';
  static override description =
    "Goes back in the run's history to just before the stage (Temporal's workflow reset): the stages that succeeded are not run again and their results are reused. A DAG run goes on from its failed nodes' failed stages, a run whose subtask failed from that subtask's. The run keeps its run id. Recorded in the task's audit trail.";
  static override examples = [
    '<%= config.bin %> retry 6584aac0-d4c9-4a9d-8983-925f08f49bd2',
    '<%= config.bin %> retry 6584aac0-d4c9-4a9d-8983-925f08f49bd2 --from run',
    '<%= config.bin %> retry --failed --task report --since 1h',
  ];
  static override args = recoveryArgs;
  static override flags = {
    from: Flags.string({
      description:
        'The stage to go on from (default: the first that did not succeed); for a DAG run, the stage its failed nodes go on from.',
    }),
    ...recoveryFlags,
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Retry);
    const target = recoveryTarget('retry', args['run-id'], this.flags);
    const request = this.flags.from ? { from: this.flags.from } : {};
    const { retryRun, retryFailedRuns, retryDescription } = await import('../../services/recovery');
    if ('runId' in target) {
      const outcome = await this.withBackend((b) => retryRun(b, target.runId, request, target.actor));
      if (this.flags.json) return this.printJson(outcome);
      return this.log(
        line(['retried', outcome.run_id, outcome.task, `from ${retryDescription(outcome)}`], outcome.restarted),
      );
    }
    const results = await this.withBackend((b) => retryFailedRuns(b, target.selection, request, target.actor));
    if (this.flags.json) this.printJson(results);
    else if (results.length === 0) this.log('no failed runs to retry');
    else {
      for (const r of results) {
        this.log(
          'error' in r
            ? line(['not retried', r.run_id, r.task, r.error.message])
            : line(['retried', r.run_id, r.task, `from ${retryDescription(r)}`], r.restarted),
        );
      }
    }
    const failed = recoveryFailures('retried', results);
    if (failed) throw failed;
  }
}

/** One tab-separated line, with what starts again from its beginning when anything does. */
function line(fields: string[], restarted: string[] = []): string {
  return [...fields, ...(restarted.length > 0 ? [`starts again: ${restarted.join(', ')}`] : [])].join('\t');
}
