/**
 * Configuration: defaults, overridden by the YAML file named by `CASCADENCE_CONFIG` (or
 * `--config`), overridden by environment variables, overridden by CLI flags. The keys and
 * variables follow the original Cascadence (see the README's table). Node-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CascadenceError } from '../core/errors';
import { DEFAULT_TASK_QUEUE } from '../core/ids';

/** The backends Cascadence can run on (`cron-deps` is `cron` running each task's prerequisites first). */
export const BACKENDS = ['temporal', 'base', 'cron', 'cron-deps', 'cronyx'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** Other names a backend answers to: `dag` was the first name of `cron-deps`. */
export const BACKEND_ALIASES: Readonly<Record<string, BackendName>> = { dag: 'cron-deps' };

/** Event transports available now. */
export const EVENT_TRANSPORTS = ['none', 'log', 'nats', 'grpc'] as const;
export type EventTransportName = (typeof EVENT_TRANSPORTS)[number];

const home = (file: string): string => join(homedir(), '.cascadence', file);

/** Effective configuration. */
export interface CascadenceConfig {
  backend: BackendName;
  /** Temporal frontend address, host:port. */
  address: string;
  namespace: string;
  taskQueue: string;
  /** Key of the HMAC that hashes user and group ids ('' means plain SHA-256). */
  hashSecret: string;
  /** Default timezone of schedules. */
  timezone: string;
  /** File holding task flags (disabled, paused). */
  statePath: string;
  /** JSON Lines audit store of the non-Temporal modes. */
  auditPath: string;
  /** Schedules of the `cron` backend. */
  schedulesPath: string;
  /** Folder of DAG files found by name (`task dag run etl` → `<dagsPath>/etl.yml`). */
  dagsPath: string;
  /** Event transport: `none`, `log` (JSON lines on stderr), `nats` (JetStream) or `grpc` (both through the outbox). */
  events: EventTransportName;
  /** NATS server(s) of the `nats` transport. */
  natsUrl: string;
  /** Subject prefix of the events (and the stream's subjects, `<prefix>.>`). */
  natsSubject: string;
  /** Folder of the worker's durable event outbox. */
  outboxPath: string;
  /** host:port of the UME gRPC server of the `grpc` transport (`proto/ume.proto`). */
  grpcTarget: string;
  /** A user's own gRPC stub, `module:Export`, used instead of the default client. */
  grpcStub: string | undefined;
  /** The stub's unary method that sends one event (default `Send`). */
  grpcMethod: string;
  /** Port of the Prometheus `/metrics` endpoint (unset: not served). */
  metricsPort: number | undefined;
  /** Pointer store (hashed, de-duplicated pointers to other instances' runs). */
  pointersPath: string;
  /** Idea store. */
  ideasPath: string;
  /** Registered-task store (follow-ups the capability planner registers). */
  tasksPath: string;
  /** Whether `task pointer-sync` re-broadcasts the updates it applies. */
  broadcastPointers: boolean;
  /** Modules whose tasks are registered beside the built-in ones (CLI and worker alike). */
  taskModules: string[];
  /**
   * Plugin directories and package names whose modules `POST /tasks?path=` may register (the
   * API's allowlist); empty: the directories of the task modules.
   */
  pluginPaths: string[];
  /** Plugin directories: every `.js` module and package folder in them is loaded (CLI, worker, API). */
  pluginDirs: string[];
  /** The CronyxServer of the `cronyx` backend. */
  cronyxBaseUrl: string | undefined;
  /** Seconds per Cronyx request. */
  cronyxTimeout: number;
  /** Whether the cronyx backend refreshes its task list periodically. */
  cronyxRefresh: boolean;
  /** UME server for calendar-driven schedules (`GET /v1/calendar/nodes/<node>`). */
  umeBaseUrl: string | undefined;
  /** The finance engine of FinancialDecisionSupport (`POST /v1/simulations/debt`). */
  financeEngineUrl: string | undefined;
  /** Base URL of the Temporal Web UI, for the links clients print. */
  webUiUrl: string;
  /** Key of GitHub's webhook signatures (`X-Hub-Signature-256`); unset: GitHub events are accepted unsigned. */
  githubWebhookSecret: string | undefined;
  /** Key of Cal.com's webhook signatures (`X-Cal-Signature-256`); unset: Cal.com events are accepted unsigned. */
  calcomWebhookSecret: string | undefined;
  /** HTTP endpoint of the research provider (tasks without `research`); unset: no research provider. */
  researchUrl: string | undefined;
  /** Command (program and arguments, no shell) of the planning provider (tasks without `plan`); unset: none. */
  planCommand: string[] | undefined;
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
  /** `--transport`: the event transport. */
  transport?: string | undefined;
  /** `--nats-url`. */
  natsUrl?: string | undefined;
  /** `--grpc-stub module:Export`. */
  grpcStub?: string | undefined;
  /** `--metrics-port`. */
  metricsPort?: number | undefined;
}

type Kind = 'string' | 'number' | 'boolean' | 'list' | 'port' | 'command';

/** One setting: its field, YAML keys, environment variables (later ones win) and kind. */
interface Setting {
  field: Exclude<keyof CascadenceConfig, 'source'>;
  keys: string[];
  env: string[];
  kind: Kind;
}

const SETTINGS: Setting[] = [
  { field: 'backend', keys: ['backend', 'scheduler'], env: ['CASCADENCE_SCHEDULER'], kind: 'string' },
  {
    field: 'address',
    keys: ['temporal_server', 'temporal_address'],
    env: ['TEMPORAL_SERVER', 'TEMPORAL_ADDRESS'],
    kind: 'string',
  },
  { field: 'namespace', keys: ['temporal_namespace'], env: ['TEMPORAL_NAMESPACE'], kind: 'string' },
  { field: 'taskQueue', keys: ['task_queue'], env: ['CASCADENCE_TASK_QUEUE'], kind: 'string' },
  { field: 'hashSecret', keys: ['hash_secret'], env: ['CASCADENCE_HASH_SECRET'], kind: 'string' },
  { field: 'timezone', keys: ['timezone'], env: ['CASCADENCE_TIMEZONE'], kind: 'string' },
  { field: 'statePath', keys: ['state_path'], env: ['CASCADENCE_STATE_PATH'], kind: 'string' },
  { field: 'auditPath', keys: ['audit_path'], env: ['CASCADENCE_AUDIT_PATH'], kind: 'string' },
  { field: 'schedulesPath', keys: ['schedules_path'], env: ['CASCADENCE_SCHEDULES_PATH'], kind: 'string' },
  { field: 'dagsPath', keys: ['dags_path'], env: ['CASCADENCE_DAGS_PATH'], kind: 'string' },
  { field: 'events', keys: ['events', 'ume_transport'], env: ['CASCADENCE_EVENTS', 'UME_TRANSPORT'], kind: 'string' },
  { field: 'natsUrl', keys: ['ume_nats_url', 'ume_nats_conn'], env: ['UME_NATS_CONN', 'UME_NATS_URL'], kind: 'string' },
  { field: 'natsSubject', keys: ['ume_nats_subject'], env: ['UME_NATS_SUBJECT'], kind: 'string' },
  { field: 'outboxPath', keys: ['outbox_path'], env: ['CASCADENCE_OUTBOX_PATH'], kind: 'string' },
  { field: 'grpcTarget', keys: ['ume_grpc_target'], env: ['UME_GRPC_TARGET'], kind: 'string' },
  { field: 'grpcStub', keys: ['ume_grpc_stub'], env: ['UME_GRPC_STUB'], kind: 'string' },
  { field: 'grpcMethod', keys: ['ume_grpc_method'], env: ['UME_GRPC_METHOD'], kind: 'string' },
  { field: 'metricsPort', keys: ['metrics_port'], env: ['CASCADENCE_METRICS_PORT'], kind: 'port' },
  { field: 'pointersPath', keys: ['pointers_path'], env: ['CASCADENCE_POINTERS_PATH'], kind: 'string' },
  { field: 'ideasPath', keys: ['ideas_path'], env: ['CASCADENCE_IDEAS_PATH'], kind: 'string' },
  { field: 'tasksPath', keys: ['tasks_path'], env: ['CASCADENCE_TASKS_PATH'], kind: 'string' },
  {
    field: 'broadcastPointers',
    keys: ['ume_broadcast_pointers'],
    env: ['UME_BROADCAST_POINTERS'],
    kind: 'boolean',
  },
  { field: 'taskModules', keys: ['task_modules'], env: ['CASCADENCE_TASK_MODULES'], kind: 'list' },
  { field: 'pluginPaths', keys: ['plugin_paths'], env: ['CASCADENCE_PLUGIN_PATHS'], kind: 'list' },
  { field: 'pluginDirs', keys: ['plugin_dirs'], env: ['CASCADENCE_PLUGIN_DIRS'], kind: 'list' },
  { field: 'cronyxBaseUrl', keys: ['cronyx_base_url'], env: ['CRONYX_BASE_URL'], kind: 'string' },
  { field: 'cronyxTimeout', keys: ['cronyx_timeout'], env: ['CRONYX_TIMEOUT'], kind: 'number' },
  { field: 'cronyxRefresh', keys: ['cronyx_refresh'], env: ['CASCADENCE_CRONYX_REFRESH'], kind: 'boolean' },
  { field: 'umeBaseUrl', keys: ['ume_base_url'], env: ['UME_BASE_URL'], kind: 'string' },
  { field: 'financeEngineUrl', keys: ['finance_engine_url'], env: ['FINANCE_ENGINE_URL'], kind: 'string' },
  {
    field: 'webUiUrl',
    keys: ['web_ui_url'],
    env: ['CASCADENCE_UI_URL', 'CASCADENCE_WEB_UI_URL'],
    kind: 'string',
  },
  {
    field: 'githubWebhookSecret',
    keys: ['github_webhook_secret'],
    env: ['GITHUB_WEBHOOK_SECRET'],
    kind: 'string',
  },
  {
    field: 'calcomWebhookSecret',
    keys: ['calcom_webhook_secret'],
    env: ['CALCOM_WEBHOOK_SECRET'],
    kind: 'string',
  },
  { field: 'researchUrl', keys: ['research_url'], env: ['CASCADENCE_RESEARCH_URL'], kind: 'string' },
  { field: 'planCommand', keys: ['plan_command'], env: ['CASCADENCE_PLAN_COMMAND'], kind: 'command' },
];

/** Defaults of every setting. */
export function defaultConfig(): Omit<CascadenceConfig, 'source'> {
  return {
    backend: 'temporal',
    address: 'localhost:7233',
    namespace: 'default',
    taskQueue: DEFAULT_TASK_QUEUE,
    hashSecret: '',
    timezone: 'UTC',
    statePath: home('task-state.json'),
    auditPath: home('audit.jsonl'),
    schedulesPath: home('schedules.yml'),
    dagsPath: 'dags',
    events: 'none',
    natsUrl: 'nats://127.0.0.1:4222',
    natsSubject: 'cascadence',
    outboxPath: home('outbox'),
    grpcTarget: 'localhost:50051',
    grpcStub: undefined,
    grpcMethod: 'Send',
    metricsPort: undefined,
    pointersPath: home('pointers.yml'),
    ideasPath: home('ideas.yml'),
    tasksPath: home('tasks.yml'),
    broadcastPointers: false,
    taskModules: [],
    pluginPaths: [],
    pluginDirs: [],
    cronyxBaseUrl: undefined,
    cronyxTimeout: 5,
    cronyxRefresh: true,
    umeBaseUrl: undefined,
    financeEngineUrl: undefined,
    webUiUrl: 'http://localhost:8233',
    githubWebhookSecret: undefined,
    calcomWebhookSecret: undefined,
    researchUrl: undefined,
    planCommand: undefined,
  };
}

/** Environment booleans: `0`, `false` and `no` (any case) are false, anything else true (as in the original). */
function envBoolean(value: string): boolean {
  return !['0', 'false', 'no'].includes(value.trim().toLowerCase());
}

function coerce(setting: Setting, value: unknown, where: string, fromEnv: boolean): unknown {
  switch (setting.kind) {
    case 'list':
      if (Array.isArray(value)) return value.map(String);
      return String(value)
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
    case 'boolean':
      return fromEnv || typeof value === 'string' ? envBoolean(String(value)) : Boolean(value);
    case 'command': {
      const argv = Array.isArray(value) ? value.map(String) : splitCommand(String(value), where);
      if (argv.length === 0 || argv[0] === '') {
        throw new CascadenceError('CONFIG', `${where} must name a program`, {
          hint: 'give a list (["node", "plan.js"]) or a string ("node plan.js")',
        });
      }
      return argv;
    }
    case 'port': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        throw new CascadenceError('CONFIG', `${where} must be a port number (0-65535), got ${JSON.stringify(value)}`, {
          hint: '0 picks a free port',
        });
      }
      return n;
    }
    case 'number': {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) {
        throw new CascadenceError('CONFIG', `${where} must be a positive number, got ${JSON.stringify(value)}`);
      }
      return n;
    }
    default:
      return String(value);
  }
}

