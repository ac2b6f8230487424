/**
 * The n8n export of the example set (the built-in tasks and examples/tasks), checked with n8n's
 * own workflow model: node types and versions, parameters n8n keeps, triggers and connections,
 * ids, names and positions, the credential reference and the identity expressions.
 */
import { join } from 'node:path';
import type { TaskInfo } from '../../../src/backends/backend';
import { isCascadenceError } from '../../../src/core/errors';
import { createDefaultRegistry, loadTaskModules } from '../../../src/plugins';
import type { ScheduleInfo } from '../../../src/schedules/model';
import {
  buildN8nWorkflow,
  N8N_MANUAL_TRIGGER,
  N8N_NODE_TYPES,
  type N8nExportOptions,
  type N8nNode,
  type N8nWorkflow,
} from '../../../src/services/n8n-export';
import { checkWithN8nModel, evaluateN8n } from '../../helpers/n8n-model';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples', 'tasks', 'tasks.js');
const API = 'http://127.0.0.1:8000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The example set as `task list` reports it: built-in tasks, then examples/tasks. */
function exampleTasks(): TaskInfo[] {
  const registry = loadTaskModules(createDefaultRegistry(), [EXAMPLES]);
  return registry.names().map((name) => {
    const d = registry.describe(name);
    return {
      name,
      enabled: true,
      paused: false,
      kind: d.kind,
      ...(d.description === undefined ? {} : { description: d.description }),
    };
  });
}

function schedule(name: string, extra: Partial<ScheduleInfo> = {}): ScheduleInfo {
  return {
    name,
    cron: '0 8 * * 1-5',
    timezone: 'Europe/Berlin',
    paused: false,
    overlap: 'skip',
    nextRuns: [],
    userHash: 'u'.repeat(64),
    groupHash: 'g'.repeat(64),
    ...extra,
  };
}

const build = (extra: Partial<N8nExportOptions> = {}) =>
  buildN8nWorkflow({
    tasks: exampleTasks(),
    schedules: [schedule('report', { input: { sources: ['alpha', 'beta'] } }), schedule('gone')],
    apiUrl: API,
    ...extra,
  });

