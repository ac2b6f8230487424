/**
 * Run routes: recent runs, a run's status, context signals, pause/resume/cancel of one run, its
 * retry and rerun, and DAG runs. Each calls the service or capability the matching CLI command calls.
 */
import type { FastifyInstance } from 'fastify';
import { requireCapability, type RunFilter } from '../../backends/backend';
import { CascadenceError } from '../../core/errors';
import { parseDagData } from '../../dag/load';
import { setRunPaused } from '../../services/admin';
import { rerunRun, retryRun } from '../../services/recovery';
import { listRuns, signalRun } from '../../services/runs';
import type { ApiDeps } from '../context';
import {
  ANY_JSON,
  IDENTITY_HEADERS,
  OPEN_OBJECT,
  PAUSE_TARGET,
  RUN_PARAMS,
  callerOf,
  errorResponses,
} from '../schemas';

const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;

/** Registers the run and DAG routes on `app`. */
export function runRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { backend, config } = deps;

  app.get<{ Querystring: { task?: string; status?: RunFilter['status']; limit: number } }>(
    '/runs',
    {
      schema: {
        summary: "Recent top-level runs of the caller's group, newest first, each with its Web UI link",
        tags: ['runs'],
        headers: IDENTITY_HEADERS,
        querystring: {
          type: 'object',
          properties: {
            task: { type: 'string', description: 'Only runs of this task (`dag:<name>` for DAG runs).' },
            status: { type: 'string', enum: [...RUN_STATUSES] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
          },
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                run_id: { type: 'string' },
                task: { type: 'string' },
                status: { type: 'string' },
                started: { type: 'string' },
                workflowId: { type: 'string' },
                url: { type: 'string' },
              },
              required: ['run_id', 'task', 'status', 'started', 'workflowId', 'url'],
            },
          },
          ...errorResponses(501),
        },
      },
    },
    (request) => {
      const { task, status, limit } = request.query;
      // The caller's group's runs only.
      const { groupHash } = callerOf(request);
      return listRuns(
        backend,
        { limit, groupHash, ...(task ? { task } : {}), ...(status ? { status } : {}) },
        { uiUrl: config.webUiUrl, namespace: config.namespace },
      );
    },
  );

  app.get<{ Params: { run_id: string } }>(
    '/runs/:run_id',
    {
      schema: {
        summary: "A run's status now (a pipeline's stages, or a DAG's nodes)",
        tags: ['runs'],
        headers: IDENTITY_HEADERS,
        params: RUN_PARAMS,
        response: { 200: OPEN_OBJECT, ...errorResponses(404, 501) },
      },
    },
    (request) => requireCapability(backend, 'operate').status(request.params.run_id),
  );

  app.post<{ Params: { run_id: string }; Body: { kind?: unknown; value?: unknown } }>(
    '/runs/:run_id/signal',
    {
      schema: {
        summary: 'Attach context to a running run: 200 delivered now, 202 queued for its next stage',
        tags: ['runs'],
        headers: IDENTITY_HEADERS,
        params: RUN_PARAMS,
        body: {
          type: 'object',
          properties: {
            kind: { type: 'string', description: 'The signal kind: `context`.' },
            value: {
              ...ANY_JSON,
              description: '`{note?, url?}`: at least one, 2048 characters each, 3072 bytes as JSON.',
            },
          },
          required: ['kind'],
        },
        response: {
          200: delivery('delivered'),
          202: delivery('queued'),
          ...errorResponses(404, 413),
        },
      },
    },
    async (request, reply) => {
      const status = await signalRun(backend, request.params.run_id, request.body);
      return reply
        .code(status === 'delivered' ? 200 : 202)
        .send({ run_id: request.params.run_id, status, delivered: status === 'delivered' });
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { run_id: string } }>(
      `/runs/:run_id/${action}`,
      {
        schema: {
          summary: action === 'pause' ? 'Pause a run at its next stage boundary' : 'Resume a paused run',
          tags: ['runs'],
          headers: IDENTITY_HEADERS,
          params: RUN_PARAMS,
          response: { 200: PAUSE_TARGET, ...errorResponses(404, 501) },
        },
      },
      async (request) => {
        const { userHash, groupHash } = callerOf(request);
        const target = await setRunPaused(backend, request.params.run_id, action === 'pause', { userHash, groupHash });
        return { ...target, action: action === 'pause' ? 'paused' : 'resumed' };
      },
    );
  }

  app.post<{ Params: { run_id: string } }>(
    '/runs/:run_id/cancel',
    {
      schema: {
        summary: 'Cancel a run, its subtasks and its running stage',
        tags: ['runs'],
        headers: IDENTITY_HEADERS,
        params: RUN_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: { run_id: { type: 'string' }, cancelled: { type: 'boolean' } },
            required: ['run_id', 'cancelled'],
          },
          ...errorResponses(404, 501),
        },
      },
    },
    async (request) => {
      await requireCapability(backend, 'operate').cancel(request.params.run_id);
      return { run_id: request.params.run_id, cancelled: true };
    },
  );

  app.post<{ Params: { run_id: string }; Body: { from?: string } | undefined }>(
    '/runs/:run_id/retry',
    {
      schema: {
        summary:
          'Retry a failed (or stuck) run from the first stage that did not succeed (or `from`): the stages that succeeded are not run again',
        tags: ['runs'],
        headers: IDENTITY_HEADERS,
        params: RUN_PARAMS,
        // Nullable: the body is optional (fastify validates a missing one as null).
        body: {
          type: 'object',
          nullable: true,
          description: 'Optional: without it, the run goes on from the first stage that did not succeed.',
          properties: {
            from: {
              type: 'string',
              description: 'The stage to go on from; for a DAG run, the stage its failed nodes go on from.',
            },
          },
          additionalProperties: false,
        },
        response: { 200: RETRY_OUTCOME, ...errorResponses(404, 409, 501) },
      },
    },
    async (request) => {
      const { userHash, groupHash } = callerOf(request);
      const from = request.body?.from;
      return retryRun(backend, request.params.run_id, from ? { from } : {}, { userHash, groupHash });
    },
  );

  app.post<{ Params: { run_id: string } }>(
    '/runs/:run_id/rerun',
    {
      schema: {
        summary: 'Start a run again as a new run, with the same task, input and hashed ids (without waiting)',
        tags: ['runs'],
        headers: IDENTITY_HEADERS,
        params: RUN_PARAMS,
        response: { 200: RERUN_OUTCOME, ...errorResponses(404, 409, 501) },
      },
    },
    async (request) => {
      const { userHash, groupHash } = callerOf(request);
      return rerunRun(backend, request.params.run_id, { userHash, groupHash });
    },
  );

  app.post<{ Querystring: { wait: boolean }; Body: unknown }>(
    '/dags/run',
    {
      schema: {
        summary:
          'Run a DAG (validated first: nothing starts if it is invalid): wait for its result, or (wait=false) answer 202 once it has started',
        tags: ['dags'],
        headers: IDENTITY_HEADERS,
        querystring: {
          type: 'object',
          properties: { wait: { type: 'boolean', default: true, description: 'Wait for the result.' } },
        },
        body: {
          type: 'object',
          description: 'A DAG definition, as in a DAG file (schemas/dag.schema.json).',
          properties: { name: { type: 'string' }, nodes: ANY_JSON },
          required: ['name', 'nodes'],
          additionalProperties: true,
        },
        response: {
          200: OPEN_OBJECT,
          202: { type: 'object', properties: { run_id: { type: 'string' } }, required: ['run_id'] },
          ...errorResponses(501),
        },
      },
    },
    async (request, reply) => {
      const { userHash, groupHash } = callerOf(request);
      const dag = parseDagData(request.body, 'request body', new Set(deps.registry.names()));
      const run = { definition: dag.definition, userId: '', groupId: '', userHash, groupHash };
      const dags = requireCapability(backend, 'dag');
      if (!request.query.wait) return reply.code(202).send({ run_id: await dags.startDag(run) });
      return dags.runDag(run);
    },
  );

  app.get<{ Params: { run_id: string } }>(
    '/dags/:run_id',
    {
      schema: {
        summary: "A DAG run's state: each node's state, and whether it still runs",
        tags: ['dags'],
        headers: IDENTITY_HEADERS,
        params: RUN_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: { running: { type: 'boolean' }, status: OPEN_OBJECT },
            required: ['running', 'status'],
          },
          ...errorResponses(404, 501),
        },
      },
    },
    async (request) => {
      const observation = await requireCapability(backend, 'browse').observe(request.params.run_id);
      if (!('nodes' in observation.status)) {
        throw new CascadenceError('UNKNOWN_RUN', `run ${request.params.run_id} is not a DAG run`, {
          hint: 'use GET /runs/{run_id} for a pipeline run',
        });
      }
      return observation;
    },
  );
}

