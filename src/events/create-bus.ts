/**
 * The event bus named by the configuration.
 */
import type { CascadenceConfig } from '../config/config';
import type { EventBus } from './bus';
import type { OutboxObserver } from './outbox-transport';

/**
 * The configured event bus (`log`: JSON lines on stderr; `nats`: JetStream and `grpc`: a UME gRPC
 * server, both through the outbox), or undefined for none. `observer` hears how the outbox sends
 * (the metrics' publish latency and failures).
 * @throws CascadenceError CONFIG when the gRPC stub cannot be loaded or lacks its method.
 */
export async function createEventBus(
  config: Pick<
    CascadenceConfig,
    'events' | 'natsUrl' | 'natsSubject' | 'outboxPath' | 'grpcTarget' | 'grpcStub' | 'grpcMethod'
  >,
  observer?: OutboxObserver,
): Promise<EventBus | undefined> {
  if (config.events === 'nats') {
    const { NatsTransport } = await import('./nats');
    return new NatsTransport({
      servers: config.natsUrl,
      subject: config.natsSubject,
      outboxDir: config.outboxPath,
      ...(observer ? { observer } : {}),
    }).start();
  }
  if (config.events === 'grpc') {
    const { GrpcTransport, loadGrpcStub } = await import('./grpc');
    return new GrpcTransport({
      target: config.grpcTarget,
      stub:
        config.grpcStub === undefined
          ? undefined
          : loadGrpcStub(config.grpcStub, process.cwd(), { target: config.grpcTarget, method: config.grpcMethod }),
      method: config.grpcMethod,
      outboxDir: config.outboxPath,
      ...(observer ? { observer } : {}),
    }).start();
  }
  if (config.events === 'log') {
    const { LogTransport } = await import('./bus');
    return new LogTransport();
  }
  return undefined;
}
