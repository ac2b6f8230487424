/**
 * Activities of the event-driven workflows (CalendarEventCreation, FinancialDecisionSupport):
 * every HTTP call they make to UME (`UME_BASE_URL`), the finance engine (`FINANCE_ENGINE_URL`)
 * and the research provider (`research_url`), the recurrence schedule, and publishing their
 * follow-up events on the event bus. Each call has a timeout; the workflows retry them. Failures
 * carry a code from the error table: CONNECTION (nothing answered, a timeout, HTTP 5xx, 408, 429:
 * retried), FORBIDDEN, NOT_FOUND, VALIDATION (other HTTP 4xx: not retried), CONFIG (a URL not
 * set). Only hashed ids are sent. Node-only.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { CascadenceError, isCascadenceError, type ErrorCode } from '../core/errors';
import type { EngineResult, EventWorkflowRequest, FinanceNode, GraphEdge, GraphNode } from '../core/event-workflows';
import { toApplicationFailure } from '../core/failure';
import { eventScheduleId, eventWorkflowId } from '../core/ids';
import type { EventBus } from '../events/bus';
import { workflowEvent, type WorkflowEventEvent } from '../events/ume';
import { validateCron } from '../schedules/cron';
import { pipelineSearchAttributes } from '../workflows/search-attributes';

/** Dependencies of the event-driven activities. */
export interface EventDrivenDeps {
  taskQueue: string;
  /** UME: permissions, calendar events and edges, financial nodes. */
  umeBaseUrl: string | undefined;
  /** The finance engine (`POST /v1/simulations/debt`). */
  financeEngineUrl: string | undefined;
  /** The research provider that answers the travel-time question (unset: no travel research). */
  researchUrl?: string | undefined;
  /** A client for the recurrence schedules (without one, a recurring request fails at its schedule step). */
  client?: Client;
  /** Where follow-up events are published (default: nowhere, which is not an error). */
  events?: EventBus;
  /** Seconds per HTTP request (default 5). */
  timeoutSeconds?: number;
}

/** A permission check: the requester's, or the requester's to invite `invitee`. */
export interface PermissionCheck {
  permission: string;
  userHash: string;
  groupHash: string;
  invitee?: string;
}

/** What the research provider is asked (the same request as the research provider of tasks). */
export interface TravelQuestion {
  query: string;
  task: string;
  runId: string;
  userHash: string;
  groupHash: string;
}

/** A follow-up event to publish, with where it comes from (its run and the place of its record). */
export interface PublishRequest extends Pick<
  WorkflowEventEvent,
  'name' | 'payload' | 'task' | 'run_id' | 'user_hash' | 'group_hash' | 'time'
> {
  workflowId: string;
  seq: number;
}

/** A recurrence schedule to create: `request` is started on every tick of `cron`. */
export interface RecurrenceRequest {
  task: string;
  runId: string;
  workflowType: string;
  cron: string;
  timezone: string;
  request: EventWorkflowRequest;
}

/** The event-driven activities' type, imported by workflows as a type only. */
export interface EventDrivenActivities {
  /** Whether UME grants the permission (`GET /v1/permissions/<permission>` answering `{"allowed": true}`). */
  checkPermission(check: PermissionCheck): Promise<boolean>;
  /** The research provider's answer about the travel time, or null without a provider. */
  researchTravelTime(question: TravelQuestion): Promise<unknown>;
  /** Stores a calendar event (`POST /v1/calendar/events`); answers its id. */
  createCalendarEvent(input: { event: Record<string, unknown>; idempotencyKey: string }): Promise<string>;
  /** Stores a calendar edge (`POST /v1/calendar/edges`). */
  createCalendarEdge(input: { edge: GraphEdge; idempotencyKey: string }): Promise<void>;
  /** The user's accounts, goals and past analyses (`GET /v1/nodes`). */
  fetchFinanceNodes(input: { userHash: string; groupHash: string; timeHorizon?: string }): Promise<FinanceNode[]>;
  /** The finance engine's debt simulation (`POST /v1/simulations/debt`). */
  simulateDebt(payload: unknown): Promise<EngineResult>;
  /** Stores the analysis, its actions and their edges (`POST /v1/nodes`). */
  saveFinanceAnalysis(input: { nodes: GraphNode[]; edges: GraphEdge[]; idempotencyKey: string }): Promise<void>;
  /** Checks a recurrence (five-field cron, timezone) before anything is stored; answers the normalised cron. */
  checkRecurrence(input: { cron: string; timezone: string }): Promise<string>;
  /** Creates the Temporal Schedule of a recurrence (once: a retry finds it made); answers its id. */
  scheduleRecurrence(input: RecurrenceRequest): Promise<string>;
  /** Publishes a follow-up event on the event bus; nobody listening is normal. Answers whether a bus took it. */
  publishEvent(input: PublishRequest): Promise<boolean>;
}