function delivery(status: 'delivered' | 'queued') {
  return {
    type: 'object',
    properties: {
      run_id: { type: 'string' },
      status: { type: 'string', enum: [status] },
      delivered: { type: 'boolean' },
    },
    required: ['run_id', 'status', 'delivered'],
  } as const;
}

/** What a retry did (services/recovery.ts). */
const RETRY_OUTCOME = {
  type: 'object',
  properties: {
    run_id: { type: 'string' },
    task: { type: 'string', description: 'The task (`dag:<name>` for a DAG run).' },
    workflowId: { type: 'string' },
    resets: {
      type: 'array',
      description: 'The workflows reset, each before the ones it waits for.',
      items: {
        type: 'object',
        properties: {
          workflowId: { type: 'string' },
          from: {
            type: 'string',
            description:
              'What runs again first: a stage, `end` (it completes again, running no stage) or `children` (it waits for them again).',
          },
          eventId: { type: 'integer' },
          temporalRunId: { type: 'string' },
        },
        required: ['workflowId', 'from', 'eventId', 'temporalRunId'],
      },
    },
    restarted: {
      type: 'array',
      items: { type: 'string' },
      description: 'Work that starts again from its beginning although it had begun.',
    },
    ended: { type: 'string', description: 'How the run had ended (its failure), when it had.' },
  },
  required: ['run_id', 'task', 'workflowId', 'resets', 'restarted'],
} as const;

/** What a rerun started. */
const RERUN_OUTCOME = {
  type: 'object',
  properties: {
    run_id: { type: 'string', description: 'The run re-run.' },
    task: { type: 'string' },
    new_run_id: { type: 'string', description: 'The new run.' },
  },
  required: ['run_id', 'task', 'new_run_id'],
} as const;
