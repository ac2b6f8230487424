import { Flags } from '@oclif/core';
import type { DevServer as DevServerHandle } from '../../dev/dev-server';
import { BaseCommand } from '../base-command';

export default class Dev extends BaseCommand<typeof Dev> {
  static override summary = 'Start a local Temporal dev server with its Web UI, and a worker.';
  static override description =
    'Also serves the HTTP API and dashboard (`task api`) on 127.0.0.1:8000 unless --no-api. Runs in the foreground until Ctrl+C or SIGTERM, then stops everything. Data is kept in .cascadence/temporal.db unless told otherwise. If a server already answers on the port, it is reused and only the worker starts.';
  static override examples = [
    '<%= config.bin %> dev',
    '<%= config.bin %> dev --port 7233 --ui-port 8233 --db-filename /tmp/temporal.db',
    '<%= config.bin %> dev --headless',
  ];
  static override flags = {
    port: Flags.integer({ description: 'gRPC port of the dev server.', default: 7233 }),
    'ui-port': Flags.integer({ description: 'Port of the Web UI.', default: 8233 }),
    'db-filename': Flags.string({
      description: 'SQLite file for the server data.',
      default: '.cascadence/temporal.db',
    }),
    headless: Flags.boolean({ description: 'No Web UI.', default: false }),
    'run-example': Flags.boolean({
      description: 'Once up, run the built-in example task and print its result and Web UI link.',
      default: false,
    }),
    exit: Flags.boolean({ description: 'Stop once the example has run (with --run-example).', default: false }),
    api: Flags.boolean({
      description: 'Also serve the HTTP API and dashboard on 127.0.0.1.',
      default: true,
      allowNo: true,
    }),
    'api-port': Flags.integer({
      description: 'Port of the HTTP API (0: any free port).',
      default: 8000,
      min: 0,
      max: 65535,
    }),
  };

  async run(): Promise<void> {
    const [config, registry, metrics] = await Promise.all([this.loadConfig(), this.loadRegistry(), this.metrics()]);
    const { DevServer, isServerReady } = await import('../../dev/dev-server');
    const { startWorker } = await import('../worker-process');
    const address = `127.0.0.1:${this.flags.port}`;
    let server: DevServerHandle | undefined;
    let uiUrl: string | undefined;
    if (await isServerReady(address, config.namespace)) {
      this.log(`reusing the Temporal server already answering at ${address}`);
      uiUrl = this.flags.headless ? undefined : config.webUiUrl.replace(/\/+$/, '');
    } else {
      this.log('starting the Temporal dev server...');
      server = await DevServer.start({
        port: this.flags.port,
        uiPort: this.flags['ui-port'],
        headless: this.flags.headless,
        dbFilename: this.flags['db-filename'],
        namespace: config.namespace,
      });
      uiUrl = server.uiUrl?.replace('127.0.0.1', 'localhost');
    }
    // The links the API and the worker print point at this dev server's Web UI (its --ui-port).
    const devConfig = { ...config, address, ...(server && uiUrl ? { webUiUrl: uiUrl } : {}) };
    const stopServer = (): Promise<void> => server?.stop() ?? Promise.resolve();
    let api: { url: string; close(): Promise<void> } | undefined;
    try {
      const running = await startWorker(devConfig, registry, metrics ? { metrics } : {});
      this.log(`Temporal: ${address} (namespace ${config.namespace})`);
      if (uiUrl) this.log(`Web UI:   ${uiUrl}`);
      this.log(`worker:   polling task queue ${config.taskQueue}`);
      if (this.flags.api) {
        const { startApiServer } = await import('../api-server');
        // The API shares the worker's connection: its runs start eagerly on this worker.
        api = await startApiServer({ ...devConfig, backend: 'temporal' }, registry, {
          host: '127.0.0.1',
          port: this.flags['api-port'],
          workerConnection: running.connection,
        });
        this.log(`API:      ${api.url} (docs at ${api.url}/docs)`);
      }
      if (this.flags['run-example']) {
        const { createBackend } = await import('../../backends');
        const backend = await createBackend({ ...devConfig, backend: 'temporal' }, registry, {
          workerConnection: running.connection,
        });
        try {
          const outcome = await backend.run({
            task: 'example',
            userId: 'quickstart-user',
            groupId: 'quickstart-group',
          });
          this.log(`run-id\t${outcome.runId}`);
          this.log(`result\t${JSON.stringify(outcome.result)}`);
          if (uiUrl) this.log(`see it:   ${uiUrl}/namespaces/${config.namespace}/workflows/example-${outcome.runId}`);
        } finally {
          await backend.close();
        }
        if (this.flags.exit) running.worker.shutdown();
      }
      if (!this.flags.exit) this.log('Ctrl+C to stop');
      await running.done;
    } finally {
      await api?.close();
      await stopServer();
    }
    this.log('stopped');
  }
}
