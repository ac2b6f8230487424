/**
 * The n8n export: the registered tasks as one n8n 2.x workflow that calls Cascadence's HTTP API.
 * A Manual Trigger runs every task; each task is one HTTP Request node (`POST
 * /tasks/{name}/run`); each scheduled task also gets a Schedule Trigger with its cron. The bearer
 * token is an n8n credential reference (never in the file) and the identity headers are n8n
 * expressions (raw user and group ids never reach the file). Ids are derived from names, so a
 * re-export is byte-for-byte the same and `n8n import:workflow` updates the workflow it imported
 * before. Node-only.
 */
import { createHash } from 'node:crypto';
import { hasCapability, type Backend, type TaskInfo } from '../backends/backend';
import { CascadenceError } from '../core/errors';
import type { ScheduleInfo } from '../schedules/model';

/** The n8n node types the export uses, pinned to the versions it is checked against. */
export const N8N_NODE_TYPES = {
  manualTrigger: { type: 'n8n-nodes-base.manualTrigger', typeVersion: 1 },
  httpRequest: { type: 'n8n-nodes-base.httpRequest', typeVersion: 4.2 },
  scheduleTrigger: { type: 'n8n-nodes-base.scheduleTrigger', typeVersion: 1.2 },
} as const;

/** Where n8n reads the caller's identity from: its Variables (`$vars`) or its process environment (`$env`). */
export const N8N_IDENTITY_SOURCES = ['vars', 'env'] as const;
export type N8nIdentitySource = (typeof N8N_IDENTITY_SOURCES)[number];

/** Names of the n8n variables (or environment variables) holding the raw user and group ids. */
export const N8N_IDENTITY_VARIABLES = { user: 'CASCADENCE_USER_ID', group: 'CASCADENCE_GROUP_ID' } as const;

/** Default name of the n8n Header Auth credential holding `Authorization: Bearer <token>`. */
export const DEFAULT_N8N_CREDENTIAL = 'Cascadence API token';

/** Default name of the exported workflow. */
export const DEFAULT_N8N_WORKFLOW_NAME = 'Cascadence tasks';

/** Name of the Manual Trigger node. */
export const N8N_MANUAL_TRIGGER = 'Manual Trigger';

/** Name of the HTTP Request node running `task`. */
export function n8nRunNodeName(task: string): string {
  return `Run ${task}`;
}

/** Name of the Schedule Trigger node of `task`. */
export function n8nScheduleNodeName(task: string): string {
  return `Schedule ${task}`;
}

/** A credential reference: n8n links it on import to its own credential of that name and type (`id: null`). */
export interface N8nCredentialRef {
  id: string | null;
  name: string;
}

/** One node of an n8n workflow, in n8n's own JSON shape. */
export interface N8nNode {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
  position: [number, number];
  parameters: Record<string, unknown>;
  credentials?: Record<string, N8nCredentialRef>;
  disabled?: boolean;
  notes?: string;
}

/** One connection: the destination node (by name), its input type and index. */
export interface N8nConnection {
  node: string;
  type: 'main';
  index: number;
}

/** An n8n workflow as `n8n import:workflow` and File › Import read it. */
export interface N8nWorkflow {
  id: string;
  name: string;
  active: false;
  nodes: N8nNode[];
  /** By source node name: the nodes each output feeds. */
  connections: Record<string, { main: N8nConnection[][] }>;
  settings: { executionOrder: 'v1'; timezone?: string };
  pinData: Record<string, never>;
}

/** What to export. */
export interface N8nExportOptions {
  tasks: TaskInfo[];
  schedules?: ScheduleInfo[];
  /** Base URL of Cascadence's API as n8n reaches it (`http://127.0.0.1:8000`). */
  apiUrl: string;
  /** Where the identity header expressions read from (default `vars`). */
  identity?: N8nIdentitySource;
  /** Name of the n8n Header Auth credential (default {@link DEFAULT_N8N_CREDENTIAL}). */
  credentialName?: string;
  /** Wait for each run's result (200) instead of answering once it has started (202, the default). */
  wait?: boolean;
  /** Workflow name (default {@link DEFAULT_N8N_WORKFLOW_NAME}). */
  name?: string;
}

/** A task or schedule left out of the export, and why. */
export interface N8nSkipped {
  task: string;
  what: 'task' | 'schedule';
  reason: string;
}

