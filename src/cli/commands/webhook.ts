import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Webhook extends BaseCommand<typeof Webhook> {
  static override summary = 'Serve the webhook routes: GitHub and Cal.com events start runs of the WebhookTasks.';
  static override description =
    'Serves POST /webhook/github and POST /webhook/calcom (and GET /healthz) until Ctrl+C or SIGTERM. Each delivery starts one durable run of every registered WebhookTask that handles it (202 {runs}); nothing runs inside the request. With GITHUB_WEBHOOK_SECRET / CALCOM_WEBHOOK_SECRET set, a delivery needs a valid X-Hub-Signature-256 / X-Cal-Signature-256 (401 and nothing starts otherwise); a GitHub redelivery (same X-GitHub-Delivery) starts no second run (200 {duplicate: true}). The URLs are printed on stderr (--json: also as JSON on stdout).';
  static override examples = [
    '<%= config.bin %> webhook',
    'GITHUB_WEBHOOK_SECRET=s3cret <%= config.bin %> webhook --host 0.0.0.0 --port 8000',
  ];
  static override flags = {
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'Port to listen on (0: any free port).', default: 8000, min: 0, max: 65535 }),
  };

  async run(): Promise<void> {
    const [config, registry, { createBackend, requireCapability }, { default: Fastify }, { webhookRoutes }] =
      await Promise.all([
        this.loadConfig(),
        this.loadRegistry(),
        import('../../backends'),
        import('fastify'),
        import('../../api/webhooks'),
      ]);
    const metrics = await this.metrics();
    const backend = await createBackend(config, registry, { longLived: true, ...(metrics ? { metrics } : {}) });
    try {
      requireCapability(backend, 'operate', 'webhooks start runs: use the temporal backend');
      // No request logging: webhook payloads may hold personal data.
      const app = Fastify({ logger: false });
      app.get('/healthz', async () => ({ status: 'ok' }));
      await app.register(webhookRoutes, { prefix: '/webhook', config, registry, backend });
      await app.listen({ host: this.flags.host, port: this.flags.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : this.flags.port;
      const host = this.flags.host.includes(':') ? `[${this.flags.host}]` : this.flags.host;
      const urls = { github: `http://${host}:${port}/webhook/github`, calcom: `http://${host}:${port}/webhook/calcom` };
      for (const [name, secret, env] of [
        ['GitHub', config.githubWebhookSecret, 'GITHUB_WEBHOOK_SECRET'],
        ['Cal.com', config.calcomWebhookSecret, 'CALCOM_WEBHOOK_SECRET'],
      ] as const) {
        if (!secret) process.stderr.write(`webhook: ${env} is not set: ${name} deliveries are accepted unsigned\n`);
      }
      if (this.flags.json) this.printJson(urls);
      let stop!: () => void;
      const closed = new Promise<void>((resolve) => (stop = resolve));
      const { untilStopped } = await import('../until-stopped');
      await untilStopped(
        {
          done: closed,
          stop: async () => {
            await app.close();
            stop();
          },
        },
        `webhook: ${urls.github}, ${urls.calcom}`,
      );
    } finally {
      await backend.close();
    }
    process.stderr.write('webhook: stopped\n');
  }
}
