import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { CascadenceError } from '../../core/errors';
import type { TemporalBackend } from '../../backends/temporal';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';

export default class Replay extends BaseCommand<typeof Replay> {
  static override summary =
    "Replay a run's history, or the server's recent closed runs, against today's workflow code.";
  static override description =
    'Fetches the history from the server (or reads a file written by `task history --out`) and replays it with the bundled workflows. Prints OK, or the non-determinism found (exit 5).\n\n' +
    'With --recent N it is the check to run before deploying new workers: the N most recently closed runs of every Cascadence workflow (pipelines, subtasks, DAGs, calendar, event-driven and catalogue workflows) replay in parallel, a summary follows, and every run that no longer replays is named with its first mismatching event (exit 5).';
  static override examples = [
    '<%= config.bin %> replay 6584aac0-d4c9-4a9d-8983-925f08f49bd2',
    '<%= config.bin %> replay --file run.json',
    '<%= config.bin %> replay --recent 200 --since 7d',
    '<%= config.bin %> replay --recent 50 --task example --json',
  ];
  static override args = {
    'run-id': Args.string({ description: 'Run id (or workflow id) to fetch from the server.' }),
  };
  static override flags = {
    file: Flags.string({ description: 'History JSON file to replay offline.' }),
    recent: Flags.integer({ description: 'Replay the N most recently closed runs on the server.', min: 1 }),
    task: Flags.string({ description: 'With --recent: only the runs of this task (dag:NAME for a DAG).' }),
    since: Flags.string({ description: 'With --recent: only runs closed within this long (e.g. 7d, 12h).' }),
    concurrency: Flags.integer({ description: 'With --recent: histories replayed at once.', default: 4, min: 1 }),
    workflows: Flags.string({
      description: 'Replay against the workflows module at this path (a file or folder) instead of the bundled ones.',
    }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Replay);
    const modes = [args['run-id'], this.flags.file, this.flags.recent].filter((m) => m !== undefined).length;
    if (modes !== 1) {
      throw new CascadenceError('USAGE', 'give either a run id or --file or --recent N, exactly one of them');
    }
    if (this.flags.recent === undefined && (this.flags.task !== undefined || this.flags.since !== undefined)) {
      throw new CascadenceError('USAGE', '--task and --since go with --recent N');
    }
    const { installReplayRuntime } = await import('../../worker/runtime');
    installReplayRuntime(this.flags.debug);
    if (this.flags.recent !== undefined) return this.replayRecent(this.flags.recent);
    const history = this.flags.file ? await readHistory(this.flags.file) : await this.fetch(args['run-id'] as string);
    const { replayHistory } = await import('../../worker/replay');
    const workflowBundle = await this.workflowBundle();
    const outcome = await replayHistory(history, workflowBundle ? { workflowBundle } : {});
    if (this.flags.json) this.printJson(outcome);
    else this.log(outcome.ok ? 'OK' : `non-determinism: ${outcome.error}`);
    if (!outcome.ok) {
      throw new CascadenceError('REPLAY_MISMATCH', `replay failed (${outcome.kind}): ${outcome.error.split('\n')[0]}`);
    }
  }

  /** The replay gate: the server's recent closed runs, a summary, exit 5 naming each run that no longer replays. */
  private async replayRecent(recent: number): Promise<void> {
    const { durationMs } = await import('../../core/duration');
    const closedAfter =
      this.flags.since === undefined ? undefined : new Date(Date.now() - durationMs(this.flags.since));
    const workflowBundle = await this.workflowBundle();
    const { runReplayGate, formatReplayGateReport, replayGateError } = await import('../../services/replay-gate');
    const report = await this.withBackend(async (backend, config) => {
      if (backend.name !== 'temporal') {
        throw new CascadenceError(
          'UNSUPPORTED',
          `the replay gate reads runs from Temporal, not the ${backend.name} backend`,
          {
            hint: 'use --backend temporal',
          },
        );
      }
      return runReplayGate({
        client: (backend as TemporalBackend).client,
        recent,
        concurrency: this.flags.concurrency,
        ...(this.flags.task !== undefined ? { task: this.flags.task } : {}),
        ...(closedAfter ? { closedAfter } : {}),
        // One deployment's runs when a queue is named on the command line; else the whole namespace.
        ...(this.flags['task-queue'] !== undefined ? { taskQueue: config.taskQueue } : {}),
        ...(workflowBundle ? { workflowBundle } : {}),
      });
    });
    if (this.flags.json) this.printJson(report);
    else for (const line of formatReplayGateReport(report)) this.log(line);
    const err = replayGateError(report);
    if (err) throw err;
  }

  /** The bundle of --workflows, or undefined for the bundled workflows. @throws CascadenceError USAGE for a missing path. */
  private async workflowBundle(): Promise<WorkflowBundleWithSourceMap | undefined> {
    if (this.flags.workflows === undefined) return undefined;
    const [{ existsSync }, { resolve }, { bundleWorkflows }] = await Promise.all([
      import('node:fs'),
      import('node:path'),
      import('../../worker/bundle'),
    ]);
    const path = resolve(this.flags.workflows);
    if (!existsSync(path)) throw new CascadenceError('USAGE', `no workflows module at ${path}`);
    return bundleWorkflows(path);
  }

  private async fetch(runRef: string): Promise<unknown> {
    return this.withCapability('history', async (backend) => JSON.parse(await backend.history(runRef)) as unknown);
  }
}

/** Reads a history JSON file. @throws CascadenceError USAGE when missing or not JSON. */
async function readHistory(file: string): Promise<unknown> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CascadenceError('USAGE', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CascadenceError('USAGE', `${file} is not a JSON history: ${(err as Error).message}`);
  }
}
