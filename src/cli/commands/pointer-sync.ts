import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

/** What pointer-sync hands each message to. */
type Handler = (event: unknown, raw: { subject: string; seq: number; text: string }) => Promise<void>;

export default class PointerSync extends BaseCommand<typeof PointerSync> {
  static override summary = "Keep this instance's pointer store in step with the others': apply every pointer update.";
  static override description =
    'Subscribes to pointer updates on the configured transport (nats or grpc) and stores each one in the pointer store (CASCADENCE_POINTERS_PATH), printing a line per message. Every update is audited under its task in CASCADENCE_AUDIT_PATH (`task audit NAME`: stage task, reason pointer_sync ...); a message that is not a valid pointer update is audited (under its task, else `pointer-sync`) and skipped, and the service goes on. With UME_BROADCAST_POINTERS=true each update new here is re-broadcast with its own event id, so brokers drop the echo. On NATS the subscription is durable (--durable, default derived from this host and the pointer store path): a restarted service resumes where it stopped; on gRPC it follows the server stream. A pointer store it cannot write stops it (exit 3) without acknowledging the message. Ctrl+C or SIGTERM stops it.';
  static override examples = [
    '<%= config.bin %> pointer-sync --transport nats',
    'UME_BROADCAST_POINTERS=true <%= config.bin %> pointer-sync --transport nats --durable instance-a --json',
  ];
  static override flags = {
    durable: Flags.string({
      description:
        'Name of the durable subscription (default: pointer-sync-<hash of host and pointer store path>, one per instance).',
    }),
    from: Flags.string({
      description: 'Where a new subscription starts: every stored update (all) or only later ones (new).',
      options: ['all', 'new'],
      default: 'all',
    }),
  };

  async run(): Promise<void> {
    const [
      config,
      { CascadenceError },
      { PointerStore },
      { JsonlAuditStore },
      { startPointerSync },
      { createEventBus },
      { hostname },
      { resolve },
      { createHash },
    ] = await Promise.all([
      this.loadConfig(),
      import('../../core/errors'),
      import('../../stores/pointer-store'),
      import('../../events/audit-store'),
      import('../../services/pointers'),
      import('../../events/create-bus'),
      import('node:os'),
      import('node:path'),
      import('node:crypto'),
    ]);
    if (config.events !== 'nats' && config.events !== 'grpc') {
      throw new CascadenceError('CONFIG', `pointer-sync needs the nats or grpc transport, not ${config.events}`, {
        hint: 'pass --transport nats (or grpc), or set UME_TRANSPORT',
      });
    }
    const durable =
      this.flags.durable ??
      `pointer-sync-${createHash('sha256')
        .update(`${hostname()}\0${resolve(config.pointersPath)}`)
        .digest('hex')
        .slice(0, 16)}`;
    if (!/^[A-Za-z0-9_-]+$/.test(durable)) {
      throw new CascadenceError('USAGE', `--durable ${JSON.stringify(durable)} may hold only letters, digits, _ and -`);
    }
    const from = this.flags.from === 'new' ? 'new' : 'all';
    const audit = new JsonlAuditStore(config.auditPath);
    const rebroadcast = config.broadcastPointers ? await createEventBus(config) : undefined;
    // One reader for every client (services/subscribe): a durable NATS consumer, or the gRPC stream.
    const { subscribeEvents } = await import('../../services/subscribe');
    let seq = 0;
    const subscribe = (handler: Handler) =>
      subscribeEvents(config, { types: ['pointer_update'], durable, from }, (event, raw) =>
        handler(event, { subject: raw.subject ?? `grpc:${config.grpcTarget}`, seq: raw.seq ?? ++seq, text: raw.text }),
      );
    const { untilStopped } = await import('../until-stopped');
    try {
      const subscription = await startPointerSync(
        {
          store: new PointerStore(config.pointersPath),
          audit,
          rebroadcast,
          onOutcome: (o, raw) => {
            if (this.flags.json) return this.printJson({ subject: raw.subject, seq: raw.seq, ...o });
            if (o.status === 'skipped') return this.log(`skipped\t${o.reason}`);
            const u = o.update;
            const line = [o.status, u.task, u.run_id, u.user_hash, ...(u.group_hash ? [u.group_hash] : [])];
            this.log([...line, ...(o.rebroadcast ? ['re-broadcast'] : [])].join('\t'));
          },
        },
        subscribe,
      );
      const source =
        config.events === 'grpc' ? `grpc ${config.grpcTarget}` : `nats ${config.natsSubject}.pointer.* as ${durable}`;
      await untilStopped(subscription, `pointer-sync: ${source} into ${config.pointersPath}`);
    } finally {
      await rebroadcast?.close?.();
      await audit.close();
    }
    process.stderr.write('pointer-sync: stopped\n');
  }
}
