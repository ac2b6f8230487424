/**
 * Plugin loading without servers: plugin directories and packages, broken plugins reported once
 * and skipped, reloads that keep the revision of runs in flight, the allowlist, and the watcher.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginLoader, type PluginProblem } from '../../../src/plugins/loader';
import { discoverPlugins, pluginAllowlist } from '../../../src/plugins/discovery';
import { watchPlugins, type PluginReload } from '../../../src/plugins/watch';
import { createDefaultRegistry } from '../../../src/plugins/builtin';
import { TaskRegistry } from '../../../src/plugins/registry';
import { RegisteredPlugins } from '../../../src/plugins/registered';
import { createStageRunner } from '../../../src/activities/stage-runner';
import type { PluginRecord } from '../../../src/core/task-flags';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plugins-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const pluginSource = (version: string, name = 'hello') =>
  `exports.tasks = { ${JSON.stringify(name)}: { kind: 'manual', run: () => ${JSON.stringify(version)} } };\n`;

const runOf = async (registry: TaskRegistry, name: string, revision?: string) =>
  (registry.get(name, revision).run as () => Promise<unknown>)();

describe('plugin directories', () => {
  it('loads the good plugins and reports each broken one once, with its name, path and error', () => {
    const plugins = join(dir, 'plugins');
    mkdirSync(plugins);
    writeFileSync(join(plugins, 'good.js'), pluginSource('v1'));
    writeFileSync(join(plugins, 'syntax.js'), 'exports.tasks = {');
    writeFileSync(join(plugins, 'throws.js'), "throw new Error('no database');");
    writeFileSync(join(plugins, 'nostage.js'), "exports.tasks = { idle: { description: 'nothing to do' } };");
    writeFileSync(join(plugins, 'clash.js'), pluginSource('x', 'example'));
    writeFileSync(join(plugins, 'notes.txt'), 'not a plugin');
    const problems: PluginProblem[] = [];
    const registry = createDefaultRegistry();
    const loader = new PluginLoader(registry, (p) => problems.push(p));
    const load = loader.loadDirectory(plugins);
    expect(load.registered).toEqual(['hello']);
    expect(registry.origin('hello')).toMatchObject({ kind: 'directory' });
    expect(registry.has('idle')).toBe(false);
    expect(problems.map((p) => p.plugin).sort()).toEqual(['clash.js', 'nostage.js', 'syntax.js', 'throws.js']);
    const byName = Object.fromEntries(problems.map((p) => [p.plugin, p]));
    expect(byName['throws.js']?.error).toBe('no database');
    expect(byName['throws.js']?.path).toBe(join(plugins, 'throws.js'));
    expect(byName['nostage.js']?.error).toMatch(/idle: task idle has no stage/);
    expect(byName['clash.js']?.error).toMatch(/task example is already registered by builtin|already registered/);
    // The built-in task of that name is left as it was.
    expect(registry.origin('example')).toEqual({ kind: 'builtin' });
    // Said once: loading the folder again reports nothing new.
    loader.loadDirectory(plugins);
    expect(problems).toHaveLength(4);
  });

  it('reports a missing plugin directory instead of failing', () => {
    const problems: PluginProblem[] = [];
    new PluginLoader(new TaskRegistry(), (p) => problems.push(p)).loadDirectory(join(dir, 'nowhere'));
    expect(problems[0]?.error).toMatch(/cannot read the plugin directory/);
  });
});

// Fresh code on reload needs Node's own module cache, which Jest replaces: the reloads' code is
// checked against real processes in test/integration/plugins.test.ts; here, the bookkeeping.
describe('reloading', () => {
  it('keeps the revisions runs started on when a task is replaced', async () => {
    const registry = new TaskRegistry();
    registry.register('hello', { run: () => 'v1' }, { revision: 'aaaaaaaaaaaa' });
    registry.replace('hello', { run: () => 'v2' }, { revision: 'bbbbbbbbbbbb' });
    expect(registry.revision('hello')).toBe('bbbbbbbbbbbb');
    expect(await runOf(registry, 'hello')).toBe('v2');
    expect(await runOf(registry, 'hello', 'aaaaaaaaaaaa')).toBe('v1');
    // A revision nobody kept falls back to the current code.
    expect(await runOf(registry, 'hello', 'feedfacecafe')).toBe('v2');
    registry.unregister('hello');
    expect(registry.has('hello')).toBe(false);
    expect(await runOf(registry, 'hello', 'bbbbbbbbbbbb')).toBe('v2');
  });

  it('runs every stage of a run on the revision its first stage here ran on', async () => {
    const registry = new TaskRegistry();
    const version = (v: string) => ({ intake: () => v, run: () => v, verify: () => v });
    registry.register('hello', version('v1'), { revision: 'aaaaaaaaaaaa' });
    const runner = createStageRunner({ registry });
    const env = { attempt: 1, signal: new AbortController().signal, heartbeat: () => undefined };
    const call = (runId: string, step: 'intake' | 'run' | 'verify') =>
      runner.runStep({ task: 'hello', step, runId, userHash: 'u', groupHash: 'g', input: null, context: [] }, env);
    expect(await call('r1', 'intake')).toBe('v1');
    registry.replace('hello', version('v2'), { revision: 'bbbbbbbbbbbb' });
    expect(await call('r1', 'run')).toBe('v1');
    expect(await call('r2', 'intake')).toBe('v2');
    registry.unregister('hello');
    // A run in flight finishes even when its plugin went away.
    expect(await call('r1', 'verify')).toBe('v1');
  });

  it('names loaded code by a revision: a hash of the module', () => {
    const file = join(dir, 'hello.js');
    writeFileSync(file, pluginSource('v1'));
    const registry = new TaskRegistry();
    new PluginLoader(registry).loadModule(file, { kind: 'directory', source: dir });
    expect(registry.revision('hello')).toMatch(/^[0-9a-f]{12}$/);
  });

  it('gathers a burst of saves into one reload per plugin, and a deletion removes its tasks', async () => {
    writeFileSync(join(dir, 'hello.js'), pluginSource('v1'));
    writeFileSync(join(dir, 'other.js'), pluginSource('o', 'other'));
    const registry = new TaskRegistry();
    const loader = new PluginLoader(registry);
    loader.loadDirectory(dir);
    const reloads: PluginReload[] = [];
    const watcher = watchPlugins(loader, [dir], { debounceMs: 150, intervalMs: 50, onReload: (r) => reloads.push(r) });
    await watcher.ready;
    try {
      writeFileSync(join(dir, 'hello.js'), pluginSource('v2'));
      await until(() => reloads.length === 1);
      expect(reloads[0]).toMatchObject({ plugins: ['hello.js'], registered: ['hello'], problems: [] });
      rmSync(join(dir, 'other.js'));
      await until(() => reloads.length === 2);
      expect(reloads[1]).toMatchObject({ plugins: ['other.js'], removed: ['other'] });
      expect(registry.names()).toEqual(['hello']);
      // Nothing more happens without a save.
      await new Promise((r) => setTimeout(r, 600));
      expect(reloads).toHaveLength(2);
    } finally {
      await watcher.close();
    }
  });
});

describe('plugin packages', () => {
  const install = (name: string, manifest: object, files: Record<string, string>) => {
    const root = join(dir, 'node_modules', name);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...manifest }));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), text);
    }
  };

  it('registers the tasks an installed dependency declares, and ignores the others', () => {
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'app', dependencies: { 'demo-plugin': '1.0.0', 'plain-lib': '1.0.0' } }),
    );
    install(
      'demo-plugin',
      { cascadence: { tasks: { demo_manual: './dist/tasks.js#demoManual', missing: './dist/tasks.js#nothing' } } },
      { 'dist/tasks.js': "exports.demoManual = { kind: 'manual', run: () => 'manual' };" },
    );
    install('plain-lib', {}, { 'index.js': 'module.exports = 1;' });
    const problems: PluginProblem[] = [];
    const registry = createDefaultRegistry();
    discoverPlugins(
      registry,
      { taskModules: [], pluginDirs: [], pluginPaths: [] },
      { cwd: dir, report: (p) => problems.push(p) },
    );
    expect(registry.describe('demo_manual').kind).toBe('manual');
    expect(registry.origin('demo_manual')).toEqual({ kind: 'package', source: 'demo-plugin' });
    expect(problems).toEqual([
      expect.objectContaining({ plugin: 'demo-plugin', error: 'missing: it has no export nothing' }),
    ]);
    expect(pluginAllowlist({ taskModules: [], pluginDirs: ['plugins'], pluginPaths: [] }, dir)).toEqual([
      join(dir, 'plugins'),
      'demo-plugin',
    ]);
  });

  it('refuses a declaration that points outside its package', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', dependencies: { sneaky: '1.0.0' } }));
    writeFileSync(join(dir, 'outside.js'), 'exports.t = { run: () => 1 };');
    install('sneaky', { cascadence: { tasks: { t: '../../outside.js#t' } } }, {});
    const problems: PluginProblem[] = [];
    const registry = new TaskRegistry();
    new PluginLoader(registry, (p) => problems.push(p)).loadInstalledPackages(dir);
    expect(registry.has('t')).toBe(false);
    expect(problems[0]?.error).toMatch(/outside the package/);
  });
});

describe('registrations from other machines', () => {
  it('loads the registrations its allowlist permits, once, and reports the others once', async () => {
    const plugins = join(dir, 'plugins');
    mkdirSync(plugins);
    writeFileSync(join(plugins, 'reg.js'), pluginSource('registered', 'from-api'));
    const records: PluginRecord[] = [
      { module: join(plugins, 'reg.js'), registered_at: '2026-12-02T00:00:00Z' },
      { module: '/elsewhere/evil.js', registered_at: '2026-12-02T00:00:01Z' },
    ];
    let reads = 0;
    const problems: PluginProblem[] = [];
    const registry = new TaskRegistry();
    const follower = new RegisteredPlugins(
      new PluginLoader(registry, (p) => problems.push(p)),
      { plugins: async () => (reads++, records), addPlugin: async () => ({ added: true }) },
      [plugins],
    );
    expect(await follower.ensure('from-api')).toBe(true);
    expect(registry.origin('from-api')).toEqual({ kind: 'registered', source: join(plugins, 'reg.js') });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.error).toMatch(/registered plugin not loaded here: .*outside the plugin directories/);
    // Throttled: a second sync within the second reads nothing.
    await follower.sync();
    expect(reads).toBe(1);
    expect(await follower.ensure('no-such-task')).toBe(false);
    expect(reads).toBe(2);
    expect(problems).toHaveLength(1);
  });
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
