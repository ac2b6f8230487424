/**
 * The base of every `task` command: global flags read the same way everywhere (flags over
 * environment over config file), `--json`, and one place that turns errors into one line on
 * stderr and a documented exit code. Keep this file light: it is loaded by `task --help`.
 */
import { Command, Flags, Errors, type Interfaces } from '@oclif/core';
import { exitCodeFor, isCascadenceError, EXIT_CODES } from '../core/errors';
import type { CascadenceConfig } from '../config/config';
import type { TaskRegistry } from '../plugins/registry';
import type { Backend, Capability, CapabilityTypes } from '../backends/backend';
import type { ValidDag } from '../core/dag/validate';
import type { CascadenceMetrics } from '../metrics/registry';
import type { MetricsServer } from '../metrics/server';

export type GlobalFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

/**
 * oclif's own errors (bad flags and arguments, a flag without its value, a value its parser
 * refuses) carry oclif's `oclif.exit` field (2 for all of them); ours never do.
 */
function oclifExitCode(err: unknown): number | undefined {
  const exit = (err as { oclif?: { exit?: unknown } } | null)?.oclif?.exit;
  return typeof exit === 'number' ? exit : undefined;
}

/** oclif's parse errors span several lines; keep what says what was wrong. */
export function oneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^The following errors? occurred/.test(l) && !/^See more help/.test(l));
  return lines.join(' ').replace(/\s{2,}/g, ' — ') || message.trim();
}

