/**
 * Long-running readers (`task events`, `task pointer-sync`, `task capability-planner`): keep a
 * subscription open until SIGINT or SIGTERM (or `stopWhen`), then close it; a subscription that
 * ends by itself (its stream closed, its handler threw) ends the command the same way.
 */
import type { Subscription } from '../events/nats';

/**
 * Says `banner` on stderr (stdout is the command's output) and waits. Listeners are `on`, not
 * `once`: a once-listener is already gone when signal-exit (loaded with the file locks) counts
 * the other handlers, and it would re-raise the signal and kill the process mid-close.
 * @throws whatever ended the subscription when it ended by itself with an error.
 */
export async function untilStopped(
  subscription: Subscription,
  banner: string,
  stopWhen?: Promise<void>,
): Promise<void> {
  let onSignal!: () => void;
  const signalled = new Promise<void>((resolve) => (onSignal = resolve));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stderr.write(`${banner}; Ctrl+C to stop\n`);
  try {
    const ended = await Promise.race([
      signalled.then(() => 'stop' as const),
      ...(stopWhen ? [stopWhen.then(() => 'stop' as const)] : []),
      subscription.done.then(() => 'end' as const),
    ]);
    if (ended === 'stop') await subscription.stop();
    else await subscription.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
