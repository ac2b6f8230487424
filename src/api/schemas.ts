/**
 * JSON Schemas shared by the API routes: what fastify validates and serialises, and what the
 * OpenAPI document (`/openapi.json`) is generated from. Node-only.
 */
import type { FastifyRequest } from 'fastify';
import { CascadenceError } from '../core/errors';
import type { Identity } from './context';
import { ERROR_BODY_SCHEMA } from './errors';

/** The identity headers every API route requires (hashed on arrival). */
export const IDENTITY_HEADERS = {
  type: 'object',
  properties: {
    'x-user-id': { type: 'string', description: 'Who is calling (hashed on arrival, never kept raw).' },
    'x-group-id': { type: 'string', description: 'Their group (hashed on arrival, never kept raw).' },
  },
  required: ['x-user-id', 'x-group-id'],
} as const;

/** Error responses of `statuses`, plus those any API route may give (400, 401, 429, 500, 503). */
export function errorResponses(...statuses: number[]): Record<number, typeof ERROR_BODY_SCHEMA> {
  const all = [...new Set([400, 401, 429, 500, 503, ...statuses])].sort();
  return Object.fromEntries(all.map((s) => [s, ERROR_BODY_SCHEMA]));
}

/** Any JSON value (a task's input or result). */
export const ANY_JSON = { description: 'Any JSON value.' } as const;

/** An object whose every property is kept as it is (statuses, schedules, DAG results). */
export const OPEN_OBJECT = { type: 'object', additionalProperties: true } as const;

/** `{name}` path parameters. */
export const NAME_PARAMS = {
  type: 'object',
  properties: { name: { type: 'string', description: 'Registered task name.' } },
  required: ['name'],
} as const;

/** `{run_id}` path parameters. */
export const RUN_PARAMS = {
  type: 'object',
  properties: { run_id: { type: 'string', description: 'Run id (or workflow id).' } },
  required: ['run_id'],
} as const;

/** A task as `GET /tasks` lists it. */
export const TASK_INFO = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    enabled: { type: 'boolean' },
    paused: { type: 'boolean' },
    kind: { type: 'string' },
    description: { type: 'string' },
    origin: {
      type: 'string',
      description: 'builtin, module:<file>, package:<name>, directory:<dir>, registered:<module>, cronyx:<url>',
    },
  },
  required: ['name', 'enabled', 'paused', 'kind'],
} as const;

/** One audit record (a stage transition or an admin action), ids hashed. */
export const AUDIT_RECORD = {
  type: 'object',
  properties: {
    task: { type: 'string' },
    stage: { type: 'string' },
    status: { type: 'string' },
    reason: { type: 'string' },
    output: { type: 'string' },
    run_id: { type: 'string' },
    user_hash: { type: 'string' },
    group_hash: { type: 'string' },
    time: { type: 'string' },
  },
  required: ['task', 'stage', 'status', 'run_id', 'user_hash', 'group_hash', 'time'],
} as const;

/** What a pause or resume acted on. */
export const PAUSE_TARGET = {
  type: 'object',
  properties: {
    task: { type: 'string' },
    action: { type: 'string', enum: ['paused', 'resumed'] },
    target: { type: 'string', enum: ['run', 'task'] },
    runId: { type: 'string' },
    changed: { type: 'boolean' },
  },
  required: ['task', 'action', 'target', 'changed'],
} as const;

/** The caller's identity, set by the identity hook of every API route. */
export function callerOf(request: FastifyRequest): Identity {
  if (!request.identity) throw new CascadenceError('INTERNAL', 'the identity hook did not run for this route');
  return request.identity;
}
