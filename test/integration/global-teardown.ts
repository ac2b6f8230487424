/** Stops the dev server started by global-setup.ts. */
import type { DevServer } from '../../src/dev/dev-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __CASCADENCE_DEV_SERVER__?: DevServer }).__CASCADENCE_DEV_SERVER__?.stop();
}
