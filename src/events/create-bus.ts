/**
 * The event bus named by the configuration.
 */
import type { CascadenceConfig } from '../config/config';
import type { EventBus } from './bus';

/** The configured event bus (`events: log` → JSON lines on stderr), or undefined for none. */
export async function createEventBus(config: Pick<CascadenceConfig, 'events'>): Promise<EventBus | undefined> {
  if (config.events === 'log') {
    const { LogTransport } = await import('./bus');
    return new LogTransport();
  }
  return undefined;
}
