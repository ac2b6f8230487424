/**
 * Hot reload of plugin directories: chokidar watches them recursively in polling mode (so
 * network file systems work too), a burst of events is gathered until the files are quiet for
 * `debounceMs`, and then each plugin they touched is reloaded once, in place. A reload that
 * fails keeps the last good code and reports the error; runs in flight keep the revision they
 * started with (see {@link TaskRegistry.get}). Node-only.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { PluginLoader, PluginProblem } from './loader';

/** One reload: what it loaded, removed and could not load. */
export interface PluginReload {
  /** The plugins reloaded (module files and package folders), relative to their directory. */
  plugins: string[];
  /** Tasks registered or replaced. */
  registered: string[];
  /** Tasks that went away with their plugin. */
  removed: string[];
  /** Plugins that failed to load (their last good code stays). */
  problems: PluginProblem[];
}

/** Options of {@link watchPlugins}. */
export interface WatchOptions {
  /** Quiet time that ends a burst of events (default 300 ms). */
  debounceMs?: number;
  /** Polling interval (default 250 ms). */
  intervalMs?: number;
  /** Told once per reload. */
  onReload?: (reload: PluginReload) => void;
}

/** A running watcher. */
export interface PluginWatcher {
  /** Resolves once the initial scan is done: changes after it are seen. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const isModule = (path: string): boolean => /\.c?js$/.test(path);

const isDir = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** The plugin a changed file belongs to: a module file directly in `dir`, a package folder in it, or every module of `dir`. */
function pluginOf(dir: string, file: string): { kind: 'module' | 'package'; path: string } | 'all' | undefined {
  const rel = relative(dir, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const [top, ...rest] = rel.split(sep);
  if (top === undefined || top.startsWith('.') || top === 'node_modules') return undefined;
  const path = join(dir, top);
  if (rest.length === 0) return isModule(top) ? { kind: 'module', path } : undefined;
  if (existsSync(join(path, 'package.json'))) return { kind: 'package', path };
  // A helper in a sub-folder: any module of the directory may load it.
  return isModule(file) ? 'all' : undefined;
}

/**
 * Watches plugin directories and reloads what changes in `loader`'s registry.
 * A module deleted takes its tasks with it.
 */
export function watchPlugins(loader: PluginLoader, dirs: string[], options: WatchOptions = {}): PluginWatcher {
  const roots = dirs.map((d) => {
    try {
      return realpathSync(d);
    } catch {
      return resolve(d);
    }
  });
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const problems: PluginProblem[] = [];
  // Problems met during a reload are gathered for its report (the loader says each once too).
  const watcher: FSWatcher = watch(roots, {
    usePolling: true,
    interval: options.intervalMs ?? 250,
    binaryInterval: options.intervalMs ?? 250,
    ignoreInitial: true,
    ignored: (path: string) => path.split(sep).includes('node_modules') || /(^|[/\\])\.[^/\\]/.test(path),
  });

  const flush = (): void => {
    timer = undefined;
    const files = [...pending];
    pending.clear();
    const reload: PluginReload = { plugins: [], registered: [], removed: [], problems: [] };
    const seen = new Set<string>();
    const record = (label: string, fn: () => { registered: string[]; removed?: string[] }) => {
      if (seen.has(label)) return;
      seen.add(label);
      const before = problems.length;
      const result = fn();
      reload.plugins.push(label);
      reload.registered.push(...result.registered);
      reload.removed.push(...(result.removed ?? []));
      reload.problems.push(...problems.slice(before));
    };
    for (const file of files) {
      const dir = roots.find((r) => file.startsWith(r + sep));
      if (!dir) continue;
      const plugin = pluginOf(dir, file);
      const origin = { kind: 'directory' as const, source: dir };
      if (plugin === undefined) continue;
      if (plugin === 'all') {
        for (const key of loader.loaded()) {
          if (dirname(key) === dir && existsSync(key)) {
            record(relative(dir, key), () => loader.loadModule(key, origin));
          }
        }
      } else if (plugin.kind === 'module') {
        const label = relative(dir, plugin.path);
        if (existsSync(plugin.path)) record(label, () => loader.loadModule(plugin.path, origin));
        else record(label, () => ({ registered: [], removed: loader.unload(plugin.path) }));
      } else if (isDir(plugin.path)) {
        record(relative(dir, plugin.path), () => loader.loadPackage(plugin.path));
      }
    }
    if (reload.plugins.length > 0) options.onReload?.(reload);
  };

  const changed = (file: string): void => {
    pending.add(resolve(file));
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, options.debounceMs ?? 300);
  };
  watcher.on('add', changed).on('change', changed).on('unlink', changed);
  const ready = new Promise<void>((done) => watcher.once('ready', () => done()));
  const unsubscribe = loader.onProblem((p) => problems.push(p));
  return {
    ready,
    async close() {
      if (timer) clearTimeout(timer);
      unsubscribe();
      await watcher.close();
    },
  };
}
