import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class WatchPlugins extends BaseCommand<typeof WatchPlugins> {
  static override summary = 'Watch plugin directories and reload their tasks on save.';
  static override description =
    'Loads every plugin in DIR (its .js modules and package folders), lists their tasks, then watches DIR recursively in polling mode (network file systems too): each save reloads the plugins it touched, once; a save that breaks a plugin keeps its last good version and says why. Ctrl+C stops watching. To have a worker run the reloaded code, use `task worker --watch DIR`.';
  static override examples = ['<%= config.bin %> watch-plugins ./plugins'];
  static override args = { dir: Args.string({ description: 'Plugin directory to watch.', required: true }) };
  static override flags = {
    debounce: Flags.integer({ description: 'Quiet milliseconds that end a burst of saves.', default: 300, min: 0 }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(WatchPlugins);
    const [{ resolve }, { existsSync }, registry] = await Promise.all([
      import('node:path'),
      import('node:fs'),
      this.loadRegistry(),
    ]);
    const dir = resolve(args.dir);
    if (!existsSync(dir)) {
      const { CascadenceError } = await import('../../core/errors');
      throw new CascadenceError('USAGE', `plugin directory ${dir} does not exist`, { hint: 'name an existing folder' });
    }
    const [{ loaderOf }, { watchPlugins }, { describeReload }] = await Promise.all([
      import('../../plugins/discovery'),
      import('../../plugins/watch'),
      import('../plugin-watch'),
    ]);
    const loader = loaderOf(registry);
    const first = loader.loadDirectory(dir);
    if (this.flags.json) this.printJson({ dir, tasks: first.registered });
    else this.log(`tasks in ${dir}: ${first.registered.join(', ') || '(none)'}`);
    const watcher = watchPlugins(loader, [dir], {
      debounceMs: this.flags.debounce,
      onReload: (reload) => {
        if (this.flags.json) this.log(JSON.stringify(reload));
        else this.log(describeReload(reload));
      },
    });
    await watcher.ready;
    // `on`, not `once`: see until-stopped.ts (signal-exit would re-raise the signal mid-close).
    let onSignal!: () => void;
    const stopped = new Promise<void>((done) => (onSignal = done));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stderr.write(`watching ${dir}; Ctrl+C to stop\n`);
    try {
      await stopped;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await watcher.close();
    }
    process.stderr.write('stopped watching\n');
  }
}
