/**
 * Replays every closed run the suite produced against today's workflow code (the replay gate,
 * test/helpers/suite-replay-gate.ts), scans every history for the tests' raw user and group ids
 * (test/helpers/suite-privacy-scan.ts), then stops the dev server started by global-setup.ts. A
 * run that no longer replays, or a raw id in a history, fails the whole run, after the server
 * has stopped.
 */
import type { DevServer } from '../../src/dev/dev-server';
import { scanSuiteHistories } from '../helpers/suite-privacy-scan';
import { replaySuiteHistories } from '../helpers/suite-replay-gate';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __CASCADENCE_DEV_SERVER__?: DevServer }).__CASCADENCE_DEV_SERVER__;
  let failure: Error | undefined;
  try {
    if (server) {
      failure = await replaySuiteHistories(server.address);
      const leaked = await scanSuiteHistories(server.address);
      failure = failure && leaked ? new Error(`${failure.message}\n${leaked.message}`) : (failure ?? leaked);
    }
  } finally {
    await server?.stop();
  }
  if (failure) throw failure;
}
