/**
 * Plugin modules registered at run time (`POST /tasks?path=`): the allowlist check that stands
 * between a caller's path and `require`, and {@link RegisteredPlugins}, which loads into a
 * process's registry the registrations any machine recorded (the catalogue, on Temporal) that
 * this machine's own allowlist permits. Node-only.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { CascadenceError } from '../core/errors';
import type { PluginRecordStore } from '../core/task-flags';
import type { PluginLoader } from './loader';

const forbidden = (message: string): CascadenceError =>
  new CascadenceError('FORBIDDEN', message, {
    hint: 'name a module inside a configured plugin directory or a configured plugin package (CASCADENCE_PLUGIN_PATHS)',
  });

const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

const realDir = (dir: string): string | undefined => {
  try {
    return statSync(dir).isDirectory() ? realpathSync(dir) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The real path of the module `path` names, when the allowlist permits it.
 * @throws CascadenceError FORBIDDEN for anything outside the allowlist; VALIDATION for an allowed place with no module.
 */
export function resolvePluginModule(path: string, allowed: readonly string[], cwd = process.cwd()): string {
  if (!path || path.includes('\0')) throw forbidden('an empty plugin path is refused');
  if (!isAbsolute(path)) {
    // A bare name is a package: only an exact allowed name, resolved by Node from here.
    if (!PACKAGE_NAME.test(path) || !allowed.includes(path)) {
      throw forbidden(`plugin ${JSON.stringify(path)} is not an allowed package, and relative paths are refused`);
    }
    try {
      return realpathSync(require.resolve(path, { paths: [cwd] }));
    } catch {
      throw new CascadenceError('VALIDATION', `plugin package ${JSON.stringify(path)} cannot be found`);
    }
  }
  if (path.split(/[\\/]+/).includes('..')) throw forbidden('a plugin path with ".." is refused');
  const inside = (file: string): boolean =>
    allowed
      .filter((a) => isAbsolute(a))
      .map(realDir)
      .some((dir) => {
        if (!dir) return false;
        const rel = relative(dir, file);
        return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
      });
  // Checked before touching the file system with it, then again once links are resolved.
  if (!inside(resolve(path))) throw forbidden(`plugin path ${path} is outside the plugin directories`);
  let real: string;
  try {
    real = realpathSync(path);
    if (!statSync(real).isFile()) throw new Error('not a file');
  } catch {
    throw new CascadenceError('VALIDATION', `no plugin module at ${path}`, { hint: 'name a .js file' });
  }
  if (!inside(real)) throw forbidden(`plugin path ${path} leads outside the plugin directories`);
  return real;
}

/** How often a process re-reads the registrations when nothing asks for an unknown task. */
const SYNC_EVERY_MS = 1_000;

/**
 * Keeps a process's registry in step with the plugin modules registered at run time on any
 * machine: each registration this machine's allowlist permits is loaded once (one it does not
 * permit is reported once and skipped). Reads are throttled, except when a task is asked for
 * that the registry does not hold yet.
 */
export class RegisteredPlugins {
  private last = 0;
  private inFlight: Promise<string[]> | undefined;

  constructor(
    private readonly loader: PluginLoader,
    private readonly records: PluginRecordStore,
    private readonly allowed: readonly string[],
    private readonly cwd = process.cwd(),
  ) {}

  /** Loads the registrations not loaded yet; answers the tasks that joined the registry. */
  sync({ force = false } = {}): Promise<string[]> {
    if (!force && Date.now() - this.last < SYNC_EVERY_MS) return Promise.resolve([]);
    this.inFlight ??= this.load().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** True when `task` is registered, after loading the registrations if it was not. */
  async ensure(task: string): Promise<boolean> {
    if (this.loader.registry.has(task)) return true;
    await this.sync({ force: true });
    return this.loader.registry.has(task);
  }

  private async load(): Promise<string[]> {
    this.last = Date.now();
    const joined: string[] = [];
    for (const record of await this.records.plugins()) {
      let module: string;
      try {
        module = resolvePluginModule(record.module, this.allowed, this.cwd);
      } catch (err) {
        this.loader.problem({
          plugin: record.module,
          path: record.module,
          error: `registered plugin not loaded here: ${(err as Error).message}`,
        });
        continue;
      }
      if (this.loader.has(module)) continue;
      joined.push(...this.loader.loadModule(module, { kind: 'registered', source: record.module }).registered);
    }
    return joined;
  }
}
