/**
 * The event-driven workflows' pure side: the events they answer and publish, their payloads,
 * the validation each runs before any network call, and the records they build for UME and the
 * finance engine. Shared by the workflows (src/workflows/calendar-event.ts, finance-decision.ts),
 * their activities and `dispatch`. Workflow-safe.
 */
import { durationMs } from './duration';
import { CascadenceError } from './errors';
import type { AuditRecord, PipelineStatus } from './pipeline';

/** The request that starts CalendarEventCreation. */
export const CALENDAR_EVENT_CREATE_REQUEST = 'calendar.event.create_request';
/** The request that starts FinancialDecisionSupport. */
export const FINANCE_DECISION_REQUEST = 'finance.decision.request';
/** Published once a calendar event and its edges are stored. */
export const CALENDAR_EVENT_CREATED = 'calendar.event.created';
/** Published with a finished financial analysis. */
export const FINANCE_DECISION_RESULT = 'finance.decision.result';
/** Published beside the result when the request asked for an explanation. */
export const FINANCE_EXPLAIN_REQUEST = 'finance.explain.request';

/** The task name of CalendarEventCreation's audit records, runs and schedules (as in the original). */
export const CALENDAR_EVENT_TASK = 'calendar.event.create';
/** The task name of FinancialDecisionSupport's audit records, runs and schedules (as in the original). */
export const FINANCE_DECISION_TASK = 'finance.decision';

/** A `recurrence` of a payload: a five-field cron and an optional IANA timezone (default UTC). */
export interface Recurrence {
  cron: string;
  timezone?: string;
}

/** What an event-driven workflow is started with: the event, its payload and hashed ids only. */
export interface EventWorkflowRequest {
  event: string;
  /** The run id ('' for a run a recurrence schedule started: it takes its own from its workflow id). */
  runId: string;
  userHash: string;
  groupHash: string;
  /** The payload, with `group_id` and invitees already hashed at the edge. */
  payload: unknown;
  /** The run whose recurrence schedule started this run (which then schedules nothing itself). */
  scheduledBy?: string;
}

/** What the status query of an event-driven run answers: a pipeline status, plus its step and what it reached. */
export interface EventRunStatus extends PipelineStatus {
  event: string;
  /** The step running now, or the last one. */
  step: AuditRecord['stage'] | null;
  /** What the run has done so far (ids stored, records fetched): the state a failure reports. */
  reached: Record<string, unknown>;
}

/** A validated calendar.event.create_request payload (other fields pass through to UME). */
export interface CalendarEventPayload {
  title: string;
  start_time: string;
  location?: string;
  /** Hashed ids of the people invited (an INVITED edge each). */
  invitees: string[];
  /** Calendar layers the event belongs to (a LAYER edge each). */
  layers: string[];
  group_id?: string;
  recurrence?: Recurrence;
  [field: string]: unknown;
}

/** A validated finance.decision.request payload. */
export interface FinanceDecisionPayload {
  budget: number;
  max_options: number;
  explain: boolean;
  time_horizon?: string;
  group_id?: string;
  recurrence?: Recurrence;
  [field: string]: unknown;
}

const invalid = (message: string, hint?: string): CascadenceError =>
  new CascadenceError('VALIDATION', message, hint === undefined ? {} : { hint });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectPayload(payload: unknown): Record<string, unknown> {
  if (!isObject(payload)) throw invalid('the payload must be a JSON object');
  return payload;
}