/** An activity failure with a code from the error table. */
const failure = (code: ErrorCode, message: string, retryable = false): Error =>
  toApplicationFailure(new CascadenceError(code, message), !retryable);

/** What to call. */
interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  /** What the call is, for messages (`UME permission check`). */
  what: string;
  body?: unknown;
  /** Sent as `Idempotency-Key`, so a service can recognise a retried write. */
  idempotencyKey?: string;
}

/** The reason a fetch did not get an answer, in a few words. */
function whyUnreachable(err: unknown, seconds: number): string {
  if ((err as { name?: string }).name === 'TimeoutError') return `no answer within ${seconds}s`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** A short text of an error answer: its `error` or `message` field, else its first characters. */
function answerText(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const said = typeof body.error === 'string' ? body.error : body.message;
    if (typeof said === 'string' && said) return said.slice(0, 200);
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 200);
}

/** The error-table code of an HTTP error status, and whether a retry may help. */
function statusCode(status: number): { code: ErrorCode; retryable: boolean } {
  if (status >= 500 || status === 408 || status === 429) return { code: 'CONNECTION', retryable: true };
  if (status === 401 || status === 403) return { code: 'FORBIDDEN', retryable: false };
  if (status === 404) return { code: 'NOT_FOUND', retryable: false };
  return { code: 'VALIDATION', retryable: false };
}

