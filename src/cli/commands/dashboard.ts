import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Dashboard extends BaseCommand<typeof Dashboard> {
  static override summary = 'Serve the web dashboard alone: tasks, idea seeds, recent runs, live run pages.';
  static override description =
    'Serves the dashboard on HOST:PORT (default 127.0.0.1:8000) until SIGINT or SIGTERM, with one long-lived backend. With CASCADENCE_API_TOKEN set, a browser signs in with the token, a user id and a group id (kept as hashes in an HttpOnly session cookie); scripts send `Authorization: Bearer TOKEN` with X-User-ID and X-Group-ID. Without a token the sign-in asks only for the ids: bind to a public address only behind your own access control.';
  static override examples = [
    '<%= config.bin %> dashboard',
    'CASCADENCE_API_TOKEN=s3cret <%= config.bin %> dashboard --host 0.0.0.0 --port 8080',
  ];
  static override flags = {
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'Port to listen on (0: any free port).', default: 8000, min: 0, max: 65535 }),
  };

  async run(): Promise<void> {
    const [config, registry, metrics] = await Promise.all([this.loadConfig(), this.loadRegistry(), this.metrics()]);
    const [{ createBackend }, { buildDashboardServer }] = await Promise.all([
      import('../../backends'),
      import('../../api/dashboard/standalone'),
    ]);
    const backend = await createBackend(config, registry, { longLived: true, ...(metrics ? { metrics } : {}) });
    const apiToken = process.env.CASCADENCE_API_TOKEN;
    const app = await buildDashboardServer({
      config,
      registry,
      backend,
      ...(apiToken ? { apiToken } : {}),
    });
    let onSignal!: () => void;
    const stopped = new Promise<void>((resolve) => (onSignal = resolve));
    // `on`, not `once`: see until-stopped.ts (signal-exit counts the listeners).
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await app.listen({ host: this.flags.host, port: this.flags.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : this.flags.port;
      const host = this.flags.host.includes(':') ? `[${this.flags.host}]` : this.flags.host;
      process.stderr.write(`dashboard: http://${host}:${port}\n`);
      await stopped;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await app.close();
      await backend.close();
    }
    process.stderr.write('dashboard: stopped\n');
  }
}
