/**
 * The replay gate over every closed run the integration suite produced on its dev server, run by
 * the global teardown before the server stops: a run that no longer replays against today's
 * workflow code fails the whole `npm test`, naming the run and its first mismatching event.
 */
import { Client, Connection } from '@temporalio/client';
import { formatReplayGateReport, replayGateError, runReplayGate } from '../../src/services/replay-gate';
import { installReplayRuntime } from '../../src/worker/runtime';

/** Longer than any suite has needed; a hang fails the run instead of holding it forever. */
const TIMEOUT_MS = 15 * 60_000;

/**
 * Replays every closed Cascadence run on the server at `address`; prints the summary, and resolves
 * with an error listing each run that no longer replays (undefined when all replay).
 * @throws when the server cannot be read or the gate does not finish within 15 minutes.
 */
export async function replaySuiteHistories(address: string): Promise<Error | undefined> {
  installReplayRuntime();
  const started = Date.now();
  const connection = await Connection.connect({ address });
  let timer: NodeJS.Timeout | undefined;
  try {
    const report = await Promise.race([
      runReplayGate({ client: new Client({ connection }) }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the replay gate did not finish within 15 minutes')), TIMEOUT_MS);
      }),
    ]);
    const [summary, ...failures] = formatReplayGateReport(report);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`\nintegration: replay gate over the suite's own histories (${seconds} s): ${summary}\n`);
    const err = replayGateError(report);
    if (!err) return undefined;
    const text = [
      `replay gate (integration global teardown): ${err.message}`,
      ...failures.map((line) => `  ${line}`),
    ].join('\n');
    const failure = new Error(text);
    // What failed, not where in the teardown: Jest prints the stack.
    failure.stack = text;
    return failure;
  } finally {
    clearTimeout(timer);
    await connection.close();
  }
}
