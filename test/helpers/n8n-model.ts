/**
 * Checks an exported n8n workflow with n8n's own workflow model (the `n8n-workflow` package, a
 * dev dependency): the `Workflow` class is built from the JSON with descriptions of the three
 * node types the export uses, then asked what n8n itself would decide: does it know each node's
 * type at its version, does it keep every parameter we set (it drops names it does not know),
 * does it find parameter issues, which nodes are triggers, what each node is connected to, and
 * what the expressions evaluate to.
 *
 * `n8n-nodes-base` (where the real node descriptions live) cannot be installed here (it needs
 * Node 22 for isolated-vm and a tarball from outside the npm registry), so the descriptions
 * below are ours: the parameters the export uses, with the names, types, defaults and
 * visibility rules n8n 2.x gives them, pinned to the node versions the export writes.
 */
import {
  NodeHelpers,
  Workflow,
  validateWorkflowHasTriggerLikeNode,
  type IConnections,
  type INode,
  type INodeProperties,
  type INodeType,
  type INodeTypeDescription,
  type INodeTypes,
} from 'n8n-workflow';
import { N8N_NODE_TYPES, type N8nWorkflow } from '../../src/services/n8n-export';

const option = (value: string) => ({ name: value, value });
const nameValue: INodeProperties[] = [
  { displayName: 'Name', name: 'name', type: 'string', default: '' },
  { displayName: 'Value', name: 'value', type: 'string', default: '' },
];

const manualTrigger: INodeTypeDescription = {
  displayName: 'Manual Trigger',
  name: 'manualTrigger',
  group: ['trigger'],
  version: 1,
  description: 'Runs the flow on clicking a button in n8n',
  defaults: { name: 'When clicking ‘Execute workflow’' },
  inputs: [],
  outputs: ['main'],
  properties: [],
};

const httpRequest: INodeTypeDescription = {
  displayName: 'HTTP Request',
  name: 'httpRequest',
  group: ['output'],
  version: [3, 4, 4.1, 4.2, 4.3, 4.4],
  description: 'Makes an HTTP request and returns the response data',
  defaults: { name: 'HTTP Request' },
  inputs: ['main'],
  outputs: ['main'],
  properties: [
    {
      displayName: 'Method',
      name: 'method',
      type: 'options',
      options: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].map(option),
      default: 'GET',
    },
    { displayName: 'URL', name: 'url', type: 'string', default: '', required: true },
    {
      displayName: 'Authentication',
      name: 'authentication',
      type: 'options',
      noDataExpression: true,
      options: ['none', 'predefinedCredentialType', 'genericCredentialType'].map(option),
      default: 'none',
    },
    {
      displayName: 'Generic Auth Type',
      name: 'genericAuthType',
      type: 'credentialsSelect',
      required: true,
      default: '',
      credentialTypes: ['has:genericAuth'],
      displayOptions: { show: { authentication: ['genericCredentialType'] } },
    },
    {
      displayName: 'Send Query Parameters',
      name: 'sendQuery',
      type: 'boolean',
      default: false,
      noDataExpression: true,
    },
    { displayName: 'Send Headers', name: 'sendHeaders', type: 'boolean', default: false, noDataExpression: true },
    {
      displayName: 'Specify Headers',
      name: 'specifyHeaders',
      type: 'options',
      options: ['keypair', 'json'].map(option),
      default: 'keypair',
      displayOptions: { show: { sendHeaders: [true] } },
    },
    {
      displayName: 'Headers',
      name: 'headerParameters',
      type: 'fixedCollection',
      typeOptions: { multipleValues: true },
      default: { parameters: [{ name: '', value: '' }] },
      displayOptions: { show: { sendHeaders: [true], specifyHeaders: ['keypair'] } },
      options: [{ name: 'parameters', displayName: 'Header', values: nameValue }],
    },
    { displayName: 'Send Body', name: 'sendBody', type: 'boolean', default: false, noDataExpression: true },
    {
      displayName: 'Body Content Type',
      name: 'contentType',
      type: 'options',
      options: ['form-urlencoded', 'multipart-form-data', 'json', 'binaryData', 'raw'].map(option),
      default: 'json',
      displayOptions: { show: { sendBody: [true] } },
    },
    {
      displayName: 'Specify Body',
      name: 'specifyBody',
      type: 'options',
      options: ['keypair', 'json'].map(option),
      default: 'keypair',
      displayOptions: { show: { sendBody: [true], contentType: ['json'] } },
    },
    {
      displayName: 'JSON',
      name: 'jsonBody',
      type: 'json',
      default: '',
      displayOptions: { show: { sendBody: [true], contentType: ['json'], specifyBody: ['json'] } },
    },
    {
      displayName: 'Options',
      name: 'options',
      type: 'collection',
      placeholder: 'Add option',
      default: {},
      options: [{ displayName: 'Timeout', name: 'timeout', type: 'number', default: 10000 }],
    },
  ],
};