/** The scheme, host and port of `url` (the URL itself when it does not parse). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function baseUrl(url: string | undefined, variable: string): string {
  if (!url) throw failure('CONFIG', `${variable} is not configured on the worker`);
  return url.replace(/\/+$/, '');
}

/** Creates the event-driven activities. */
export function createEventDrivenActivities(deps: EventDrivenDeps): EventDrivenActivities {
  const seconds = deps.timeoutSeconds ?? 5;

  /** One JSON call; its answer parsed (undefined when empty). */
  async function call(c: HttpCall): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(c.url, {
        method: c.method,
        headers: {
          accept: 'application/json',
          ...(c.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(c.idempotencyKey ? { 'idempotency-key': c.idempotencyKey } : {}),
        },
        ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
        signal: AbortSignal.timeout(seconds * 1000),
      });
    } catch (err) {
      throw failure('CONNECTION', `${c.what}: cannot reach ${originOf(c.url)}: ${whyUnreachable(err, seconds)}`, true);
    }
    const text = await res.text();
    if (!res.ok) {
      const { code, retryable } = statusCode(res.status);
      const said = answerText(text);
      throw failure(code, `${c.what} answered HTTP ${res.status}${said ? `: ${said}` : ''}`, retryable);
    }
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw failure('CONNECTION', `${c.what} answered with something that is not JSON`);
    }
  }

  const ume = (): string => baseUrl(deps.umeBaseUrl, 'UME_BASE_URL');

  return {
    async checkPermission(check) {
      const query = new URLSearchParams({ user_id: check.userHash, group_id: check.groupHash });
      if (check.invitee !== undefined) query.set('invitee', check.invitee);
      const answer = await call({
        method: 'GET',
        url: `${ume()}/v1/permissions/${encodeURIComponent(check.permission)}?${query.toString()}`,
        what: `UME ${check.permission} permission check`,
      });
      return (answer as { allowed?: unknown } | undefined)?.allowed === true;
    },

    async researchTravelTime(question) {
      if (!deps.researchUrl) return null;
      return call({
        method: 'POST',
        url: deps.researchUrl,
        what: 'travel research',
        body: {
          query: question.query,
          task: question.task,
          run_id: question.runId,
          user_hash: question.userHash,
          group_hash: question.groupHash,
        },
      });
    },

    async createCalendarEvent({ event, idempotencyKey }) {
      const answer = await call({
        method: 'POST',
        url: `${ume()}/v1/calendar/events`,
        what: 'UME calendar event',
        body: event,
        idempotencyKey,
      });
      const id = (answer as { id?: unknown } | undefined)?.id;
      if ((typeof id !== 'string' || id === '') && typeof id !== 'number') {
        throw failure('CONNECTION', 'UME calendar event answered without an id');
      }
      return String(id);
    },

    async createCalendarEdge({ edge, idempotencyKey }) {
      await call({
        method: 'POST',
        url: `${ume()}/v1/calendar/edges`,
        what: `UME calendar edge ${edge.type}`,
        body: edge,
        idempotencyKey,
      });
    },

    async fetchFinanceNodes({ userHash, groupHash, timeHorizon }) {
      const query = new URLSearchParams({
        types: 'FinancialAccount,FinancialGoal,DecisionAnalysis',
        user_id: userHash,
        group_id: groupHash,
      });
      if (timeHorizon !== undefined) query.set('time_horizon', timeHorizon);
      const answer = await call({ method: 'GET', url: `${ume()}/v1/nodes?${query.toString()}`, what: 'UME nodes' });
      const nodes = (answer as { nodes?: unknown } | undefined)?.nodes;
      if (nodes === undefined) return [];
      if (!Array.isArray(nodes)) throw failure('CONNECTION', 'UME nodes answered without a list of nodes');
      return nodes.filter((n): n is FinanceNode => typeof n === 'object' && n !== null);
    },

    async simulateDebt(payload) {
      const answer = await call({
        method: 'POST',
        url: `${baseUrl(deps.financeEngineUrl, 'FINANCE_ENGINE_URL')}/v1/simulations/debt`,
        what: 'finance engine',
        body: payload,
      });
      if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
        throw failure('CONNECTION', 'finance engine answered without a result object');
      }
      return answer as EngineResult;
    },

    async saveFinanceAnalysis({ nodes, edges, idempotencyKey }) {
      await call({
        method: 'POST',
        url: `${ume()}/v1/nodes`,
        what: 'UME nodes',
        body: { nodes, edges },
        idempotencyKey,
      });
    },

    async checkRecurrence({ cron, timezone }) {
      try {
        return validateCron(cron, timezone);
      } catch (err) {
        if (!isCascadenceError(err)) throw err;
        throw failure(err.code, err.message);
      }
    },

    async scheduleRecurrence(input) {
      if (!deps.client) throw failure('CONFIG', 'this worker has no Temporal client for recurrence schedules');
      let cron: string;
      try {
        cron = validateCron(input.cron, input.timezone);
      } catch (err) {
        throw failure('VALIDATION', (err as Error).message);
      }
      const id = eventScheduleId(input.task, input.runId);
      const name = `${input.task}-${input.runId}`;
      try {
        await deps.client.schedule.create({
          scheduleId: id,
          spec: { cronExpressions: [cron], timezone: input.timezone },
          action: {
            type: 'startWorkflow',
            workflowType: input.workflowType,
            workflowId: eventWorkflowId(name, 'scheduled'),
            taskQueue: deps.taskQueue,
            args: [input.request],
            memo: { task: input.task, event: input.request.event, cron, timezone: input.timezone },
            typedSearchAttributes: pipelineSearchAttributes(input.task, input.request.groupHash, 'scheduled'),
          },
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
          state: { note: `recurrence of ${input.request.event} run ${input.runId}` },
        });
      } catch (err) {
        // A retry after a lost answer finds the schedule this run made.
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      }
      return id;
    },

    async publishEvent(input) {
      if (!deps.events) return false;
      const { workflowId, seq, ...fields } = input;
      deps.events.publish({ type: 'ume', event: workflowEvent(fields, { workflowId, seq }) });
      return true;
    },
  };
}