/** The exported workflow, what it left out, and what the user should know before running it. */
export interface N8nExport {
  workflow: N8nWorkflow;
  /** The tasks with an HTTP Request node. */
  tasks: string[];
  /** The tasks with a Schedule Trigger. */
  schedules: string[];
  skipped: N8nSkipped[];
  warnings: string[];
}

// A fixed namespace for the node ids (RFC 9562 name-based UUIDs, version 5).
const NODE_ID_NAMESPACE = Buffer.from('6f1c2a8e4b7d4f0a9c3e5d2b1a0f8e7c', 'hex');
const ROW = 200;
const COLUMN = 300;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A version 5 UUID of `name`: the same name gives the same id on every export. */
function nameUuid(name: string): string {
  const bytes = createHash('sha1').update(NODE_ID_NAMESPACE).update(name).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An n8n workflow id (16 letters and digits, like n8n's own) derived from `seed`. */
function workflowId(seed: string): string {
  const digest = createHash('sha256').update(`cascadence-n8n:${seed}`).digest();
  return [...digest.subarray(0, 16)].map((b) => BASE62[b % 62]).join('');
}

/** The base URL without a trailing slash. @throws CascadenceError USAGE when it is not an http(s) URL. */
function normaliseApiUrl(apiUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new CascadenceError('USAGE', `not a URL: ${apiUrl}`, { hint: 'e.g. --api-url http://127.0.0.1:8000' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CascadenceError('USAGE', `the API URL must be http or https: ${apiUrl}`);
  if (url.search || url.hash) throw new CascadenceError('USAGE', `the API URL takes no query or fragment: ${apiUrl}`);
  return url.href.replace(/\/+$/, '');
}

/** The n8n expression reading identity variable `name` from `source`. */
function identityExpression(source: N8nIdentitySource, name: string): string {
  return `={{ $${source}.${name} }}`;
}

/** Rounds to n8n's 20-pixel canvas grid. */
function onGrid(n: number): number {
  return Math.round(n / 20) * 20;
}

/** Why a task gets no HTTP Request node, if it gets none. */
function whyNotExported(task: TaskInfo): string | undefined {
  if (task.kind === 'webhook') return 'a webhook task: its runs come from POST /webhook/<source> events';
  return undefined;
}

/** Why a task's HTTP Request node is exported disabled, if it is. */
function whyDisabled(task: TaskInfo): string | undefined {
  if (!task.enabled) return 'disabled in Cascadence when exported (the API answers 409 until `task enable`)';
  if (task.paused) return 'paused in Cascadence when exported (the API answers 409 until `task resume`)';
  return undefined;
}

/**
 * Builds the n8n workflow for `options.tasks` (in their order) and the schedules of those tasks.
 * Pure: the same options give the same workflow. Webhook tasks, and schedules of tasks not
 * exported, are left out and listed in `skipped`; disabled or paused tasks and paused schedules
 * are exported as disabled nodes.
 * @throws CascadenceError USAGE for a bad API URL or an empty credential name.
 */
export function buildN8nWorkflow(options: N8nExportOptions): N8nExport {
  const apiUrl = normaliseApiUrl(options.apiUrl);
  const identity = options.identity ?? 'vars';
  const credentialName = (options.credentialName ?? DEFAULT_N8N_CREDENTIAL).trim();
  if (!credentialName) throw new CascadenceError('USAGE', 'the credential name must not be empty');
  const name = options.name ?? DEFAULT_N8N_WORKFLOW_NAME;
  const id = workflowId(`${apiUrl}\n${name}`);
  const nodeId = (nodeName: string): string => nameUuid(`${id}/${nodeName}`);
  const skipped: N8nSkipped[] = [];
  const warnings: string[] = [];

  const exported: TaskInfo[] = [];
  for (const task of options.tasks) {
    const reason = whyNotExported(task);
    if (reason) skipped.push({ task: task.name, what: 'task', reason });
    else exported.push(task);
  }
  const exportedNames = new Set(exported.map((t) => t.name));
  const scheduleOf = new Map<string, ScheduleInfo>();
  for (const schedule of options.schedules ?? []) {
    if (!exportedNames.has(schedule.name)) {
      skipped.push({ task: schedule.name, what: 'schedule', reason: 'its task is not exported' });
    } else if (scheduleOf.has(schedule.name)) {
      skipped.push({ task: schedule.name, what: 'schedule', reason: 'a second schedule of the same task' });
    } else scheduleOf.set(schedule.name, schedule);
  }

  const rows = Math.max(exported.length, 1);
  const nodes: N8nNode[] = [
    {
      id: nodeId(N8N_MANUAL_TRIGGER),
      name: N8N_MANUAL_TRIGGER,
      ...N8N_NODE_TYPES.manualTrigger,
      position: [0, onGrid(((rows - 1) * ROW) / 2)],
      parameters: {},
    },
  ];
  const connections: N8nWorkflow['connections'] = {};
  const connect = (from: string, to: string): void => {
    const outputs = (connections[from] ??= { main: [[]] });
    (outputs.main[0] as N8nConnection[]).push({ node: to, type: 'main', index: 0 });
  };
  const query = options.wait ? '' : '?wait=false';

  exported.forEach((task, row) => {
    const runNode = n8nRunNodeName(task.name);
    const schedule = scheduleOf.get(task.name);
    const parameters: Record<string, unknown> = {
      method: 'POST',
      url: `${apiUrl}/tasks/${encodeURIComponent(task.name)}/run${query}`,
      authentication: 'genericCredentialType',
      genericAuthType: 'httpHeaderAuth',
      sendHeaders: true,
      headerParameters: {
        parameters: [
          { name: 'X-User-ID', value: identityExpression(identity, N8N_IDENTITY_VARIABLES.user) },
          { name: 'X-Group-ID', value: identityExpression(identity, N8N_IDENTITY_VARIABLES.group) },
        ],
      },
    };
    // A scheduled task runs with its schedule's input, whichever trigger starts it.
    if (schedule?.input !== undefined) {
      Object.assign(parameters, {
        sendBody: true,
        contentType: 'json',
        specifyBody: 'json',
        jsonBody: JSON.stringify(schedule.input, null, 2),
      });
    }
    parameters.options = {};
    const disabled = whyDisabled(task);
    const notes = [task.description, disabled].filter((n): n is string => Boolean(n)).join('\n');
    nodes.push({
      id: nodeId(runNode),
      name: runNode,
      ...N8N_NODE_TYPES.httpRequest,
      position: [2 * COLUMN, row * ROW],
      parameters,
      credentials: { httpHeaderAuth: { id: null, name: credentialName } },
      ...(disabled ? { disabled: true } : {}),
      ...(notes ? { notes } : {}),
    });
    connect(N8N_MANUAL_TRIGGER, runNode);
    if (!schedule) return;
    const scheduleNode = n8nScheduleNodeName(task.name);
    nodes.push({
      id: nodeId(scheduleNode),
      name: scheduleNode,
      ...N8N_NODE_TYPES.scheduleTrigger,
      position: [COLUMN, row * ROW],
      parameters: { rule: { interval: [{ field: 'cronExpression', expression: schedule.cron }] } },
      ...(schedule.paused ? { disabled: true, notes: 'paused in Cascadence when exported' } : {}),
    });
    connect(scheduleNode, runNode);
  });

  const settings: N8nWorkflow['settings'] = { executionOrder: 'v1' };
  const timezones = [...new Set([...scheduleOf.values()].map((s) => s.timezone))].sort();
  if (timezones.length === 1) settings.timezone = timezones[0] as string;
  else if (timezones.length > 1) {
    warnings.push(
      `the schedules use several timezones (${timezones.join(', ')}) but n8n runs a workflow's Schedule Triggers in one: set it in the workflow's settings`,
    );
  }
  const names = nodes.map((n) => n.name);
  if (new Set(names).size !== names.length) throw new CascadenceError('INTERNAL', 'n8n node names are not unique');

  return {
    workflow: { id, name, active: false, nodes, connections, settings, pinData: {} },
    tasks: exported.map((t) => t.name),
    schedules: [...scheduleOf.keys()],
    skipped,
    warnings,
  };
}

/**
 * Exports what `backend` has: its tasks, and its schedules where it keeps any (a backend without
 * schedules exports no Schedule Trigger).
 * @throws CascadenceError USAGE for bad options; the backend's CONNECTION errors.
 */
export async function exportN8nWorkflow(
  backend: Backend,
  options: Omit<N8nExportOptions, 'tasks' | 'schedules'>,
): Promise<N8nExport> {
  // Checked before any call, so a bad URL is one usage error, not a connection attempt first.
  normaliseApiUrl(options.apiUrl);
  const [tasks, schedules] = await Promise.all([
    backend.list(),
    hasCapability(backend, 'schedules') ? backend.schedules() : Promise.resolve([]),
  ]);
  return buildN8nWorkflow({ ...options, tasks, schedules });
}