const scheduleTrigger: INodeTypeDescription = {
  displayName: 'Schedule Trigger',
  name: 'scheduleTrigger',
  group: ['trigger', 'schedule'],
  version: [1, 1.1, 1.2, 1.3],
  description: 'Triggers the workflow on a given schedule',
  defaults: { name: 'Schedule Trigger' },
  inputs: [],
  outputs: ['main'],
  properties: [
    {
      displayName: 'Trigger Rules',
      name: 'rule',
      type: 'fixedCollection',
      typeOptions: { multipleValues: true },
      default: { interval: [{ field: 'days' }] },
      options: [
        {
          name: 'interval',
          displayName: 'Trigger Interval',
          values: [
            {
              displayName: 'Trigger Interval',
              name: 'field',
              type: 'options',
              options: ['seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'cronExpression'].map(option),
              default: 'days',
            },
            {
              displayName: 'Days Between Triggers',
              name: 'daysInterval',
              type: 'number',
              default: 1,
              displayOptions: { show: { field: ['days'] } },
            },
            {
              displayName: 'Expression',
              name: 'expression',
              type: 'string',
              default: '',
              displayOptions: { show: { field: ['cronExpression'] } },
            },
          ],
        },
      ],
    },
  ],
};

// Triggers are told apart by having a `trigger` method; nothing here ever runs one.
const noTrigger = async () => ({});
const noExecute = async () => [];
/** The node types n8n's model is given, each only at the version the export pins. */
const MODEL_TYPES: Record<string, { version: number; nodeType: INodeType }> = {
  [N8N_NODE_TYPES.manualTrigger.type]: {
    version: N8N_NODE_TYPES.manualTrigger.typeVersion,
    nodeType: { description: manualTrigger, trigger: noTrigger },
  },
  [N8N_NODE_TYPES.httpRequest.type]: {
    version: N8N_NODE_TYPES.httpRequest.typeVersion,
    nodeType: { description: httpRequest, execute: noExecute },
  },
  [N8N_NODE_TYPES.scheduleTrigger.type]: {
    version: N8N_NODE_TYPES.scheduleTrigger.typeVersion,
    nodeType: { description: scheduleTrigger, trigger: noTrigger },
  },
};

function findType(type: string, version?: number): INodeType | undefined {
  const known = MODEL_TYPES[type];
  if (!known || (version !== undefined && version !== known.version)) return undefined;
  const versions = ([] as number[]).concat(known.nodeType.description.version);
  return versions.includes(known.version) ? known.nodeType : undefined;
}

/** n8n's node type registry, knowing the three pinned types (undefined for any other, as n8n's callers expect). */
export const modelNodeTypes: INodeTypes = {
  getByName: (type) => findType(type) as INodeType,
  getByNameAndVersion: (type, version) => findType(type, version) as INodeType,
  getKnownTypes: () => Object.fromEntries(Object.keys(MODEL_TYPES).map((t) => [t, {}])),
};

/** Paths (a.b[0].c) of `expected` whose values `actual` lacks or differs on. */
function missingPaths(expected: unknown, actual: unknown, path: string): string[] {
  if (expected === null || typeof expected !== 'object') return Object.is(expected, actual) ? [] : [path];
  if (actual === null || typeof actual !== 'object') return [path];
  return Object.entries(expected).flatMap(([key, value]) =>
    missingPaths(
      value,
      (actual as Record<string, unknown>)[key],
      Array.isArray(expected) ? `${path}[${key}]` : `${path}.${key}`,
    ),
  );
}

/** What n8n's model makes of a workflow: the model itself and every problem it found. */
export interface ModelCheck {
  workflow: Workflow;
  problems: string[];
}

/** Builds n8n's `Workflow` from `exported` and lists everything n8n would object to. */
export function checkWithN8nModel(exported: N8nWorkflow): ModelCheck {
  const problems: string[] = [];
  // What `n8n import:workflow` itself asserts before importing.
  if (!Array.isArray(exported.nodes) || typeof exported.connections !== 'object')
    problems.push('not a workflow: nodes and connections are required');
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const node of exported.nodes) {
    if (ids.has(node.id)) problems.push(`duplicate node id ${node.id}`);
    if (names.has(node.name)) problems.push(`duplicate node name ${node.name}`);
    ids.add(node.id);
    names.add(node.name);
    if (!findType(node.type, node.typeVersion))
      problems.push(`${node.name}: unknown type ${node.type}@${node.typeVersion}`);
  }

  const nodes = structuredClone(exported.nodes) as INode[];
  const workflow = new Workflow({
    id: exported.id,
    name: exported.name,
    nodes,
    connections: structuredClone(exported.connections) as IConnections,
    active: exported.active,
    nodeTypes: modelNodeTypes,
    settings: exported.settings,
  });

  for (const original of exported.nodes) {
    const node = workflow.getNode(original.name);
    const type = findType(original.type, original.typeVersion);
    if (!node || !type) continue;
    // n8n keeps only the parameters its description knows (and shows): anything else is lost on import.
    for (const path of missingPaths(original.parameters, node.parameters, 'parameters'))
      problems.push(`${node.name}: n8n drops or changes ${path}`);
    if (node.disabled) continue;
    const issues = NodeHelpers.getNodeParametersIssues(type.description.properties, node, type.description);
    if (issues) problems.push(`${node.name}: parameter issues ${JSON.stringify(issues)}`);
  }

  for (const [source, outputs] of Object.entries(exported.connections)) {
    if (!workflow.getNode(source)) problems.push(`connection from unknown node ${source}`);
    for (const connection of outputs.main.flat()) {
      const target = workflow.getNode(connection.node);
      const type = target && findType(target.type, target.typeVersion);
      if (!target) problems.push(`connection from ${source} to unknown node ${connection.node}`);
      else if (type && type.description.inputs.length === 0)
        problems.push(`connection from ${source} into trigger ${connection.node}`);
    }
  }
  for (const node of Object.values(workflow.nodes)) {
    const isTrigger = typeof findType(node.type, node.typeVersion)?.trigger === 'function';
    if (!isTrigger && workflow.getParentNodes(node.name).length === 0)
      problems.push(`${node.name}: no trigger starts it`);
  }
  const triggerCheck = validateWorkflowHasTriggerLikeNode(workflow.nodes, modelNodeTypes);
  if (!triggerCheck.isValid) problems.push(`no trigger: ${triggerCheck.error ?? ''}`);
  return { workflow, problems };
}

/** What n8n's expression engine makes of parameter `value` of node `nodeName`, with `$vars` set to `vars`. */
export function evaluateN8n(
  workflow: Workflow,
  nodeName: string,
  value: string,
  vars: Record<string, string> = {},
): unknown {
  const node = workflow.getNode(nodeName);
  if (!node) throw new Error(`no node ${nodeName}`);
  return workflow.expression.getSimpleParameterValue(node, value, 'manual', { $vars: vars });
}
