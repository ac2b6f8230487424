/**
 * Starts one real Temporal dev server (in memory, headless) for the whole integration run and
 * hands its address to the tests through CASCADENCE_TEST_TEMPORAL_ADDRESS.
 */
import { DevServer } from '../../src/dev/dev-server';

export default async function globalSetup(): Promise<void> {
  const server = await DevServer.start({ headless: true });
  (globalThis as { __CASCADENCE_DEV_SERVER__?: DevServer }).__CASCADENCE_DEV_SERVER__ = server;
  process.env.CASCADENCE_TEST_TEMPORAL_ADDRESS = server.address;
  process.stdout.write(`\nintegration: Temporal dev server ${server.address} (pid ${server.pid})\n`);
}