function optionalString(p: Record<string, unknown>, field: string): string | undefined {
  const v = p[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be a string`);
  return v;
}

function idList(p: Record<string, unknown>, field: string): string[] {
  const v = p[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw invalid(`${field} must be a list of non-empty strings`);
  }
  return [...new Set(v as string[])];
}

function recurrenceOf(p: Record<string, unknown>): Recurrence | undefined {
  const r = p.recurrence;
  if (r === undefined || r === null) return undefined;
  if (!isObject(r) || typeof r.cron !== 'string' || r.cron.trim() === '') {
    throw invalid('recurrence must be {"cron": "<five fields>"}', 'e.g. {"cron": "0 9 * * 1"}');
  }
  if (r.timezone !== undefined && typeof r.timezone !== 'string') throw invalid('recurrence.timezone must be a string');
  return { cron: r.cron, ...(r.timezone === undefined ? {} : { timezone: r.timezone }) };
}

/** An ISO 8601 date-time with its zone (a time without one would depend on the worker's timezone). */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

/**
 * Checks a calendar.event.create_request payload: `title` then `start_time` present (an ISO time
 * with its zone), a `group_id` (hashed at the edge) matching the caller's group, and the optional
 * `location`, `invitees`, `layers` and `recurrence` well formed.
 * @throws CascadenceError VALIDATION (`missing required field: title`, `group_id mismatch`, ...).
 */
export function validateCalendarPayload(payload: unknown, groupHash: string): CalendarEventPayload {
  const p = objectPayload(payload);
  for (const field of ['title', 'start_time']) {
    if (p[field] === undefined || p[field] === null || p[field] === '')
      throw invalid(`missing required field: ${field}`);
    if (typeof p[field] !== 'string') throw invalid(`${field} must be a string`);
  }
  const start = p.start_time as string;
  if (!ISO_TIME.test(start) || !Number.isFinite(Date.parse(start))) {
    throw invalid(
      `start_time ${JSON.stringify(start)} is not an ISO 8601 time with a zone`,
      'e.g. 2024-04-01T09:00:00Z',
    );
  }
  if (p.group_id !== undefined && p.group_id !== null && p.group_id !== groupHash) throw invalid('group_id mismatch');
  const location = optionalString(p, 'location');
  const recurrence = recurrenceOf(p);
  const { group_id: _group, location: _location, recurrence: _recurrence, ...rest } = p;
  return {
    ...rest,
    title: p.title as string,
    start_time: start,
    ...(location === undefined ? {} : { location }),
    invitees: idList(p, 'invitees'),
    layers: idList(p, 'layers'),
    ...(recurrence === undefined ? {} : { recurrence }),
  };
}

const FINANCE_NUMBERS = ['budget', 'max_options'] as const;

/**
 * Checks a finance.decision.request payload, as the original did and in its order: a `group_id`
 * matching the caller's group, `budget` and `max_options` present, then both non-negative numbers
 * (a numeric string such as "100" is not one); `explain`, `time_horizon` and `recurrence` optional.
 * @throws CascadenceError VALIDATION (`Invalid budget: must be non-negative numbers`, ...).
 */
export function validateFinancePayload(payload: unknown, groupHash: string): FinanceDecisionPayload {
  const p = objectPayload(payload);
  if (p.group_id !== undefined && p.group_id !== null && p.group_id !== groupHash) {
    throw invalid('Payload group_id does not match caller group_id');
  }
  const missing = FINANCE_NUMBERS.filter((f) => p[f] === undefined || p[f] === null);
  if (missing.length > 0) throw invalid(`Missing required fields: ${missing.join(', ')}`);
  const bad = FINANCE_NUMBERS.filter((f) => typeof p[f] !== 'number' || !Number.isFinite(p[f]) || (p[f] as number) < 0);
  if (bad.length > 0) throw invalid(`Invalid ${bad.join(', ')}: must be non-negative numbers`);
  if (p.explain !== undefined && typeof p.explain !== 'boolean') throw invalid('explain must be true or false');
  const timeHorizon = optionalString(p, 'time_horizon');
  const recurrence = recurrenceOf(p);
  const { group_id: _group, recurrence: _recurrence, time_horizon: _horizon, ...rest } = p;
  return {
    ...rest,
    budget: p.budget as number,
    max_options: p.max_options as number,
    explain: p.explain === true,
    ...(timeHorizon === undefined ? {} : { time_horizon: timeHorizon }),
    ...(recurrence === undefined ? {} : { recurrence }),
  };
}

/** The travel research's answer as the workflow reads it: a `duration` such as `15m` when it gave one. */
export function travelDuration(info: unknown): string | undefined {
  const d = isObject(info) ? info.duration : undefined;
  return typeof d === 'string' || typeof d === 'number' ? String(d) : undefined;
}

/**
 * When to leave for an event starting at `startTime`: `duration` (`15m`, `1h`, milliseconds)
 * earlier, or the start itself when the research gave no usable duration. An ISO time (UTC).
 */
export function leaveByTime(startTime: string, duration: string | undefined): string {
  const start = Date.parse(startTime);
  let ms = 0;
  if (duration !== undefined) {
    try {
      ms = durationMs(/^\d+(\.\d+)?$/.test(duration) ? Number(duration) : duration);
    } catch {
      ms = 0;
    }
  }
  return new Date(start - ms).toISOString();
}

/** The note of a created event: the travel time found, or that there was none. */
export function travelNote(location: string | undefined, duration: string | undefined): string {
  return location && duration ? `Travel time to ${location}: ${duration}` : 'No travel details';
}

/** A node UME returns from `GET /v1/nodes` (accounts, goals, past analyses). */
export interface FinanceNode {
  id?: string;
  type?: string;
  balance?: number;
  [field: string]: unknown;
}

/** The node types FinancialDecisionSupport reads. */
export const FINANCE_NODE_TYPES = ['FinancialAccount', 'FinancialGoal', 'DecisionAnalysis'] as const;

/** The user's financial nodes, by type. */
export interface FinanceNodes {
  accounts: FinanceNode[];
  goals: FinanceNode[];
  analyses: FinanceNode[];
}

/** Splits UME's nodes by type (nodes of other types are ignored). */
export function splitFinanceNodes(nodes: readonly FinanceNode[]): FinanceNodes {
  return {
    accounts: nodes.filter((n) => n.type === 'FinancialAccount'),
    goals: nodes.filter((n) => n.type === 'FinancialGoal'),
    analyses: nodes.filter((n) => n.type === 'DecisionAnalysis'),
  };
}

/** What the finance engine's `POST /v1/simulations/debt` is sent. */
export interface EnginePayload {
  balance: number;
  goals: FinanceNode[];
  analyses: FinanceNode[];
  user_id: string;
  group_id: string;
  budget: number;
  max_options: number;
}

/** The engine payload: the accounts' total balance (a missing balance counts as 0), goals, past analyses, limits. */
export function enginePayload(
  nodes: FinanceNodes,
  payload: FinanceDecisionPayload,
  ids: { userHash: string; groupHash: string },
): EnginePayload {
  const balance = nodes.accounts.reduce((sum, a) => sum + (typeof a.balance === 'number' ? a.balance : 0), 0);
  return {
    balance,
    goals: nodes.goals,
    analyses: nodes.analyses,
    user_id: ids.userHash,
    group_id: ids.groupHash,
    budget: payload.budget,
    max_options: payload.max_options,
  };
}

/** A proposed action in the engine's answer. */
export interface EngineAction {
  id?: string;
  cost_of_deviation?: number;
  [field: string]: unknown;
}

/** What the finance engine answers. */
export interface EngineResult {
  id?: string;
  cost_of_deviation?: number;
  actions?: EngineAction[];
  [field: string]: unknown;
}

/** A node or an edge FinancialDecisionSupport stores in UME (`POST /v1/nodes`). */
export interface GraphNode {
  id: string;
  type: string;
  metrics: { cost_of_deviation: number };
  user_id: string;
  group_id: string;
  [field: string]: unknown;
}
export interface GraphEdge {
  src: string;
  dst: string;
  type: string;
  user_id: string;
  group_id: string;
}

/** The analysis and its actions as nodes, with their edges, and the context the result events carry. */
export interface FinanceGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  analysis: string;
  summary: { cost_of_deviation: number };
  actions: GraphNode[];
}

const cost = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * The nodes and edges of an engine result: the `DecisionAnalysis` (the engine's id, else one
 * derived from the run: a fixed id would make every analysis the same node), one `ProposedAction`
 * per action (CONSIDERS from the analysis), each OWNED_BY every account it draws on.
 */
export function financeGraph(
  result: EngineResult,
  accounts: readonly FinanceNode[],
  ids: { userHash: string; groupHash: string; runId: string },
  timeHorizon?: string,
): FinanceGraph {
  const owner = { user_id: ids.userHash, group_id: ids.groupHash };
  const analysisId = typeof result.id === 'string' && result.id ? result.id : `analysis-${ids.runId}`;
  const summary = { cost_of_deviation: cost(result.cost_of_deviation) };
  const analysis: GraphNode = {
    id: analysisId,
    type: 'DecisionAnalysis',
    metrics: summary,
    ...owner,
    ...(timeHorizon === undefined ? {} : { metadata: { time_horizon: timeHorizon } }),
  };
  const actions: GraphNode[] = (Array.isArray(result.actions) ? result.actions : []).map((a, i) => ({
    ...a,
    id: typeof a.id === 'string' && a.id ? a.id : `${analysisId}-action-${i + 1}`,
    type: 'ProposedAction',
    metrics: { cost_of_deviation: cost(a.cost_of_deviation) },
    ...owner,
  }));
  const accountIds = accounts.map((a) => a.id).filter((id): id is string => typeof id === 'string' && id !== '');
  const edges: GraphEdge[] = actions.flatMap((action) => [
    { src: analysisId, dst: action.id, type: 'CONSIDERS', ...owner },
    ...accountIds.map((account) => ({ src: action.id, dst: account, type: 'OWNED_BY', ...owner })),
  ]);
  return { nodes: [analysis, ...actions], edges, analysis: analysisId, summary, actions };
}
