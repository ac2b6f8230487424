/**
 * Hot reload for long-running commands (`task watch-plugins`, `task worker --watch`): loads the
 * watched directories' plugins into the command's registry, then reloads them on save, saying
 * what each reload did on stderr (one line per reload, one per broken plugin).
 */
import type { PluginLoader } from '../plugins/loader';
import type { PluginReload, PluginWatcher } from '../plugins/watch';

/** One line saying what a reload did. */
export function describeReload(reload: PluginReload): string {
  const parts = [`reloaded ${reload.plugins.join(', ')}`];
  if (reload.registered.length > 0) parts.push(`tasks: ${reload.registered.join(', ')}`);
  if (reload.removed.length > 0) parts.push(`removed: ${reload.removed.join(', ')}`);
  if (reload.problems.length > 0)
    parts.push(`kept the last good code of ${reload.problems.map((p) => p.plugin).join(', ')}`);
  return `plugins: ${parts.join('; ')}`;
}

/** Loads `dirs` into `loader` (those not loaded yet) and starts watching them. */
export async function startPluginWatch(loader: PluginLoader, dirs: string[], loaded: string[]): Promise<PluginWatcher> {
  const { watchPlugins } = await import('../plugins/watch');
  for (const dir of dirs) if (!loaded.includes(dir)) loader.loadDirectory(dir);
  const watcher = watchPlugins(loader, dirs, {
    onReload: (reload) => process.stderr.write(`${describeReload(reload)}\n`),
  });
  await watcher.ready;
  return watcher;
}
