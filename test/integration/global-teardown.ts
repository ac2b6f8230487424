/**
 * Replays every closed run the suite produced against today's workflow code (the replay gate,
 * test/helpers/suite-replay-gate.ts), then stops the dev server started by global-setup.ts. A
 * run that no longer replays fails the whole run, after the server has stopped.
 */
import type { DevServer } from '../../src/dev/dev-server';
import { replaySuiteHistories } from '../helpers/suite-replay-gate';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __CASCADENCE_DEV_SERVER__?: DevServer }).__CASCADENCE_DEV_SERVER__;
  let failure: Error | undefined;
  try {
    if (server) failure = await replaySuiteHistories(server.address);
  } finally {
    await server?.stop();
  }
  if (failure) throw failure;
}
