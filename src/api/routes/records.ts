/**
 * The caller's own records: a pipeline's stage records and audit trail (scoped to the caller's
 * user and group; another scope is 403), pointers and idea seeds.
 */
import type { FastifyInstance } from 'fastify';
import { addPointer, assertPointerTask, callerPointers, receivePointer } from '../../services/pointers';
import { callerIdeas } from '../../services/ideas';
import { pipelineStageRecords, scopedAudit } from '../../services/scope';
import { IdeaStore } from '../../stores/idea-store';
import { PointerStore } from '../../stores/pointer-store';
import type { ApiDeps } from '../context';
import { AUDIT_RECORD, IDENTITY_HEADERS, NAME_PARAMS, callerOf, errorResponses } from '../schemas';

const POINTER = {
  type: 'object',
  properties: { run_id: { type: 'string' }, user_hash: { type: 'string' }, group_hash: { type: 'string' } },
  required: ['run_id', 'user_hash'],
} as const;

/** Registers the pipeline, pointer and idea routes on `app`. */
export function recordRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const scope = { backend: deps.backend, registry: deps.registry, hashSecret: deps.config.hashSecret };
  const pointers = (): PointerStore => new PointerStore(deps.config.pointersPath);

  app.get<{ Params: { name: string } }>(
    '/pipeline/:name',
    {
      schema: {
        summary: "The caller's stage records of a task's runs",
        tags: ['pipeline'],
        headers: IDENTITY_HEADERS,
        params: NAME_PARAMS,
        response: { 200: { type: 'array', items: AUDIT_RECORD }, ...errorResponses(404, 501) },
      },
    },
    (request) => pipelineStageRecords(scope, request.params.name, callerOf(request)),
  );

  app.get<{ Params: { name: string }; Querystring: { user_hash?: string; group_id?: string } }>(
    '/pipeline/:name/audit',
    {
      schema: {
        summary: "A task's audit trail, scoped to the caller (another user's or group's scope is 403)",
        tags: ['pipeline'],
        headers: IDENTITY_HEADERS,
        params: NAME_PARAMS,
        querystring: {
          type: 'object',
          properties: {
            user_hash: { type: 'string', description: "The caller's user hash (or raw id); any other is 403." },
            group_id: { type: 'string', description: "The caller's group (raw id or hash); any other is 403." },
          },
        },
        response: { 200: { type: 'array', items: AUDIT_RECORD }, ...errorResponses(403, 404, 501) },
      },
    },
    (request) =>
      scopedAudit(scope, request.params.name, callerOf(request), {
        userHash: request.query.user_hash,
        groupId: request.query.group_id,
      }),
  );

  app.post<{ Params: { name: string }; Querystring: { run_id: string } }>(
    '/pointers/:name',
    {
      schema: {
        summary: 'Add a pointer of a pointer task for the caller (announced when a transport is configured)',
        tags: ['pointers'],
        headers: IDENTITY_HEADERS,
        params: NAME_PARAMS,
        querystring: {
          type: 'object',
          properties: { run_id: { type: 'string', minLength: 1, description: 'The run pointed at.' } },
          required: ['run_id'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['added', 'exists'] },
              task: { type: 'string' },
              pointer: POINTER,
              sent: { type: 'boolean' },
              event_id: { type: 'string' },
            },
            required: ['status', 'task', 'pointer', 'sent', 'event_id'],
          },
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const { userHash, groupHash } = callerOf(request);
      assertPointerTask(deps.registry, request.params.name);
      const result = await addPointer(
        { store: pointers(), ...(deps.bus ? { bus: deps.bus } : {}), hashSecret: deps.config.hashSecret },
        { task: request.params.name, userId: '', runId: request.query.run_id, userHash, groupHash },
      );
      return { status: result.added ? 'added' : 'exists', ...result };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/pointers/:name',
    {
      schema: {
        summary: "The caller's pointers of a pointer task",
        tags: ['pointers'],
        headers: IDENTITY_HEADERS,
        params: NAME_PARAMS,
        response: { 200: { type: 'array', items: POINTER }, ...errorResponses(404) },
      },
    },
    (request) => {
      assertPointerTask(deps.registry, request.params.name);
      return callerPointers(pointers(), request.params.name, callerOf(request));
    },
  );

  app.post<{ Params: { name: string }; Querystring: { run_id: string; user_hash: string } }>(
    '/pointers/:name/receive',
    {
      schema: {
        summary: "Store a pointer another instance sent (its user's hash; the caller's group), not re-sent",
        tags: ['pointers'],
        headers: IDENTITY_HEADERS,
        params: NAME_PARAMS,
        querystring: {
          type: 'object',
          properties: {
            run_id: { type: 'string', minLength: 1 },
            user_hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'A 64-hex user hash.' },
          },
          required: ['run_id', 'user_hash'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['stored', 'exists'] },
              task: { type: 'string' },
              pointer: POINTER,
            },
            required: ['status', 'task', 'pointer'],
          },
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const { groupHash } = callerOf(request);
      const pointer = { run_id: request.query.run_id, user_hash: request.query.user_hash, group_hash: groupHash };
      const added = await receivePointer(pointers(), { task: request.params.name, ...pointer });
      return { status: added ? 'stored' : 'exists', task: request.params.name, pointer };
    },
  );

  app.get(
    '/ideas',
    {
      schema: {
        summary: "The caller's idea seeds, oldest first",
        tags: ['ideas'],
        headers: IDENTITY_HEADERS,
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                text: { type: 'string' },
                user_hash: { type: 'string' },
                group_hash: { type: 'string' },
                time: { type: 'string' },
              },
              required: ['text', 'time'],
            },
          },
          ...errorResponses(),
        },
      },
    },
    (request) => callerIdeas(new IdeaStore(deps.config.ideasPath), callerOf(request)),
  );
}