/**
 * Splits a command line into its arguments the way a POSIX shell splits words, without running a
 * shell: whitespace separates, '...' keeps everything literally, "..." keeps spaces (a backslash
 * escapes `"` and `\\` there), a backslash outside quotes escapes the next character. Nothing is
 * expanded (no variables, globs or pipes).
 * @throws CascadenceError CONFIG for an unterminated quote or a trailing backslash.
 */
export function splitCommand(line: string, where = 'the command'): string[] {
  const args: string[] = [];
  let current: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else current += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) current += line[++i] as string;
      else current += ch;
    } else if (/\s/.test(ch)) {
      if (current !== undefined) args.push(current);
      current = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current ??= '';
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new CascadenceError('CONFIG', `${where} ends with a backslash`);
      current = (current ?? '') + line[++i];
    } else current = (current ?? '') + ch;
  }
  if (quote) throw new CascadenceError('CONFIG', `${where} has an unterminated ${quote} quote`);
  if (current !== undefined) args.push(current);
  return args;
}

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

const BY_KEY = new Map(SETTINGS.flatMap((s) => s.keys.map((k) => [k, s] as const)));

/**
 * Loads the effective configuration.
 * @throws CascadenceError CONFIG for a missing or malformed file, a bad value or an unknown backend or transport.
 */
