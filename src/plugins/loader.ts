/**
 * Loading plugins into a registry: plugin modules (a file exporting `tasks` or `register`),
 * plugin directories (each `.js`/`.cjs` file in them, and each package folder inside), and
 * installed npm packages that declare their tasks in `package.json`
 * (`"cascadence": { "tasks": { "demo_manual": "./dist/tasks.js#demoManual" } }`).
 *
 * A broken plugin (it does not parse, its import throws, a task has no stage, a name is taken)
 * is reported once with its name, path and error, and skipped: it never stops the others.
 * Loaded code is named by a revision (a hash of its module files), so a reload puts new code in
 * place while runs that started on the old revision finish on it. Node-only.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Task } from '../core';
import { TaskRegistry, type TaskClass, type TaskOrigin } from './registry';

/** One broken plugin, as reported. */
export interface PluginProblem {
  /** The plugin: a package name, or the module's file name. */
  plugin: string;
  /** The file or folder at fault. */
  path: string;
  /** What went wrong, one line. */
  error: string;
}

/** What loading one plugin did. */
export interface PluginLoad {
  /** Tasks registered (or replaced, on a reload). */
  registered: string[];
  /** Tasks it provided that were skipped (reported). */
  skipped: string[];
  /** Tasks an earlier load of the same plugin had that it no longer provides (removed). */
  removed: string[];
}

