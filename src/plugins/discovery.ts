/**
 * Plugin discovery: the tasks every process (CLI, worker, API) registers beside the built-in
 * ones, from the configured task modules, the plugin directories (`plugin_dirs` /
 * `CASCADENCE_PLUGIN_DIRS`) and the installed packages that declare tasks in their
 * `package.json`. The same places make the allowlist of `POST /tasks?path=`. Node-only.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { CascadenceConfig } from '../config/config';
import { PluginLoader, installedPackageDirs, type PluginProblem } from './loader';
import type { TaskRegistry } from './registry';
import { loadTaskModules } from './task-modules';

/** The configuration discovery reads. */
export type PluginConfig = Pick<CascadenceConfig, 'taskModules' | 'pluginDirs' | 'pluginPaths'>;

/** What to do with a broken plugin (default: one line on stderr). */
export type PluginReporter = (problem: PluginProblem) => void;

/** One line on stderr per broken plugin: its name, path and error. */
export const reportToStderr: PluginReporter = (p) => {
  process.stderr.write(`plugin ${p.plugin} skipped (${p.path}): ${p.error}\n`);
};

const loaders = new WeakMap<TaskRegistry, PluginLoader>();

/** The plugin loader of `registry` (one per registry, so every load and reload shares what it knows). */
export function loaderOf(registry: TaskRegistry, report: PluginReporter = reportToStderr): PluginLoader {
  let loader = loaders.get(registry);
  if (!loader) {
    loader = new PluginLoader(registry, report);
    loaders.set(registry, loader);
  }
  return loader;
}

/** The configured plugin directories, absolute (relative ones are read from `cwd`). */
export function pluginDirectories(config: Pick<PluginConfig, 'pluginDirs'>, cwd = process.cwd()): string[] {
  return config.pluginDirs.map((dir) => resolve(cwd, dir));
}

/**
 * Registers every discovered task in `registry`: the task modules (a broken one is a CONFIG
 * error, as they are named one by one), then each plugin directory and each installed plugin
 * package (a broken one is reported and skipped).
 * @throws CascadenceError CONFIG for a task module that cannot be loaded.
 */
export function discoverPlugins(
  registry: TaskRegistry,
  config: PluginConfig,
  { cwd = process.cwd(), report }: { cwd?: string; report?: PluginReporter } = {},
): PluginLoader {
  loadTaskModules(registry, config.taskModules, cwd);
  const loader = loaderOf(registry, report);
  for (const dir of pluginDirectories(config, cwd)) loader.loadDirectory(dir);
  loader.loadInstalledPackages(cwd);
  return loader;
}

/** The names of `cwd`'s installed packages that declare Cascadence tasks. */
export function pluginPackages(cwd = process.cwd()): string[] {
  const names: string[] = [];
  for (const dir of installedPackageDirs(cwd)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        cascadence?: unknown;
      };
      if (manifest.cascadence !== undefined && manifest.name) names.push(manifest.name);
    } catch {
      // Not readable: not a plugin.
    }
  }
  return names;
}

/**
 * The allowlist of modules that may be registered at run time: the plugin directories, the
 * installed plugin packages and `plugin_paths` (directories resolved from `cwd`, bare names kept
 * as package names); with none of them configured, the directories of the task modules.
 */
export function pluginAllowlist(config: PluginConfig, cwd = process.cwd()): string[] {
  const listed = config.pluginPaths.map((p) => (isAbsolute(p) || p.startsWith('.') ? resolve(cwd, p) : p));
  const allowed = [...pluginDirectories(config, cwd), ...listed, ...pluginPackages(cwd)];
  if (allowed.length > 0) return [...new Set(allowed)];
  return [...new Set(config.taskModules.map((m) => dirname(resolve(cwd, m))))];
}
