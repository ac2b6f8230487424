import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class WorkerCommand extends BaseCommand<typeof WorkerCommand> {
  static override summary = 'Run a worker that executes pipeline workflows and stage activities.';
  static override description =
    'Connects to TEMPORAL_ADDRESS (or TEMPORAL_SERVER, default localhost:7233) in TEMPORAL_NAMESPACE and polls the task queue until SIGINT or SIGTERM, then shuts down gracefully: in-flight activities get a grace period to finish, then are cancelled.';
  static override examples = [
    '<%= config.bin %> worker',
    '<%= config.bin %> worker --address temporal.internal:7233 --namespace prod --task-queue cascadence',
  ];
  static override flags = {
    'max-concurrent-activities': Flags.integer({ description: 'Most stage activities run at once.', min: 1 }),
    'max-cached-workflows': Flags.integer({
      description:
        "Most workflow runs kept in the worker's memory between their workflow tasks (default: the SDK's, from the machine's memory); fewer uses less memory per run in flight, at the cost of replaying a run's history when it comes back.",
      min: 0,
    }),
    hooks: Flags.string({
      description: 'Built-in stage hooks to run around every stage, comma-separated: logging, timing.',
    }),
    watch: Flags.string({
      description:
        'A plugin directory to load and watch: a saved plugin is reloaded in place (stage code only; runs in flight keep the code they started with). Repeatable.',
      multiple: true,
    }),
  };

  async run(): Promise<void> {
    const [loaded, registry, metrics] = await Promise.all([this.loadConfig(), this.loadRegistry(), this.metrics()]);
    const { resolve } = await import('node:path');
    const watched = (this.flags.watch ?? []).map((dir) => resolve(dir));
    // Watched directories are plugin directories too: their modules are on the allowlist.
    const config = { ...loaded, pluginDirs: [...loaded.pluginDirs.map((d) => resolve(d)), ...watched] };
    let watcher: { close(): Promise<void> } | undefined;
    if (watched.length > 0) {
      const [{ startPluginWatch }, { loaderOf }] = await Promise.all([
        import('../plugin-watch'),
        import('../../plugins/discovery'),
      ]);
      watcher = await startPluginWatch(
        loaderOf(registry),
        watched,
        loaded.pluginDirs.map((d) => resolve(d)),
      );
      this.log(`watching plugins in ${watched.join(', ')}`);
    }
    const { startWorker } = await import('../worker-process');
    const { builtinHooks } = await import('../../activities/hooks');
    const hooks = this.flags.hooks === undefined ? [] : builtinHooks(this.flags.hooks);
    const running = await startWorker(config, registry, {
      ...(metrics ? { metrics } : {}),
      ...(hooks.length > 0 ? { hooks } : {}),
      ...(this.flags.debug ? { logLevel: 'DEBUG' as const } : {}),
      ...(this.flags['max-concurrent-activities'] === undefined
        ? {}
        : { maxConcurrentActivityTaskExecutions: this.flags['max-concurrent-activities'] }),
      ...(this.flags['max-cached-workflows'] === undefined
        ? {}
        : { maxCachedWorkflows: this.flags['max-cached-workflows'] }),
    });
    this.log(
      `worker polling task queue ${config.taskQueue} on ${config.address} (namespace ${config.namespace}); Ctrl+C to stop`,
    );
    const stopRefresh = await this.refreshCronyxTasks();
    await running.done;
    stopRefresh();
    await watcher?.close();
    this.log('worker stopped');
  }
}
