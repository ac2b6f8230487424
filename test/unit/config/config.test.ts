import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import {
  BACKENDS,
  EVENT_TRANSPORTS,
  defaultConfig,
  loadConfig,
  splitCommand,
  type ConfigOverrides,
} from '../../../src/config/config';
import { isCascadenceError, type CascadenceError } from '../../../src/core/errors';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cascadence-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** Writes `text` to a fresh file in the temp dir and returns its path. */
function yamlFile(text: string): string {
  const file = path.join(dir, `config-${++fileCount}.yml`);
  writeFileSync(file, text);
  return file;
}

/** loadConfig with an explicit env and a collecting warn, so nothing global is read or written. */
function load(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = {}) {
  const warnings: string[] = [];
  const config = loadConfig(overrides, env, (m) => warnings.push(m));
  return { config, warnings };
}

function configError(overrides: ConfigOverrides, env: NodeJS.ProcessEnv = {}): CascadenceError {
  try {
    load(overrides, env);
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return err;
  }
  throw new Error('expected loadConfig to throw');
}

const DEFAULTS = {
  backend: 'temporal',
  address: 'localhost:7233',
  namespace: 'default',
  taskQueue: 'cascadence',
  hashSecret: '',
  timezone: 'UTC',
  statePath: path.join(homedir(), '.cascadence', 'task-state.json'),
  auditPath: path.join(homedir(), '.cascadence', 'audit.jsonl'),
  events: 'none',
  taskModules: [],
  pluginPaths: [],
  source: undefined,
};

const FULL_FILE = [
  'backend: base',
  'temporal_address: file-host:1111',
  'temporal_namespace: file-ns',
  'task_queue: file-queue',
  'hash_secret: file-secret',
  'timezone: Europe/Paris',
  'state_path: /srv/cascadence/state.json',
  'audit_path: /srv/cascadence/audit.jsonl',
  'events: log',
  'task_modules: [./tasks.js]',
  '',
].join('\n');

