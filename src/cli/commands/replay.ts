import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { CascadenceError } from '../../core/errors';

export default class Replay extends BaseCommand<typeof Replay> {
  static override summary = "Replay a run's history against today's workflow code.";
  static override description =
    'Fetches the history from the server (or reads a file written by `task history --out`) and replays it with the bundled workflows. Prints OK, or the non-determinism found (exit 5).';
  static override examples = [
    '<%= config.bin %> replay 6584aac0-d4c9-4a9d-8983-925f08f49bd2',
    '<%= config.bin %> replay --file run.json',
  ];
  static override args = {
    'run-id': Args.string({ description: 'Run id (or workflow id) to fetch from the server.' }),
  };
  static override flags = { file: Flags.string({ description: 'History JSON file to replay offline.' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Replay);
    if (!args['run-id'] === !this.flags.file) {
      throw new CascadenceError('USAGE', 'give either a run id or --file, not both or neither');
    }
    const history = this.flags.file ? await readHistory(this.flags.file) : await this.fetch(args['run-id'] as string);
    const { replayHistory } = await import('../../worker/replay');
    const outcome = await replayHistory(history);
    if (this.flags.json) this.printJson(outcome);
    else this.log(outcome.ok ? 'OK' : `non-determinism: ${outcome.error}`);
    if (!outcome.ok) {
      throw new CascadenceError('REPLAY_MISMATCH', `replay failed (${outcome.kind}): ${outcome.error.split('\n')[0]}`);
    }
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