const node = (wf: N8nWorkflow, name: string): N8nNode => {
  const found = wf.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name}`);
  return found;
};
const headers = (n: N8nNode) =>
  (n.parameters.headerParameters as { parameters: { name: string; value: string }[] }).parameters;

describe('n8n export of the example set', () => {
  const result = build();
  const wf = result.workflow;

  it('passes n8n’s workflow model with no problem', () => {
    expect(checkWithN8nModel(wf).problems).toEqual([]);
  });

  it('has a Manual Trigger and no start node, and only the pinned node types and versions', () => {
    expect(wf.nodes.some((n) => n.type === 'n8n-nodes-base.start' || n.name === 'Start')).toBe(false);
    expect(node(wf, N8N_MANUAL_TRIGGER)).toMatchObject(N8N_NODE_TYPES.manualTrigger);
    const pinned = Object.values(N8N_NODE_TYPES).map((t) => `${t.type}@${t.typeVersion}`);
    for (const n of wf.nodes) expect(pinned).toContain(`${n.type}@${n.typeVersion}`);
    expect(wf).toMatchObject({ active: false, settings: { executionOrder: 'v1' }, pinData: {} });
    expect(wf.id).toMatch(/^[0-9A-Za-z]{16}$/);
  });

  it('has one HTTP Request node per task that can be called, webhook tasks and orphan schedules skipped', () => {
    expect(result.tasks).toEqual(['example', 'fetch-source', 'report']);
    const http = wf.nodes.filter((n) => n.type === N8N_NODE_TYPES.httpRequest.type);
    expect(http.map((n) => n.name)).toEqual(['Run example', 'Run fetch-source', 'Run report']);
    expect(result.skipped).toEqual([
      { task: 'calcom-webhook', what: 'task', reason: expect.stringContaining('webhook') },
      { task: 'github-webhook', what: 'task', reason: expect.stringContaining('webhook') },
      { task: 'gone', what: 'schedule', reason: 'its task is not exported' },
    ]);
    expect(node(wf, 'Run report')).toMatchObject({
      parameters: {
        method: 'POST',
        url: `${API}/tasks/report/run?wait=false`,
        authentication: 'genericCredentialType',
        genericAuthType: 'httpHeaderAuth',
        sendHeaders: true,
        sendBody: true,
        specifyBody: 'json',
      },
      notes: 'Fetch sources in parallel and summarise them',
    });
    expect(JSON.parse(node(wf, 'Run report').parameters.jsonBody as string)).toEqual({ sources: ['alpha', 'beta'] });
    expect(node(wf, 'Run example').parameters).not.toHaveProperty('sendBody');
  });

  it('has unique node ids (name-derived UUIDs) and names, on n8n’s grid, triggers left of the requests', () => {
    const ids = wf.nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(wf.nodes.map((n) => n.name)).size).toBe(wf.nodes.length);
    const positions = wf.nodes.map((n) => n.position.join(','));
    expect(new Set(positions).size).toBe(positions.length);
    for (const { position } of wf.nodes) for (const c of position) expect(c % 20).toBe(0);
    const xOf = (type: string) => wf.nodes.filter((n) => n.type === type).map((n) => n.position[0]);
    const httpX = Math.min(...xOf(N8N_NODE_TYPES.httpRequest.type));
    expect(
      Math.max(...xOf(N8N_NODE_TYPES.scheduleTrigger.type), ...xOf(N8N_NODE_TYPES.manualTrigger.type)),
    ).toBeLessThan(httpX);
    // A schedule sits on the row of the task it starts.
    expect(node(wf, 'Schedule report').position[1]).toBe(node(wf, 'Run report').position[1]);
  });

  it('connects the Manual Trigger to every task and each Schedule Trigger to its task, as n8n reads them', () => {
    const { workflow } = checkWithN8nModel(wf);
    expect(workflow.getTriggerNodes().map((n) => n.name)).toEqual([N8N_MANUAL_TRIGGER, 'Schedule report']);
    expect(workflow.getChildNodes(N8N_MANUAL_TRIGGER).sort()).toEqual([
      'Run example',
      'Run fetch-source',
      'Run report',
    ]);
    expect(workflow.getParentNodes('Run report').sort()).toEqual([N8N_MANUAL_TRIGGER, 'Schedule report']);
    expect(workflow.getParentNodes('Run example')).toEqual([N8N_MANUAL_TRIGGER]);
    expect(workflow.getChildNodes('Schedule report')).toEqual(['Run report']);
  });

  it('gives each scheduled task a Schedule Trigger with its cron as a cronExpression rule, in its timezone', () => {
    expect(result.schedules).toEqual(['report']);
    expect(node(wf, 'Schedule report')).toMatchObject({
      ...N8N_NODE_TYPES.scheduleTrigger,
      parameters: { rule: { interval: [{ field: 'cronExpression', expression: '0 8 * * 1-5' }] } },
    });
    expect(wf.settings.timezone).toBe('Europe/Berlin');
  });

  it('references the bearer token as an n8n credential and never holds a token or a raw id', () => {
    for (const n of wf.nodes.filter((x) => x.type === N8N_NODE_TYPES.httpRequest.type)) {
      expect(n.credentials).toEqual({ httpHeaderAuth: { id: null, name: 'Cascadence API token' } });
      expect(headers(n).map((h) => h.name)).toEqual(['X-User-ID', 'X-Group-ID']);
      expect(headers(n).map((h) => h.name.toLowerCase())).not.toContain('authorization');
    }
    const text = JSON.stringify(wf);
    expect(text).not.toMatch(/bearer/i);
    expect(text).not.toContain('u'.repeat(64));
    expect(
      buildN8nWorkflow({ tasks: exampleTasks(), apiUrl: API, credentialName: 'Prod Cascadence' }).workflow.nodes[1]
        ?.credentials,
    ).toEqual({ httpHeaderAuth: { id: null, name: 'Prod Cascadence' } });
  });

  it('sends the identity headers as n8n expressions that n8n evaluates from its Variables or its environment', () => {
    const { workflow } = checkWithN8nModel(wf);
    const [user, group] = headers(node(wf, 'Run report'));
    const vars = { CASCADENCE_USER_ID: 'alice', CASCADENCE_GROUP_ID: 'eng' };
    expect(evaluateN8n(workflow, 'Run report', user?.value as string, vars)).toBe('alice');
    expect(evaluateN8n(workflow, 'Run report', group?.value as string, vars)).toBe('eng');

    const envWf = build({ identity: 'env' }).workflow;
    const envCheck = checkWithN8nModel(envWf);
    expect(envCheck.problems).toEqual([]);
    const saved = { ...process.env };
    Object.assign(process.env, { N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false', CASCADENCE_USER_ID: 'bob' });
    try {
      expect(evaluateN8n(envCheck.workflow, 'Run report', headers(node(envWf, 'Run report'))[0]?.value as string)).toBe(
        'bob',
      );
    } finally {
      process.env = saved;
    }
  });

  it('is the same on every export, and another API or name is another workflow', () => {
    expect(build()).toEqual(result);
    const other = build({ apiUrl: 'https://cascadence.example.com/' }).workflow;
    expect(other.id).not.toBe(wf.id);
    expect(node(other, 'Run example').parameters.url).toBe(
      'https://cascadence.example.com/tasks/example/run?wait=false',
    );
    expect(build({ name: 'Nightly' }).workflow).toMatchObject({ name: 'Nightly' });
  });
});

describe('n8n export options and edge cases', () => {
  const info = (name: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
    name,
    enabled: true,
    paused: false,
    kind: 'task',
    ...extra,
  });

  it('waits for the result with wait, and encodes task names in the URL', () => {
    const wf = buildN8nWorkflow({ tasks: [info('a b/c')], apiUrl: API, wait: true }).workflow;
    expect(node(wf, 'Run a b/c').parameters.url).toBe(`${API}/tasks/a%20b%2Fc/run`);
    expect(checkWithN8nModel(wf).problems).toEqual([]);
  });

  it('exports disabled and paused tasks and paused schedules as disabled nodes', () => {
    const { workflow: wf, schedules } = buildN8nWorkflow({
      tasks: [info('off', { enabled: false }), info('held', { paused: true }), info('on')],
      schedules: [schedule('on', { paused: true })],
      apiUrl: API,
    });
    expect(node(wf, 'Run off')).toMatchObject({ disabled: true, notes: expect.stringContaining('disabled') });
    expect(node(wf, 'Run held')).toMatchObject({ disabled: true, notes: expect.stringContaining('paused') });
    expect(node(wf, 'Run on').disabled).toBeUndefined();
    expect(node(wf, 'Schedule on')).toMatchObject({ disabled: true });
    expect(schedules).toEqual(['on']);
    expect(checkWithN8nModel(wf).problems).toEqual([]);
  });

  it('warns when schedules use several timezones (n8n has one per workflow)', () => {
    const { workflow, warnings } = buildN8nWorkflow({
      tasks: [info('a'), info('b')],
      schedules: [schedule('a', { timezone: 'UTC' }), schedule('b', { timezone: 'Asia/Tokyo' })],
      apiUrl: API,
    });
    expect(workflow.settings.timezone).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('Asia/Tokyo, UTC')]);
  });

  it('exports only the Manual Trigger when there is no task', () => {
    const { workflow } = buildN8nWorkflow({ tasks: [], apiUrl: API });
    expect(workflow.nodes.map((n) => n.name)).toEqual([N8N_MANUAL_TRIGGER]);
    expect(workflow.connections).toEqual({});
    expect(checkWithN8nModel(workflow).problems).toEqual([]);
  });

  it.each([['ftp://host'], ['not a url'], ['http://host/?x=1']])('refuses API URL %s with a usage error', (apiUrl) => {
    let caught: unknown;
    try {
      buildN8nWorkflow({ tasks: [], apiUrl });
    } catch (err) {
      caught = err;
    }
    expect(isCascadenceError(caught) && caught.code).toBe('USAGE');
  });

  it('refuses an empty credential name', () => {
    expect(() => buildN8nWorkflow({ tasks: [], apiUrl: API, credentialName: ' ' })).toThrow(/credential name/);
  });
});

describe('the n8n model check itself', () => {
  const good = () => structuredClone(buildN8nWorkflow({ tasks: exampleTasks(), apiUrl: API }).workflow);

  it('finds a parameter n8n does not know, a wrong version, a start node and a dangling connection', () => {
    const wf = good();
    const run = node(wf, 'Run example');
    run.parameters.bodyJson = '{}';
    node(wf, 'Run report').typeVersion = 4.1;
    wf.nodes.push({
      id: 'start',
      name: 'Start',
      type: 'n8n-nodes-base.start',
      typeVersion: 1,
      position: [0, 600],
      parameters: {},
    });
    wf.connections['Start'] = { main: [[{ node: 'Nowhere', type: 'main', index: 0 }]] };
    const problems = checkWithN8nModel(wf).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'Run example: n8n drops or changes parameters.bodyJson',
        'Run report: unknown type n8n-nodes-base.httpRequest@4.1',
        'Start: unknown type n8n-nodes-base.start@1',
        'connection from Start to unknown node Nowhere',
      ]),
    );
  });

  it('finds a missing URL, a header list n8n would not show and a node no trigger starts', () => {
    const wf = good();
    node(wf, 'Run example').parameters.url = '';
    node(wf, 'Run report').parameters.sendHeaders = false;
    wf.connections[N8N_MANUAL_TRIGGER]!.main[0] = wf.connections[N8N_MANUAL_TRIGGER]!.main[0]!.filter(
      (c) => c.node !== 'Run fetch-source',
    );
    const problems = checkWithN8nModel(wf).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Run example: parameter issues .*url/),
        'Run report: n8n drops or changes parameters.headerParameters',
        'Run fetch-source: no trigger starts it',
      ]),
    );
  });
});