describe('loadConfig', () => {
  describe('defaults', () => {
    it('applies the defaults with no file, no env and no flags', () => {
      const { config, warnings } = load();
      expect(config).toMatchObject(DEFAULTS);
      expect(config).toMatchObject({ cronyxTimeout: 5, cronyxRefresh: true, webUiUrl: 'http://localhost:8233' });
      expect(warnings).toEqual([]);
    });

    it('does not read process.env when an env object is given', () => {
      const { config } = load({}, {});
      expect(config.address).toBe('localhost:7233');
      expect(config.source).toBeUndefined();
    });
  });

  describe('the YAML file', () => {
    it('overrides the defaults, from the config override', () => {
      const file = yamlFile(FULL_FILE);
      const { config, warnings } = load({ config: file });
      expect(config).toMatchObject({
        backend: 'base',
        address: 'file-host:1111',
        namespace: 'file-ns',
        taskQueue: 'file-queue',
        hashSecret: 'file-secret',
        timezone: 'Europe/Paris',
        statePath: '/srv/cascadence/state.json',
        auditPath: '/srv/cascadence/audit.jsonl',
        events: 'log',
        taskModules: ['./tasks.js'],
        source: file,
      });
      expect(warnings).toEqual([]);
    });

    it('is found through CASCADENCE_CONFIG', () => {
      const file = yamlFile('temporal_namespace: from-env-file\n');
      const { config } = load({}, { CASCADENCE_CONFIG: file });
      expect(config.namespace).toBe('from-env-file');
      expect(config.source).toBe(file);
    });

    it('named by the override wins over CASCADENCE_CONFIG', () => {
      const fromFlag = yamlFile('temporal_namespace: flag-file\n');
      const fromEnv = yamlFile('temporal_namespace: env-file\n');
      const { config } = load({ config: fromFlag }, { CASCADENCE_CONFIG: fromEnv });
      expect(config.namespace).toBe('flag-file');
      expect(config.source).toBe(fromFlag);
    });

    it('accepts the original key names scheduler and temporal_server', () => {
      const { config } = load({ config: yamlFile('scheduler: base\ntemporal_server: old-host:7233\n') });
      expect(config.backend).toBe('base');
      expect(config.address).toBe('old-host:7233');
    });

    it('turns scalar values into strings', () => {
      const { config } = load({ config: yamlFile('task_queue: 12345\nhash_secret: true\n') });
      expect(config.taskQueue).toBe('12345');
      expect(config.hashSecret).toBe('true');
    });

    it('ignores null values, keeping the default', () => {
      const { config } = load({ config: yamlFile('temporal_namespace:\ntask_queue: ~\n') });
      expect(config.namespace).toBe('default');
      expect(config.taskQueue).toBe('cascadence');
    });

    it('treats an empty file as no settings', () => {
      const { config, warnings } = load({ config: yamlFile('') });
      expect(config.backend).toBe('temporal');
      expect(warnings).toEqual([]);
    });

    it('warns about unknown keys through the injected warn, naming key and file, and ignores them', () => {
      const file = yamlFile('temporal_namespace: ns\nfavourite_colour: blue\nworkers: 3\n');
      const { config, warnings } = load({ config: file });
      expect(config.namespace).toBe('ns');
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toContain('"favourite_colour"');
      expect(warnings[0]).toContain(file);
      expect(warnings[1]).toContain('"workers"');
      expect(config).not.toHaveProperty('favourite_colour');
      expect(config).not.toHaveProperty('workers');
    });

    it('treats keys named like Object.prototype members as unknown too', () => {
      const file = yamlFile('constructor: x\ntoString: y\n');
      const { config, warnings } = load({ config: file });
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toContain('"constructor"');
      expect(warnings[1]).toContain('"toString"');
      expect(Object.keys(config).sort()).toEqual([...Object.keys(defaultConfig()), 'source'].sort());
    });
  });

  describe('environment', () => {
    it('overrides the file', () => {
      const file = yamlFile(FULL_FILE);
      const { config } = load(
        { config: file },
        {
          CASCADENCE_SCHEDULER: 'temporal',
          TEMPORAL_SERVER: 'env-host:2222',
          TEMPORAL_NAMESPACE: 'env-ns',
          CASCADENCE_TASK_QUEUE: 'env-queue',
          CASCADENCE_HASH_SECRET: 'env-secret',
          CASCADENCE_TIMEZONE: 'Asia/Tokyo',
          CASCADENCE_STATE_PATH: '/env/state.json',
          CASCADENCE_AUDIT_PATH: '/env/audit.jsonl',
          CASCADENCE_EVENTS: 'none',
        },
      );
      expect(config).toMatchObject({
        backend: 'temporal',
        address: 'env-host:2222',
        namespace: 'env-ns',
        taskQueue: 'env-queue',
        hashSecret: 'env-secret',
        timezone: 'Asia/Tokyo',
        statePath: '/env/state.json',
        auditPath: '/env/audit.jsonl',
        events: 'none',
        taskModules: ['./tasks.js'],
        source: file,
      });
    });

    it('lets TEMPORAL_ADDRESS win over TEMPORAL_SERVER', () => {
      const env = { TEMPORAL_SERVER: 'server:1', TEMPORAL_ADDRESS: 'address:2' };
      expect(load({}, env).config.address).toBe('address:2');
      expect(load({}, { TEMPORAL_SERVER: 'server:1' }).config.address).toBe('server:1');
      expect(load({}, { TEMPORAL_ADDRESS: 'address:2' }).config.address).toBe('address:2');
    });

    it('ignores empty variables', () => {
      const file = yamlFile('temporal_namespace: file-ns\n');
      const { config } = load(
        { config: file },
        { TEMPORAL_NAMESPACE: '', TEMPORAL_ADDRESS: '', CASCADENCE_SCHEDULER: '' },
      );
      expect(config.namespace).toBe('file-ns');
      expect(config.address).toBe('localhost:7233');
      expect(config.backend).toBe('temporal');
    });

    it('sets the hash secret from CASCADENCE_HASH_SECRET', () => {
      expect(load({}, { CASCADENCE_HASH_SECRET: 's3cret' }).config.hashSecret).toBe('s3cret');
    });
  });

  describe('overrides (CLI flags)', () => {
    it('win over environment and file', () => {
      const file = yamlFile(FULL_FILE);
      const { config } = load(
        { config: file, backend: 'base', address: 'flag-host:3333', namespace: 'flag-ns', taskQueue: 'flag-queue' },
        {
          CASCADENCE_SCHEDULER: 'temporal',
          TEMPORAL_ADDRESS: 'env-host:2222',
          TEMPORAL_NAMESPACE: 'env-ns',
          CASCADENCE_TASK_QUEUE: 'env-queue',
          CASCADENCE_HASH_SECRET: 'env-secret',
        },
      );
      expect(config).toMatchObject({
        backend: 'base',
        address: 'flag-host:3333',
        namespace: 'flag-ns',
        taskQueue: 'flag-queue',
        hashSecret: 'env-secret',
      });
    });

    it('that are undefined or empty leave lower layers alone', () => {
      const { config } = load(
        { backend: undefined, address: '', namespace: undefined, taskQueue: '' },
        { TEMPORAL_ADDRESS: 'env-host:2222', CASCADENCE_TASK_QUEUE: 'env-queue' },
      );
      expect(config.address).toBe('env-host:2222');
      expect(config.taskQueue).toBe('env-queue');
      expect(config.backend).toBe('temporal');
    });
  });

  describe('errors', () => {
    it('rejects an unknown backend from any layer with CONFIG, listing the valid ones', () => {
      const cases: Array<[ConfigOverrides, NodeJS.ProcessEnv]> = [
        [{ backend: 'kafka' }, {}],
        [{}, { CASCADENCE_SCHEDULER: 'kafka' }],
        [{ config: yamlFile('backend: kafka\n') }, {}],
      ];
      for (const [overrides, env] of cases) {
        const err = configError(overrides, env);
        expect(err.code).toBe('CONFIG');
        expect(err.message).toContain('"kafka"');
        for (const name of BACKENDS) expect(err.message).toContain(name);
      }
    });

    it('rejects an unknown event transport with CONFIG, listing the valid ones', () => {
      for (const [overrides, env] of [
        [{}, { CASCADENCE_EVENTS: 'carrier-pigeon' }],
        [{ config: yamlFile('events: carrier-pigeon\n') }, {}],
      ] as Array<[ConfigOverrides, NodeJS.ProcessEnv]>) {
        const err = configError(overrides, env);
        expect(err.code).toBe('CONFIG');
        expect(err.message).toContain('"carrier-pigeon"');
        for (const name of EVENT_TRANSPORTS) expect(err.message).toContain(name);
      }
    });

    it('accepts every listed backend', () => {
      for (const name of BACKENDS) expect(load({ backend: name }).config.backend).toBe(name);
    });

    it('reports a missing file as CONFIG with a hint', () => {
      const missing = path.join(dir, 'does-not-exist.yml');
      for (const [overrides, env] of [
        [{ config: missing }, {}],
        [{}, { CASCADENCE_CONFIG: missing }],
      ] as Array<[ConfigOverrides, NodeJS.ProcessEnv]>) {
        const err = configError(overrides, env);
        expect(err.code).toBe('CONFIG');
        expect(err.message).toContain(missing);
        expect(err.message).toMatch(/does not exist/);
        expect(err.hint).toEqual(expect.any(String));
      }
    });

    it('reports invalid YAML as CONFIG, on one line', () => {
      const file = yamlFile('backend: [base\nnamespace: {\n');
      const err = configError({ config: file });
      expect(err.code).toBe('CONFIG');
      expect(err.message).toContain(file);
      expect(err.message).toMatch(/not valid YAML/);
      expect(err.message).not.toContain('\n');
    });

    it.each<[string, string]>([
      ['a list', '- backend\n- base\n'],
      ['a string', 'just a string\n'],
      ['a number', '42\n'],
    ])('reports a file holding %s instead of a mapping as CONFIG', (_label, text) => {
      const file = yamlFile(text);
      const err = configError({ config: file });
      expect(err.code).toBe('CONFIG');
      expect(err.message).toContain(file);
      expect(err.message).toMatch(/mapping/);
    });
  });
});