/** Base of every command. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'Print machine-readable JSON.', default: false }),
    debug: Flags.boolean({ description: 'Show stack traces on errors.', default: false }),
    config: Flags.string({ description: 'YAML config file (default: $CASCADENCE_CONFIG).', helpGroup: 'GLOBAL' }),
    backend: Flags.string({
      description: 'Backend: temporal or base (default: $CASCADENCE_SCHEDULER or temporal).',
      helpGroup: 'GLOBAL',
    }),
    address: Flags.string({
      description: 'Temporal address host:port (default: $TEMPORAL_ADDRESS or localhost:7233).',
      helpGroup: 'GLOBAL',
    }),
    namespace: Flags.string({
      description: 'Temporal namespace (default: $TEMPORAL_NAMESPACE or default).',
      helpGroup: 'GLOBAL',
    }),
    'task-queue': Flags.string({
      description: 'Temporal task queue (default: $CASCADENCE_TASK_QUEUE or cascadence).',
      helpGroup: 'GLOBAL',
    }),
    transport: Flags.string({
      description: 'Event transport: none, log, nats or grpc (default: $UME_TRANSPORT or none).',
      helpGroup: 'GLOBAL',
    }),
    'nats-url': Flags.string({
      description: 'NATS server of the nats transport (default: $UME_NATS_URL or nats://127.0.0.1:4222).',
      helpGroup: 'GLOBAL',
    }),
    'grpc-stub': Flags.string({
      description:
        'Your own gRPC stub for the grpc transport, module:Export (default: $UME_GRPC_STUB, else the built-in client).',
      helpGroup: 'GLOBAL',
    }),
    'metrics-port': Flags.integer({
      description: 'Serve Prometheus metrics at http://0.0.0.0:PORT/metrics while the command runs (0: any free port).',
      min: 0,
      max: 65535,
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: GlobalFlags<T>;

  public override async init(): Promise<void> {
    await super.init();
    const { flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as GlobalFlags<T>;
    // Asked for metrics: serve them from the start, whatever the command (a port in the config file is served once it is read).
    if (this.flags['metrics-port'] !== undefined || process.env.CASCADENCE_METRICS_PORT) await this.loadConfig();
  }

  private effectiveConfig: Promise<CascadenceConfig> | undefined;

  /**
   * The effective configuration (flags over environment over file), read once per command; with
   * a metrics port, `/metrics` is served from then on, until the command ends.
   */
  protected loadConfig(): Promise<CascadenceConfig> {
    this.effectiveConfig ??= this.readConfig().then(async (config) => {
      await this.serveMetrics(config);
      return config;
    });
    return this.effectiveConfig;
  }

  private served: { metrics: CascadenceMetrics; server: MetricsServer } | undefined;

  /** This command's metrics when a metrics port is configured (served at `/metrics` while it runs), else undefined. */
  protected async metrics(): Promise<CascadenceMetrics | undefined> {
    await this.loadConfig();
    return this.served?.metrics;
  }

  private async serveMetrics(config: CascadenceConfig): Promise<void> {
    if (config.metricsPort === undefined) return;
    const [{ CascadenceMetrics }, { serveMetrics }] = await Promise.all([
      import('../metrics/registry'),
      import('../metrics/server'),
    ]);
    const metrics = new CascadenceMetrics();
    this.served = { metrics, server: await serveMetrics(metrics, config.metricsPort) };
    // stderr: stdout is the command's output.
    process.stderr.write(`metrics: ${this.served.server.url}\n`);
  }

  /** Stops serving `/metrics` once the command is done (oclif calls this after run or catch). */
  protected override async finally(err: Error | undefined): Promise<unknown> {
    await this.served?.server.close();
    // With OTEL_EXPORTER_OTLP_ENDPOINT set, send this command's spans before the process exits.
    if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
      await (await import('../tracing')).flushProcessTracing();
    return super.finally(err);
  }

  private async readConfig(): Promise<CascadenceConfig> {
    const { loadConfig } = await import('../config/config');
    const config = loadConfig({
      config: this.flags.config,
      backend: this.flags.backend,
      address: this.flags.address,
      namespace: this.flags.namespace,
      taskQueue: this.flags['task-queue'],
      transport: this.flags.transport,
      natsUrl: this.flags['nats-url'],
      grpcStub: this.flags['grpc-stub'],
      metricsPort: this.flags['metrics-port'],
    });
    if (config.events === 'grpc' && config.grpcStub) {
      // An unloadable stub is one CONFIG line (exit 3) before the command does anything.
      const { loadGrpcStub } = await import('../events/grpc');
      loadGrpcStub(config.grpcStub, process.cwd(), { target: config.grpcTarget, method: config.grpcMethod });
    }
    return config;
  }

  /**
   * The task registry, made once per command: the built-in tasks plus those discovered (task
   * modules, plugin directories, installed plugin packages; a broken plugin is reported once and
   * skipped), with the configured research and planning providers (`research_url`, `plan_command`).
   */
  protected loadRegistry(): Promise<TaskRegistry> {
    this.registry ??= (async () => {
      const [{ createDefaultRegistry }, { discoverPlugins }, { createProviders }, config] = await Promise.all([
        import('../plugins/builtin'),
        import('../plugins/discovery'),
        import('../plugins/providers'),
        this.loadConfig(),
      ]);
      const loader = discoverPlugins(createDefaultRegistry(createProviders(config)), config);
      // A CronyxServer's tasks join the others, unless the backend is Cronyx itself (it lists them).
      if (config.cronyxBaseUrl && config.backend !== 'cronyx') {
        const { loadCronyxTasks } = await import('../plugins/cronyx-tasks');
        await loadCronyxTasks(loader, { baseUrl: config.cronyxBaseUrl, timeoutSeconds: config.cronyxTimeout });
      }
      return loader.registry;
    })();
    return this.registry;
  }

  private registry: Promise<TaskRegistry> | undefined;

  /**
   * For long-lived commands (worker, API): keeps a CronyxServer's tasks in the registry up to
   * date while the command runs (unless `cronyx_refresh` is off); returns how to stop.
   */
  protected async refreshCronyxTasks(): Promise<() => void> {
    const [config, registry] = await Promise.all([this.loadConfig(), this.loadRegistry()]);
    if (!config.cronyxBaseUrl || config.backend === 'cronyx' || !config.cronyxRefresh) return () => undefined;
    const [{ refreshCronyxTasks }, { loaderOf }] = await Promise.all([
      import('../plugins/cronyx-tasks'),
      import('../plugins/discovery'),
    ]);
    return refreshCronyxTasks(loaderOf(registry), {
      baseUrl: config.cronyxBaseUrl,
      timeoutSeconds: config.cronyxTimeout,
    });
  }

  /** Loads and validates a DAG (a file, or a name in the DAGs folder) against the registered tasks. */
  protected async loadDag(ref: string): Promise<ValidDag> {
    const [config, registry, { loadDag }] = await Promise.all([
      this.loadConfig(),
      this.loadRegistry(),
      import('../dag/load'),
    ]);
    return loadDag(ref, config.dagsPath, new Set(registry.names()));
  }

  /** Runs `fn` with the configured backend, closing it afterwards. */
  protected async withBackend<R>(fn: (backend: Backend, config: CascadenceConfig) => Promise<R>): Promise<R> {
    const [config, registry] = await Promise.all([this.loadConfig(), this.loadRegistry()]);
    const [{ createBackend }, metrics] = await Promise.all([import('../backends'), this.metrics()]);
    const backend = await createBackend(config, registry, metrics ? { metrics } : {});
    try {
      // Plugins registered at run time on any machine (the catalogue, on Temporal) join the registry.
      const records = backend.pluginRecords?.();
      if (records) {
        const [{ RegisteredPlugins }, { loaderOf, pluginAllowlist }] = await Promise.all([
          import('../plugins/registered'),
          import('../plugins/discovery'),
        ]);
        // Unreadable registrations leave the registry as it is; the command reports the server itself.
        await new RegisteredPlugins(loaderOf(registry), records, pluginAllowlist(config))
          .sync({ force: true })
          .catch(() => undefined);
      }
      return await fn(backend, config);
    } finally {
      await backend.close();
    }
  }

  /**
   * Runs `fn` with the configured backend as an implementation of `capability`; a backend without
   * it gets one clear error naming the backend and what it lacks (exit 4).
   */
  protected async withCapability<C extends Capability, R>(
    capability: C,
    fn: (backend: Backend & CapabilityTypes[C], config: CascadenceConfig) => Promise<R>,
    hint?: string,
  ): Promise<R> {
    return this.withBackend(async (backend, config) => {
      const { requireCapability } = await import('../backends/backend');
      return fn(requireCapability(backend, capability, hint), config);
    });
  }

  /** Prints one JSON document. */
  protected printJson(value: unknown): void {
    this.log(JSON.stringify(value));
  }

  /** One line on stderr (`error: ...`, a hint where one helps), the documented exit code, a stack only with --debug. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    const debug = process.argv.includes('--debug') || this.argv.includes('--debug');
    let code: number = EXIT_CODES.UNEXPECTED;
    let message = err.message;
    let hint: string | undefined;
    if (isCascadenceError(err)) {
      code = exitCodeFor(err.code);
      hint = err.hint;
    } else if (oclifExitCode(err) !== undefined) {
      code = oclifExitCode(err) as number;
      message = oneLine(message);
      hint = `see \`task ${this.id?.replace(/:/g, ' ') ?? ''} --help\``;
    }
    // One line per problem (a file check may find several); the hint goes on the last.
    const lines = message.split('\n');
    lines[lines.length - 1] += hint ? ` (${hint})` : '';
    process.stderr.write(lines.map((l) => `error: ${l}\n`).join(''));
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return this.exit(code);
  }
}
