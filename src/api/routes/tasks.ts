/**
 * Task routes: list, run, schedule, disable/enable, pause/resume, and registering tasks from an
 * allowed plugin module. Each calls the service or capability the matching CLI command calls.
 */
import type { FastifyInstance } from 'fastify';
import { OVERLAP_POLICIES, requireCapability } from '../../backends/backend';
import { scheduleTask, setTaskEnabled, setTaskPaused, unscheduleTask } from '../../services/admin';
import { registerPluginTasks } from '../../services/plugin-tasks';
import { TaskStore } from '../../stores/task-store';
import type { ApiDeps } from '../context';
import {
  ANY_JSON,
  IDENTITY_HEADERS,
  NAME_PARAMS,
  OPEN_OBJECT,
  PAUSE_TARGET,
  TASK_INFO,
  callerOf,
  errorResponses,
} from '../schemas';

/** Registers the task routes on `app`. */
export function taskRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { backend } = deps;
  const actor = (request: Parameters<typeof callerOf>[0]) => {
    const { userHash, groupHash } = callerOf(request);
    return { userHash, groupHash };
  };

  app.get(
    '/tasks',
    {
      schema: {
        summary: 'List the registered tasks with their flags',
        tags: ['tasks'],
        headers: IDENTITY_HEADERS,
        response: { 200: { type: 'array', items: TASK_INFO }, ...errorResponses() },
      },
    },
    () => backend.list(),
  );

  app.post<{ Querystring: { path: string; schedule?: string } }>(
    '/tasks',
    {
      schema: {
        summary: 'Register the tasks of an allowed plugin module (optionally scheduling them)',
        tags: ['tasks'],
        headers: IDENTITY_HEADERS,
        querystring: {
          type: 'object',
          properties: {
            path: {
              type: 'string',
              description: 'Absolute path of a module in a plugin directory, or a plugin package.',
            },
            schedule: { type: 'string', description: 'Five-field cron for its tasks.' },
          },
          required: ['path'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['registered'] },
              module: { type: 'string' },
              registered: { type: 'array', items: { type: 'string' } },
              existing: { type: 'array', items: { type: 'string' } },
              scheduled: { type: 'array', items: OPEN_OBJECT },
            },
            required: ['status', 'module', 'registered', 'existing', 'scheduled'],
          },
          ...errorResponses(403),
        },
      },
    },
    (request) =>
      registerPluginTasks(
        {
          registry: deps.registry,
          backend,
          allowed: deps.pluginPaths ?? [],
          store: new TaskStore(deps.config.tasksPath),
        },
        { path: request.query.path, schedule: request.query.schedule, ...actor(request) },
      ),
  );

  app.post<{ Params: { name: string }; Querystring: { wait: boolean }; Body: unknown }>(
    '/tasks/:name/run',
    {
      schema: {
        summary: 'Run a task: wait for its result, or (wait=false) answer 202 once it has started',
        tags: ['tasks'],
        headers: IDENTITY_HEADERS,
        params: NAME_PARAMS,
        querystring: {
          type: 'object',
          properties: { wait: { type: 'boolean', default: true, description: 'Wait for the result.' } },
        },
        body: { ...ANY_JSON, description: 'The task input (optional, any JSON).' },
        response: {
          200: { type: 'object', properties: { run_id: { type: 'string' }, result: ANY_JSON }, required: ['run_id'] },
          202: { type: 'object', properties: { run_id: { type: 'string' } }, required: ['run_id'] },
          ...errorResponses(404, 409, 413, 422),
        },
      },
    },
    async (request, reply) => {
      const { userHash, groupHash } = callerOf(request);
      const run = {
        task: request.params.name,
        userId: '',
        groupId: '',
        userHash,
        groupHash,
        ...(request.body === undefined || request.body === null ? {} : { input: request.body }),
      };
      if (!request.query.wait) {
        const runId = await requireCapability(backend, 'operate').start(run);
        return reply.code(202).send({ run_id: runId });
      }
      const outcome = await backend.run(run);
      return { run_id: outcome.runId, result: outcome.result ?? null };
    },
  );

  app.post<{
    Params: { name: string };
    Body: { cron: string; timezone?: string; overlap?: (typeof OVERLAP_POLICIES)[number]; note?: string };
  }>(
    '/tasks/:name/schedule',
    {
      schema: {
        summary: "Create or update a task's schedule (runs as the caller)",
        tags: ['schedules'],
        headers: IDENTITY_HEADERS,
        params: NAME_PARAMS,
        body: {
          type: 'object',
          properties: {
            cron: { type: 'string', description: 'Five-field cron.' },
            timezone: { type: 'string', description: 'IANA timezone.' },
            overlap: { type: 'string', enum: [...OVERLAP_POLICIES] },
            note: { type: 'string' },
          },
          required: ['cron'],
          additionalProperties: false,
        },
        response: { 200: OPEN_OBJECT, ...errorResponses(404, 501) },
      },
    },
    (request) => {
      const { userHash, groupHash } = callerOf(request);
      const { cron, timezone, overlap, note } = request.body;
      return scheduleTask(backend, {
        task: request.params.name,
        cron,
        userHash,
        groupHash,
        ...(timezone === undefined ? {} : { timezone }),
        ...(overlap === undefined ? {} : { overlap }),
        ...(note === undefined ? {} : { note }),
      });
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/tasks/:name/schedule',
    {
      schema: {
        summary: "Delete a task's schedule",
        tags: ['schedules'],
        headers: IDENTITY_HEADERS,
        params: NAME_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: { task: { type: 'string' }, scheduled: { type: 'boolean' } },
            required: ['task', 'scheduled'],
          },
          ...errorResponses(404, 501),
        },
      },
    },
    async (request) => {
      await unscheduleTask(backend, request.params.name, actor(request));
      return { task: request.params.name, scheduled: false };
    },
  );

  app.get(
    '/schedules',
    {
      schema: {
        summary: 'List every schedule',
        tags: ['schedules'],
        headers: IDENTITY_HEADERS,
        response: { 200: { type: 'array', items: OPEN_OBJECT }, ...errorResponses(501) },
      },
    },
    () => requireCapability(backend, 'schedules').schedules(),
  );

  for (const action of ['disable', 'enable'] as const) {
    app.post<{ Params: { name: string } }>(
      `/tasks/:name/${action}`,
      {
        schema: {
          summary: action === 'disable' ? 'Disable a task: new runs are refused' : 'Enable a disabled task',
          tags: ['tasks'],
          headers: IDENTITY_HEADERS,
          params: NAME_PARAMS,
          response: {
            200: {
              type: 'object',
              properties: { task: { type: 'string' }, enabled: { type: 'boolean' } },
              required: ['task', 'enabled'],
            },
            ...errorResponses(404),
          },
        },
      },
      async (request) => {
        const enabled = action === 'enable';
        await setTaskEnabled(backend, request.params.name, enabled, actor(request));
        return { task: request.params.name, enabled };
      },
    );
  }

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { name: string }; Querystring: { run_id?: string } }>(
      `/tasks/:name/${action}`,
      {
        schema: {
          summary:
            action === 'pause'
              ? "Pause the caller's group's latest running run of a task (or run_id), else the task itself"
              : 'Resume a paused task, else the given run, else the latest paused run of the group',
          tags: ['tasks'],
          headers: IDENTITY_HEADERS,
          params: NAME_PARAMS,
          querystring: {
            type: 'object',
            properties: { run_id: { type: 'string', description: 'The run to act on.' } },
          },
          response: { 200: PAUSE_TARGET, ...errorResponses(404) },
        },
      },
      async (request) => {
        const paused = action === 'pause';
        const { groupHash } = callerOf(request);
        const target = await setTaskPaused(
          backend,
          request.params.name,
          paused,
          { groupHash, ...(request.query.run_id ? { runId: request.query.run_id } : {}) },
          actor(request),
        );
        return { task: request.params.name, action: paused ? 'paused' : 'resumed', ...target };
      },
    );
  }
}
