/**
 * The event-driven workflows' validation and the records they build, without a server.
 */
import { isCascadenceError } from '../../../src/core/errors';
import {
  enginePayload,
  financeGraph,
  leaveByTime,
  splitFinanceNodes,
  travelDuration,
  travelNote,
  validateCalendarPayload,
  validateFinancePayload,
} from '../../../src/core/event-workflows';

const GROUP = 'g'.repeat(64);

/** The VALIDATION message `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isCascadenceError(err) && err.code === 'VALIDATION') return err.message;
    throw err;
  }
  throw new Error('expected a VALIDATION error');
}

describe('validateCalendarPayload', () => {
  const ok = { title: 'Team Sync', start_time: '2024-04-01T09:00:00Z' };

  it('needs title first, then start_time', () => {
    expect(refusal(() => validateCalendarPayload({}, GROUP))).toBe('missing required field: title');
    expect(refusal(() => validateCalendarPayload({ title: 'x' }, GROUP))).toBe('missing required field: start_time');
    expect(refusal(() => validateCalendarPayload({ title: '', start_time: 'x' }, GROUP))).toBe(
      'missing required field: title',
    );
  });

  it('needs an ISO start time with its zone (a bare local time would depend on the worker)', () => {
    expect(refusal(() => validateCalendarPayload({ ...ok, start_time: '2024-04-01T09:00:00' }, GROUP))).toBe(
      'start_time "2024-04-01T09:00:00" is not an ISO 8601 time with a zone',
    );
    expect(refusal(() => validateCalendarPayload({ ...ok, start_time: 'tomorrow' }, GROUP))).toContain('not an ISO');
    expect(validateCalendarPayload({ ...ok, start_time: '2024-04-01T09:00:00+02:00' }, GROUP).start_time).toBe(
      '2024-04-01T09:00:00+02:00',
    );
  });

  it('refuses another group, a payload that is no object, and malformed lists', () => {
    expect(refusal(() => validateCalendarPayload({ ...ok, group_id: 'h'.repeat(64) }, GROUP))).toBe(
      'group_id mismatch',
    );
    expect(refusal(() => validateCalendarPayload([ok], GROUP))).toBe('the payload must be a JSON object');
    expect(refusal(() => validateCalendarPayload({ ...ok, invitees: 'bob' }, GROUP))).toBe(
      'invitees must be a list of non-empty strings',
    );
    expect(refusal(() => validateCalendarPayload({ ...ok, recurrence: { every: 'week' } }, GROUP))).toContain(
      'recurrence must be',
    );
  });

  it('keeps the other fields, de-duplicates the lists and drops the group (the caller’s is used)', () => {
    expect(
      validateCalendarPayload(
        {
          ...ok,
          group_id: GROUP,
          location: 'Office',
          invitees: ['a', 'a', 'b'],
          room: 4,
          recurrence: { cron: '0 9 * * 1' },
        },
        GROUP,
      ),
    ).toEqual({
      ...ok,
      location: 'Office',
      invitees: ['a', 'b'],
      layers: [],
      room: 4,
      recurrence: { cron: '0 9 * * 1' },
    });
  });
});

describe('validateFinancePayload', () => {
  it('checks the group, then presence, then non-negative numbers, naming only the bad fields', () => {
    expect(refusal(() => validateFinancePayload({ group_id: 'other', budget: -1 }, GROUP))).toBe(
      'Payload group_id does not match caller group_id',
    );
    expect(refusal(() => validateFinancePayload({}, GROUP))).toBe('Missing required fields: budget, max_options');
    expect(refusal(() => validateFinancePayload({ budget: 10 }, GROUP))).toBe('Missing required fields: max_options');
    expect(refusal(() => validateFinancePayload({ budget: -5, max_options: 3 }, GROUP))).toBe(
      'Invalid budget: must be non-negative numbers',
    );
    expect(refusal(() => validateFinancePayload({ budget: '100', max_options: -1 }, GROUP))).toBe(
      'Invalid budget, max_options: must be non-negative numbers',
    );
    expect(refusal(() => validateFinancePayload({ budget: Infinity, max_options: 1 }, GROUP))).toBe(
      'Invalid budget: must be non-negative numbers',
    );
  });

  it('accepts zero and defaults explain to false', () => {
    expect(validateFinancePayload({ budget: 0, max_options: 0, group_id: GROUP }, GROUP)).toEqual({
      budget: 0,
      max_options: 0,
      explain: false,
    });
    expect(refusal(() => validateFinancePayload({ budget: 1, max_options: 1, explain: 'yes' }, GROUP))).toBe(
      'explain must be true or false',
    );
  });
});

describe('travel research', () => {
  it('leaves the duration earlier, or at the start without a usable one', () => {
    expect(leaveByTime('2024-04-01T09:00:00Z', '15m')).toBe('2024-04-01T08:45:00.000Z');
    expect(leaveByTime('2024-04-01T09:00:00+02:00', '1h')).toBe('2024-04-01T06:00:00.000Z');
    expect(leaveByTime('2024-04-01T09:00:00Z', 'a while')).toBe('2024-04-01T09:00:00.000Z');
    expect(leaveByTime('2024-04-01T09:00:00Z', undefined)).toBe('2024-04-01T09:00:00.000Z');
  });

  it('reads the duration of an answer and writes the note', () => {
    expect(travelDuration({ duration: '25m' })).toBe('25m');
    expect(travelDuration('25 minutes')).toBeUndefined();
    expect(travelNote('Office', '25m')).toBe('Travel time to Office: 25m');
    expect(travelNote('Office', undefined)).toBe('No travel details');
  });
});

describe('finance records', () => {
  const ids = { userHash: 'u'.repeat(64), groupHash: GROUP, runId: 'r1' };
  const nodes = splitFinanceNodes([
    { id: 'acc1', type: 'FinancialAccount', balance: 100 },
    { id: 'acc2', type: 'FinancialAccount' },
    { id: 'goal1', type: 'FinancialGoal' },
    { id: 'old', type: 'DecisionAnalysis' },
    { id: 'x', type: 'Other' },
  ]);

  it('sums the balances (a missing one is 0) into the engine payload', () => {
    expect(enginePayload(nodes, { budget: 50, max_options: 2, explain: false }, ids)).toEqual({
      balance: 100,
      goals: [{ id: 'goal1', type: 'FinancialGoal' }],
      analyses: [{ id: 'old', type: 'DecisionAnalysis' }],
      user_id: ids.userHash,
      group_id: GROUP,
      budget: 50,
      max_options: 2,
    });
  });

  it('builds the analysis, its actions and their CONSIDERS and OWNED_BY edges', () => {
    const graph = financeGraph(
      { cost_of_deviation: 12, actions: [{ id: 'pay-card', cost_of_deviation: 3 }, { title: 'no id' }] },
      nodes.accounts,
      ids,
      '1y',
    );
    expect(graph.analysis).toBe('analysis-r1');
    expect(graph.summary).toEqual({ cost_of_deviation: 12 });
    expect(graph.nodes.map((n) => [n.id, n.type, n.metrics.cost_of_deviation])).toEqual([
      ['analysis-r1', 'DecisionAnalysis', 12],
      ['pay-card', 'ProposedAction', 3],
      ['analysis-r1-action-2', 'ProposedAction', 0],
    ]);
    expect(graph.nodes[0]).toMatchObject({ metadata: { time_horizon: '1y' }, user_id: ids.userHash, group_id: GROUP });
    expect(graph.edges.map((e) => `${e.src} ${e.type} ${e.dst}`)).toEqual([
      'analysis-r1 CONSIDERS pay-card',
      'pay-card OWNED_BY acc1',
      'pay-card OWNED_BY acc2',
      'analysis-r1 CONSIDERS analysis-r1-action-2',
      'analysis-r1-action-2 OWNED_BY acc1',
      'analysis-r1-action-2 OWNED_BY acc2',
    ]);
  });
});
