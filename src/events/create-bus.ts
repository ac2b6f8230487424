/**
 * The event bus named by the configuration.
 */
import type { CascadenceConfig } from '../config/config';
import type { EventBus } from './bus';

/** The configured event bus (`log`: JSON lines on stderr; `nats`: JetStream through the outbox), or undefined for none. */
export async function createEventBus(
  config: Pick<CascadenceConfig, 'events' | 'natsUrl' | 'natsSubject' | 'outboxPath'>,
): Promise<EventBus | undefined> {
  if (config.events === 'nats') {
    const { NatsTransport } = await import('./nats');
    return new NatsTransport({
      servers: config.natsUrl,
      subject: config.natsSubject,
      outboxDir: config.outboxPath,
    }).start();
  }
  if (config.events === 'log') {
    const { LogTransport } = await import('./bus');
    return new LogTransport();
  }
  return undefined;
}
