/**
 * `financeDecisionWorkflow`: FinancialDecisionSupport, the workflow of `finance.decision.request`.
 * It validates `budget` and `max_options` before any network call, fetches the user's accounts,
 * goals and past analyses from UME, asks the finance engine for a debt simulation, stores the
 * analysis and its proposed actions with their edges, schedules `recurrence.cron` (periodic
 * analyses), and publishes `finance.decision.result` (and `finance.explain.request` when
 * `explain` is set). Publishing failures are recorded and tolerated; any other failure ends the
 * run with the state it reached. Workflow-safe.
 */
import {
  FINANCE_DECISION_RESULT,
  FINANCE_DECISION_TASK,
  FINANCE_EXPLAIN_REQUEST,
  enginePayload,
  financeGraph,
  splitFinanceNodes,
  validateFinancePayload,
  type EventWorkflowRequest,
  type GraphNode,
} from '../core/event-workflows';
import { EventRun, checkedRecurrence, eventActivities as http, publishFollowUp, scheduleRecurrence } from './event-run';

/** What a finished analysis answers. */
export interface FinanceDecisionResult {
  analysis: string;
  summary: { cost_of_deviation: number };
  actions: GraphNode[];
  /** The recurrence schedule, when the request had one. */
  schedule_id?: string;
}

/** Runs one financial analysis; answers its id, summary and proposed actions. */
export async function financeDecisionWorkflow(request: EventWorkflowRequest): Promise<FinanceDecisionResult> {
  const run = new EventRun(FINANCE_DECISION_TASK, request);
  const ids = { userHash: request.userHash, groupHash: request.groupHash };
  try {
    const { payload, recurrence } = await run.step(
      'validate',
      async () => {
        const valid = validateFinancePayload(request.payload, request.groupHash);
        return { payload: valid, recurrence: await checkedRecurrence(request, valid.recurrence) };
      },
      ({ payload: p }) => ({ budget: p.budget, max_options: p.max_options, explain: p.explain }),
    );

    const nodes = await run.step(
      'research',
      async () => {
        const found = splitFinanceNodes(
          await http.fetchFinanceNodes({
            ...ids,
            ...(payload.time_horizon === undefined ? {} : { timeHorizon: payload.time_horizon }),
          }),
        );
        run.reached.research = {
          accounts: found.accounts.length,
          goals: found.goals.length,
          analyses: found.analyses.length,
        };
        return found;
      },
      () => run.reached.research,
    );

    const engineRequest = enginePayload(nodes, payload, ids);
    const result = await run.step(
      'engine',
      async () => {
        run.reached.engine_request = {
          balance: engineRequest.balance,
          budget: engineRequest.budget,
          max_options: engineRequest.max_options,
        };
        const answer = await http.simulateDebt(engineRequest);
        run.reached.engine = {
          analysis: typeof answer.id === 'string' ? answer.id : null,
          actions: Array.isArray(answer.actions) ? answer.actions.length : 0,
        };
        return answer;
      },
      (answer) => answer,
    );

    const graph = financeGraph(result, nodes.accounts, { ...ids, runId: run.runId }, payload.time_horizon);
    await run.step(
      'persistence',
      async () => {
        await http.saveFinanceAnalysis({
          nodes: graph.nodes,
          edges: graph.edges,
          idempotencyKey: `${run.workflowId}:analysis`,
        });
        run.reached.persisted = { analysis: graph.analysis, nodes: graph.nodes.length, edges: graph.edges.length };
      },
      () => run.reached.persisted,
    );

    const scheduleId = recurrence ? await scheduleRecurrence(run, recurrence) : undefined;
    const context = { analysis: graph.analysis, summary: graph.summary };
    await publishFollowUp(run, FINANCE_DECISION_RESULT, context);
    if (payload.explain) await publishFollowUp(run, FINANCE_EXPLAIN_REQUEST, { ...context, actions: graph.actions });
    return run.complete({
      ...context,
      actions: graph.actions,
      ...(scheduleId === undefined ? {} : { schedule_id: scheduleId }),
    });
  } catch (err) {
    throw run.fail(run.stage ?? 'pipeline', err);
  }
}