describe('loadConfig task modules', () => {
  it('reads CASCADENCE_TASK_MODULES as a comma-separated list, trimmed, empties dropped', () => {
    const config = loadConfig({}, { CASCADENCE_TASK_MODULES: ' ./a.js, ,b/c.js ' }, () => undefined);
    expect(config.taskModules).toEqual(['./a.js', 'b/c.js']);
  });
});

describe('loadConfig providers', () => {
  it('has no research URL and no plan command by default', () => {
    const { config } = load();
    expect(config.researchUrl).toBeUndefined();
    expect(config.planCommand).toBeUndefined();
  });

  it('reads research_url and plan_command (a list) from the file, the environment winning', () => {
    const file = yamlFile('research_url: http://file/research\nplan_command: [node, "my plan.js", --fast]\n');
    expect(load({ config: file }).config).toMatchObject({
      researchUrl: 'http://file/research',
      planCommand: ['node', 'my plan.js', '--fast'],
    });
    const { config } = load(
      { config: file },
      { CASCADENCE_RESEARCH_URL: 'http://env/research', CASCADENCE_PLAN_COMMAND: "python3 '/opt/my plans/plan.py' -v" },
    );
    expect(config.researchUrl).toBe('http://env/research');
    expect(config.planCommand).toEqual(['python3', '/opt/my plans/plan.py', '-v']);
  });

  it('splits a plan command string into words without a shell', () => {
    const { config } = load({ config: yamlFile('plan_command: \'node plan.js "a b" $HOME;rm\'\n') });
    expect(config.planCommand).toEqual(['node', 'plan.js', 'a b', '$HOME;rm']);
  });

  it('refuses a plan command that names no program, or has an unterminated quote (CONFIG)', () => {
    expect(configError({ config: yamlFile('plan_command: []\n') }).message).toMatch(
      /plan_command in .* must name a program/,
    );
    const err = configError({}, { CASCADENCE_PLAN_COMMAND: 'node "plan.js' });
    expect(err.code).toBe('CONFIG');
    expect(err.message).toBe('CASCADENCE_PLAN_COMMAND has an unterminated " quote');
  });
});

describe('splitCommand', () => {
  it.each<[string, string[]]>([
    ['node plan.js', ['node', 'plan.js']],
    ['  spaced\t  out  ', ['spaced', 'out']],
    ['\'single quoted\' "double quoted"', ['single quoted', 'double quoted']],
    ['"esc \\"q\\" and \\\\" lit\\ eral', ['esc "q" and \\', 'lit eral']],
    ["'no \\escape in single' ''", ['no \\escape in single', '']],
    ['a"b c"d', ['ab cd']],
    ['echo $(id) `id` | cat > f', ['echo', '$(id)', '`id`', '|', 'cat', '>', 'f']],
    ['', []],
  ])('%j', (line, argv) => {
    expect(splitCommand(line)).toEqual(argv);
  });

  it('refuses a trailing backslash', () => {
    expect(() => splitCommand('node plan.js \\')).toThrow(/ends with a backslash/);
  });
});
