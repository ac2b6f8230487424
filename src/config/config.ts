/**
 * Configuration: defaults, overridden by the YAML file named by `CASCADENCE_CONFIG` (or
 * `--config`), overridden by environment variables, overridden by CLI flags. Node-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CascadenceError } from '../core/errors';
import { DEFAULT_TASK_QUEUE } from '../core/ids';

/** The backends Cascadence can run on. */
export const BACKENDS = ['temporal', 'base'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Effective configuration. */
export interface CascadenceConfig {
  backend: BackendName;
  /** Temporal frontend address, host:port. */
  address: string;
  namespace: string;
  taskQueue: string;
  /** Key of the HMAC that hashes user and group ids ('' means plain SHA-256). */
  hashSecret: string;
  timezone: string;
  /** File holding task flags (disabled, paused). */
  statePath: string;
  /** JSON Lines audit store of the non-Temporal modes. */
  auditPath: string;
  /** Event transport: `none`, or `log` (JSON lines on stderr). */
  events: string;
  /** Modules whose tasks are registered beside the built-in ones (CLI and worker alike). */
  taskModules: string[];
  /** Where the config came from, for messages. */
  source: string | undefined;
}

/** Flags that override everything else. */
export interface ConfigOverrides {
  config?: string | undefined;
  backend?: string | undefined;
  address?: string | undefined;
  namespace?: string | undefined;
  taskQueue?: string | undefined;
}

const FILE_KEYS: Record<string, keyof CascadenceConfig | null> = {
  backend: 'backend',
  scheduler: 'backend',
  temporal_server: 'address',
  temporal_address: 'address',
  temporal_namespace: 'namespace',
  task_queue: 'taskQueue',
  hash_secret: 'hashSecret',
  timezone: 'timezone',
  state_path: 'statePath',
  audit_path: 'auditPath',
  events: 'events',
  task_modules: 'taskModules',
};

/** Event transports available now. */
export const EVENT_TRANSPORTS = ['none', 'log'] as const;

function readFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) {
    throw new CascadenceError('CONFIG', `config file ${path} does not exist`, {
      hint: 'fix CASCADENCE_CONFIG or --config, or create the file',
    });
  }
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CascadenceError('CONFIG', `config file ${path} is not valid YAML: ${msg}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new CascadenceError('CONFIG', `config file ${path} must be a mapping of keys to values`);
  }
  return data as Record<string, unknown>;
}

/**
 * Loads the effective configuration.
 * @throws CascadenceError CONFIG for a missing or malformed file or an unknown backend.
 */
export function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`),
): CascadenceConfig {
  const cfg: Record<string, unknown> = {
    backend: 'temporal',
    address: 'localhost:7233',
    namespace: 'default',
    taskQueue: DEFAULT_TASK_QUEUE,
    hashSecret: '',
    timezone: 'UTC',
    statePath: join(homedir(), '.cascadence', 'task-state.json'),
    auditPath: join(homedir(), '.cascadence', 'audit.jsonl'),
    events: 'none',
    taskModules: [],
  };
  const path = overrides.config ?? env.CASCADENCE_CONFIG;
  if (path) {
    for (const [key, value] of Object.entries(readFile(path))) {
      const target = Object.hasOwn(FILE_KEYS, key) ? FILE_KEYS[key] : undefined;
      if (target === undefined) warn(`unknown key ${JSON.stringify(key)} in ${path} (ignored)`);
      else if (target === 'taskModules') cfg.taskModules = Array.isArray(value) ? value.map(String) : [String(value)];
      else if (target !== null && value !== null && value !== undefined) cfg[target] = String(value);
    }
  }
  const fromEnv: Array<[keyof CascadenceConfig, string | undefined]> = [
    ['backend', env.CASCADENCE_SCHEDULER],
    ['address', env.TEMPORAL_SERVER],
    ['address', env.TEMPORAL_ADDRESS],
    ['namespace', env.TEMPORAL_NAMESPACE],
    ['taskQueue', env.CASCADENCE_TASK_QUEUE],
    ['hashSecret', env.CASCADENCE_HASH_SECRET],
    ['timezone', env.CASCADENCE_TIMEZONE],
    ['statePath', env.CASCADENCE_STATE_PATH],
    ['auditPath', env.CASCADENCE_AUDIT_PATH],
    ['events', env.CASCADENCE_EVENTS],
    ['backend', overrides.backend],
    ['address', overrides.address],
    ['namespace', overrides.namespace],
    ['taskQueue', overrides.taskQueue],
  ];
  for (const [key, value] of fromEnv) if (value !== undefined && value !== '') cfg[key] = value;
  if (env.CASCADENCE_TASK_MODULES) {
    cfg.taskModules = env.CASCADENCE_TASK_MODULES.split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  }
  if (!(BACKENDS as readonly string[]).includes(String(cfg.backend))) {
    throw new CascadenceError(
      'CONFIG',
      `unknown backend ${JSON.stringify(cfg.backend)}; valid backends: ${BACKENDS.join(', ')}`,
    );
  }
  if (!(EVENT_TRANSPORTS as readonly string[]).includes(String(cfg.events))) {
    throw new CascadenceError(
      'CONFIG',
      `unknown event transport ${JSON.stringify(cfg.events)}; valid transports: ${EVENT_TRANSPORTS.join(', ')}`,
    );
  }
  return { ...(cfg as Omit<CascadenceConfig, 'source'>), source: path };
}