export function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`),
): CascadenceConfig {
  const cfg: Record<string, unknown> = defaultConfig();
  const path = overrides.config ?? env.CASCADENCE_CONFIG;
  if (path) {
    for (const [key, value] of Object.entries(readFile(path))) {
      const setting = BY_KEY.get(key);
      if (!setting) warn(`unknown key ${JSON.stringify(key)} in ${path} (ignored)`);
      else if (value !== null && value !== undefined)
        cfg[setting.field] = coerce(setting, value, `${key} in ${path}`, false);
    }
  }
  for (const setting of SETTINGS) {
    for (const name of setting.env) {
      const value = env[name];
      if (value !== undefined && value !== '') cfg[setting.field] = coerce(setting, value, name, true);
    }
  }
  const flags: Array<[keyof CascadenceConfig, string | undefined]> = [
    ['backend', overrides.backend],
    ['address', overrides.address],
    ['namespace', overrides.namespace],
    ['taskQueue', overrides.taskQueue],
    ['events', overrides.transport],
    ['natsUrl', overrides.natsUrl],
    ['grpcStub', overrides.grpcStub],
  ];
  for (const [field, value] of flags) if (value !== undefined && value !== '') cfg[field] = value;
  if (overrides.metricsPort !== undefined) cfg.metricsPort = overrides.metricsPort;
  cfg.backend = BACKEND_ALIASES[String(cfg.backend)] ?? cfg.backend;
  if (!(BACKENDS as readonly string[]).includes(String(cfg.backend))) {
    throw new CascadenceError(
      'CONFIG',
      `unknown backend ${JSON.stringify(cfg.backend)}; valid backends: ${BACKENDS.join(', ')} (dag: an alias of cron-deps)`,
    );
  }
  if (!(EVENT_TRANSPORTS as readonly string[]).includes(String(cfg.events))) {
    throw new CascadenceError(
      'CONFIG',
      `unknown event transport ${JSON.stringify(cfg.events)}; valid transports: ${EVENT_TRANSPORTS.join(', ')}`,
    );
  }
  if (cfg.grpcStub !== undefined && cfg.events !== 'grpc') {
    throw new CascadenceError(
      'CONFIG',
      `a gRPC stub (--grpc-stub / UME_GRPC_STUB) needs the grpc transport, but the transport is ${JSON.stringify(cfg.events)}`,
      { hint: 'add --transport grpc (or UME_TRANSPORT=grpc), or drop the stub' },
    );
  }
  if (cfg.grpcStub !== undefined && !/^[^:]+:[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(String(cfg.grpcStub))) {
    throw new CascadenceError('CONFIG', `gRPC stub ${JSON.stringify(cfg.grpcStub)} is not module:Export`, {
      hint: 'name a module and its exported stub, e.g. ./my-stub.js:UmeStub',
    });
  }
  return { ...(cfg as Omit<CascadenceConfig, 'source'>), source: path };
}