/** A plugin package's declaration in its `package.json`. */
interface PackageManifest {
  name?: string;
  cascadence?: { tasks?: Record<string, string> | string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface TaskModuleExports {
  register?: (registry: TaskRegistry) => unknown;
  tasks?: Record<string, Task | TaskClass>;
  default?: TaskModuleExports;
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

const within = (dir: string, file: string): boolean => {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
};

/** Loads plugins into one registry, remembering what each provided so it can be reloaded. */
export class PluginLoader {
  /** Tasks by plugin key (a module file, or `package:<name>`). */
  private readonly provided = new Map<string, string[]>();
  private readonly reported = new Set<string>();

  constructor(
    readonly registry: TaskRegistry,
    private readonly report: (problem: PluginProblem) => void = () => undefined,
  ) {}

  /** Keys of the plugins loaded so far (module files and `package:<name>`). */
  loaded(): string[] {
    return [...this.provided.keys()];
  }

  /** Whether the module file (or package) was loaded, under its real path or `package:<name>`. */
  has(key: string): boolean {
    return this.provided.has(key);
  }

  /** Removes the tasks a module (a file path or `package:<name>`) provided: it was deleted. */
  unload(key: string): string[] {
    const names = this.provided.get(key) ?? [];
    for (const name of names) this.registry.unregister(name);
    this.provided.delete(key);
    return names;
  }

  /** Reports a problem once (the same plugin, path and error are said only once per process). */
  problem(problem: PluginProblem): void {
    for (const listener of this.listeners) listener(problem);
    const key = `${problem.plugin}\0${problem.path}\0${problem.error}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.report(problem);
  }

  /** Calls `listener` with every problem met from now on (said or not); returns how to stop. */
  onProblem(listener: (problem: PluginProblem) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly listeners = new Set<(problem: PluginProblem) => void>();

  /**
   * Loads (or, when loaded before, reloads) the task module `file`. A failed reload keeps the
   * tasks of the last good load and reports the error.
   */
  loadModule(file: string, origin: TaskOrigin): PluginLoad {
    const path = safeRealpath(file);
    const plugin = relative(dirname(path), path);
    let exports: TaskModuleExports;
    try {
      const root = origin.kind === 'directory' && origin.source ? origin.source : dirname(path);
      exports = loadFile(path, this.provided.has(path) ? root : undefined);
    } catch (err) {
      this.problem({ plugin, path, error: firstLine(err) });
      return { registered: [], skipped: this.provided.get(path) ?? [], removed: [] };
    }
    const scratch = new TaskRegistry();
    try {
      const m = exports.register || exports.tasks ? exports : (exports.default ?? exports);
      if (typeof m.register === 'function') m.register(scratch);
      else if (m.tasks && typeof m.tasks === 'object') {
        for (const [name, task] of Object.entries(m.tasks)) scratch.register(name, task);
      } else throw new Error('it exports neither register(registry) nor tasks');
    } catch (err) {
      this.problem({ plugin, path, error: firstLine(err) });
      return { registered: [], skipped: this.provided.get(path) ?? [], removed: [] };
    }
    const tasks = new Map(scratch.names().map((name) => [name, scratch.get(name)] as const));
    return this.install(path, plugin, path, tasks, { ...origin, source: origin.source ?? path }, revisionOf(path));
  }

  /**
   * Loads the installed package in `dir` when its `package.json` declares tasks; anything else
   * is no plugin and is passed over silently.
   */
  loadPackage(dir: string): PluginLoad {
    const none: PluginLoad = { registered: [], skipped: [], removed: [] };
    const manifestPath = join(dir, 'package.json');
    let manifest: PackageManifest;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageManifest;
    } catch {
      return none;
    }
    const declared = manifest.cascadence?.tasks;
    if (declared === undefined) return none;
    const name = manifest.name ?? dir;
    const root = safeRealpath(dir);
    const origin: TaskOrigin = { kind: 'package', source: name };
    if (typeof declared === 'string') return this.loadModule(this.packageFile(root, declared, name) ?? '', origin);
    if (typeof declared !== 'object' || declared === null) {
      this.problem({ plugin: name, path: manifestPath, error: 'cascadence.tasks is neither a module nor a map' });
      return none;
    }
    const tasks = new Map<string, Task>();
    const files = new Set<string>();
    for (const [task, ref] of Object.entries(declared)) {
      const [file, exported = 'default'] = String(ref).split('#');
      const path = this.packageFile(root, file ?? '', name);
      if (!path) continue;
      try {
        const mod = loadFile(path, this.provided.has(`package:${name}`) ? root : undefined) as Record<string, unknown>;
        const value = (exported === 'default' ? (mod.default ?? mod) : mod[exported]) as Task | TaskClass | undefined;
        if (value === undefined || value === null) throw new Error(`it has no export ${exported}`);
        tasks.set(task, typeof value === 'function' ? new (value as TaskClass)() : value);
        files.add(path);
      } catch (err) {
        this.problem({ plugin: name, path, error: `${task}: ${firstLine(err)}` });
      }
    }
    const revision = hashOf([...files].sort().map((f) => revisionOf(f)));
    return this.install(`package:${name}`, name, manifestPath, tasks, origin, revision);
  }

  /** Every plugin in `dir`: its `.js`/`.cjs` files and its package folders. A missing folder is reported. */
  loadDirectory(dir: string): PluginLoad {
    const out: PluginLoad = { registered: [], skipped: [], removed: [] };
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      this.problem({ plugin: dir, path: dir, error: `cannot read the plugin directory: ${firstLine(err)}` });
      return out;
    }
    const origin: TaskOrigin = { kind: 'directory', source: safeRealpath(dir) };
    for (const entry of entries) {
      const path = join(dir, entry);
      let load: PluginLoad | undefined;
      if (isPluginFile(entry)) load = this.loadModule(path, origin);
      else if (isDirectory(path) && existsSync(join(path, 'package.json'))) load = this.loadPackage(path);
      if (!load) continue;
      out.registered.push(...load.registered);
      out.skipped.push(...load.skipped);
      out.removed.push(...load.removed);
    }
    return out;
  }

  /**
   * The installed packages that declare tasks: the dependencies named by `cwd`'s `package.json`,
   * found in the `node_modules` folders from `cwd` up. Only declared dependencies are looked at,
   * so starting a command does not read every installed package.
   */
  loadInstalledPackages(cwd: string): PluginLoad {
    const out: PluginLoad = { registered: [], skipped: [], removed: [] };
    for (const dir of installedPackageDirs(cwd)) {
      const load = this.loadPackage(dir);
      out.registered.push(...load.registered);
      out.skipped.push(...load.skipped);
    }
    return out;
  }

  private packageFile(root: string, file: string, name: string): string | undefined {
    const path = resolve(root, file);
    // A declaration may not point outside its own package.
    if (!within(root, path) || !existsSync(path)) {
      this.problem({ plugin: name, path, error: `declared module ${file} is missing or outside the package` });
      return undefined;
    }
    return safeRealpath(path);
  }

  /**
   * Puts one plugin's tasks in the registry: new ones registered, its own earlier ones replaced,
   * those it no longer provides removed. `key` names the plugin across loads.
   */
  install(
    key: string,
    plugin: string,
    path: string,
    tasks: Map<string, Task>,
    origin: TaskOrigin,
    revision: string,
  ): PluginLoad {
    const before = new Set(this.provided.get(key) ?? []);
    const registered: string[] = [];
    const skipped: string[] = [];
    for (const [name, task] of tasks) {
      const problem = taskProblem(name, task);
      if (problem) {
        this.problem({ plugin, path, error: `${name}: ${problem}` });
        skipped.push(name);
        continue;
      }
      try {
        if (before.has(name)) this.registry.replace(name, task, { origin, revision });
        else if (this.registry.has(name)) {
          const origin = this.registry.origin(name);
          const other = origin?.source ?? origin?.kind ?? 'another plugin';
          throw new Error(`task ${name} is already registered by ${other}`);
        } else this.registry.register(name, task, { origin, revision });
        registered.push(name);
      } catch (err) {
        this.problem({ plugin, path, error: firstLine(err) });
        skipped.push(name);
      }
    }
    const removed = [...before].filter((name) => !tasks.has(name));
    for (const name of removed) this.registry.unregister(name);
    // A task that failed its check on a reload keeps its last good code.
    const kept = skipped.filter((name) => before.has(name));
    this.provided.set(key, [...registered, ...kept]);
    return { registered, skipped, removed };
  }
}

/** Why `task` cannot be registered (it has no stage at all), or undefined. */
function taskProblem(name: string, task: Task | undefined): string | undefined {
  if (typeof task !== 'object' || task === null) return 'it is not a task object or class';
  const stages = ['intake', 'research', 'plan', 'precheck', 'run', 'verify'] as const;
  if (!stages.some((s) => typeof task[s] === 'function'))
    return `task ${name} has no stage (intake, research, plan, run or verify)`;
  return undefined;
}

const isPluginFile = (name: string): boolean => /\.c?js$/.test(name) && !name.startsWith('.');

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const safeRealpath = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
};

/**
 * Requires `file`; on a reload (`root` given) afresh: its cached copy and those of the files it
 * loaded from inside `root` (not from a `node_modules` there) are dropped first, so an edited
 * plugin's new code is what runs while every other module stays as it is.
 */
function loadFile(file: string, root: string | undefined): TaskModuleExports {
  // Node's own require for the file (not a bundler's or a test runner's), so its cache is the one dropped.
  const nodeRequire = createRequire(file);
  if (root !== undefined) {
    for (const cached of Object.keys(nodeRequire.cache)) {
      const inRoot = within(root, cached) && !relative(root, cached).split(sep).includes('node_modules');
      if (cached === file || inRoot) delete nodeRequire.cache[cached];
    }
  }
  return nodeRequire(file) as TaskModuleExports;
}

/** The revision of a loaded module: a hash of its file and the files it loaded beside it. */
function revisionOf(file: string): string {
  const seen = new Set<string>();
  const root = dirname(file);
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const child of createRequire(file).cache[path]?.children ?? [])
      if (within(root, child.filename)) visit(child.filename);
  };
  visit(file);
  return hashOf(
    [...seen].sort().map((path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return path;
      }
    }),
  );
}

const hashOf = (parts: string[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
};

/** The folders of `cwd`'s declared dependencies, from the nearest `node_modules` holding each. */
export function installedPackageDirs(cwd: string): string[] {
  let manifest: PackageManifest;
  try {
    manifest = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as PackageManifest;
  } catch {
    return [];
  }
  const names = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const dirs: string[] = [];
  for (const name of [...names].sort()) {
    for (let dir = resolve(cwd); ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        dirs.push(candidate);
        break;
      }
      if (dirname(dir) === dir) break;
    }
  }
  return dirs;
}
