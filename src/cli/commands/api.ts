import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Api extends BaseCommand<typeof Api> {
  static override summary = 'Serve the HTTP API, the dashboard and the webhooks until Ctrl+C or SIGTERM.';
  static override description =
    'Every API route needs X-User-ID and X-Group-ID (hashed on arrival). With CASCADENCE_API_TOKEN set, every route but /healthz needs `Authorization: Bearer <token>`. The OpenAPI document is at /openapi.json, interactive docs at /docs, Prometheus metrics at /metrics. `POST /tasks?path=` registers only modules of CASCADENCE_PLUGIN_PATHS (default: the task modules’ directories). Binds to 127.0.0.1 unless --host says otherwise.';
  static override examples = [
    '<%= config.bin %> api',
    'CASCADENCE_API_TOKEN=s3cret <%= config.bin %> api --host 0.0.0.0 --port 8080',
  ];
  static override flags = {
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'Port to listen on (0: any free port).', default: 8000, min: 0, max: 65535 }),
    'rate-limit': Flags.integer({
      description: 'Requests a minute per client IP before 429 (0: no limit).',
      default: 300,
      min: 0,
    }),
  };

  async run(): Promise<void> {
    const [config, registry, { startApiServer }] = await Promise.all([
      this.loadConfig(),
      this.loadRegistry(),
      import('../api-server'),
    ]);
    const api = await startApiServer(config, registry, {
      host: this.flags.host,
      port: this.flags.port,
      rateLimit: this.flags['rate-limit'],
    });
    // Listeners are `on`, not `once` (see until-stopped.ts): signal-exit counts the handlers.
    let onSignal!: () => void;
    const stopped = new Promise<void>((resolve) => (onSignal = resolve));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stderr.write(`api: ${api.url} (docs at /docs); Ctrl+C to stop\n`);
    const stopRefresh = await this.refreshCronyxTasks();
    try {
      await stopped;
    } finally {
      stopRefresh();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await api.close();
    }
    process.stderr.write('api stopped\n');
  }
}
