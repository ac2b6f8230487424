/**
 * Diagram text for DAGs and task pipelines, in Mermaid (`flowchart LR`) and Graphviz DOT, ready to
 * paste into a Markdown page or pipe into `dot`. Every id, label and condition is escaped, so any
 * text a user wrote renders as text and never as diagram syntax. Output is deterministic: items
 * appear in definition order.
 *
 * Import rule: workflow-safe. Pure string building: no Node built-ins, no I/O.
 */
import type { DagDefinition, NodeState } from './dag/types';
import type { NormalisedPlan } from './plan';
import type { StepName, TaskDescription } from './task';

/** A plan's subtasks as the pipeline diagrams draw them: chained (`sequence`) or fanned out (`parallel`). */
export interface DiagramPlan {
  kind: 'sequence' | 'parallel';
  tasks: ReadonlyArray<{ task: string }>;
}

/** Fill, border and text colours of each node state, shared by both formats. */
export const NODE_STATE_COLOURS: Readonly<Record<NodeState, { fill: string; stroke: string; text: string }>> = {
  pending: { fill: '#ffffff', stroke: '#9e9e9e', text: '#424242' },
  running: { fill: '#bbdefb', stroke: '#1565c0', text: '#0d47a1' },
  success: { fill: '#c8e6c9', stroke: '#2e7d32', text: '#1b5e20' },
  failed: { fill: '#ffcdd2', stroke: '#c62828', text: '#b71c1c' },
  skipped: { fill: '#e0e0e0', stroke: '#757575', text: '#616161' },
  cancelled: { fill: '#ffe0b2', stroke: '#ef6c00', text: '#e65100' },
};

const NODE_STATES = Object.keys(NODE_STATE_COLOURS) as NodeState[];

/** Stages of a pipeline diagram before the subtasks, then after them (the precheck gate sits in between). */
const STEPS_BEFORE: readonly StepName[] = ['intake', 'research', 'plan'];
const STEPS_AFTER: readonly StepName[] = ['run', 'verify'];

// Format-neutral model: both renderers draw the same nodes, clusters and edges.
type Shape = 'box' | 'stadium' | 'diamond';

interface GraphNode {
  kind: 'node';
  key: string;
  /** Label lines, unescaped. */
  lines: string[];
  shape: Shape;
  state?: NodeState;
  /** Drawn dashed: a dependency the DAG does not define. */
  dashed?: boolean;
}

interface GraphCluster {
  kind: 'cluster';
  key: string;
  title: string;
  nodes: GraphNode[];
}

interface GraphEdge {
  from: string;
  to: string;
  label?: string;
}

interface Graph {
  name: string;
  items: Array<GraphNode | GraphCluster>;
  edges: GraphEdge[];
  /** States were given: the Mermaid output declares the state classes. */
  styled: boolean;
}

/**
 * Mermaid `flowchart LR` of a DAG: a node per DAG node labelled with its id and task (lightweight
 * nodes as stadiums), an edge per dependency, a node's condition as the label of the edges into it
 * (in the label itself for a node without dependencies). With `states`, nodes get a class per state.
 */
export function dagToMermaid(def: DagDefinition, states?: Record<string, NodeState>): string {
  return renderMermaid(dagGraph(def, states));
}

/**
 * Graphviz DOT of a DAG, drawn like {@link dagToMermaid}: boxes (ovals when lightweight),
 * conditions as edge labels, and with `states` a fill colour per node state.
 */
export function dagToDot(def: DagDefinition, states?: Record<string, NodeState>): string {
  return renderDot(dagGraph(def, states));
}

/**
 * Mermaid `flowchart LR` of a task's pipeline: its steps in run order (intake, research, plan,
 * precheck, run, verify; absent ones left out), the precheck as a decision whose failure ends in
 * "skipped", and a plan's subtasks as a subgraph before `run` (chained for a sequence, fanned out
 * and back in for a parallel plan). A plan of kind `value` has no subtasks to draw.
 */
export function pipelineToMermaid(desc: TaskDescription, plan?: DiagramPlan | NormalisedPlan): string {
  return renderMermaid(pipelineGraph(desc, plan));
}

/** Graphviz DOT of a task's pipeline, drawn like {@link pipelineToMermaid} (subtasks in a cluster). */
export function pipelineToDot(desc: TaskDescription, plan?: DiagramPlan | NormalisedPlan): string {
  return renderDot(pipelineGraph(desc, plan));
}

function dagGraph(def: DagDefinition, states: Record<string, NodeState> | undefined): Graph {
  const defined = new Set(def.nodes.map((n) => n.id));
  const items: GraphNode[] = [];
  const missing: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const node of def.nodes) {
    const deps = node.dependsOn ?? [];
    const condition = node.condition !== undefined && node.condition !== '' ? node.condition : undefined;
    const lines = [node.id, node.task];
    if (condition !== undefined && deps.length === 0) lines.push(`when ${condition}`);
    const state = stateOf(states, node.id);
    items.push({ kind: 'node', key: node.id, lines, shape: node.lightweight ? 'stadium' : 'box', ...state });
    for (const dep of deps) {
      if (!defined.has(dep)) {
        defined.add(dep);
        missing.push({ kind: 'node', key: dep, lines: [dep], shape: 'box', dashed: true });
      }
      edges.push(condition === undefined ? { from: dep, to: node.id } : { from: dep, to: node.id, label: condition });
    }
  }
  return { name: def.name, items: [...items, ...missing], edges, styled: states !== undefined };
}

/** The state of a node, when `states` holds a known one for it (own keys only: ids such as `constructor`). */
function stateOf(states: Record<string, NodeState> | undefined, id: string): { state?: NodeState } {
  if (states === undefined || !Object.prototype.hasOwnProperty.call(states, id)) return {};
  const state = states[id];
  return state !== undefined && (NODE_STATES as string[]).includes(state) ? { state } : {};
}

function pipelineGraph(desc: TaskDescription, plan: DiagramPlan | NormalisedPlan | undefined): Graph {
  const items: Array<GraphNode | GraphCluster> = [];
  const edges: GraphEdge[] = [];
  const ends: GraphNode[] = [];
  // Where the next node's incoming edges come from, with the label those edges carry.
  let from: Array<{ key: string; label?: string }> = [{ key: 'start' }];
  const enter = (to: string): void => {
    for (const f of from) edges.push(f.label === undefined ? { from: f.key, to } : { from: f.key, to, label: f.label });
  };
  const step = (name: StepName, shape: Shape): void => {
    const source = desc.steps[name];
    if (source === undefined) return;
    items.push({ kind: 'node', key: name, lines: source === 'provider' ? [name, 'provider'] : [name], shape });
    enter(name);
    from = [{ key: name }];
  };

  items.push({ kind: 'node', key: 'start', lines: [desc.name], shape: 'stadium' });
  for (const name of STEPS_BEFORE) step(name, 'box');
  if (desc.steps.precheck !== undefined) {
    step('precheck', 'diamond');
    ends.push({ kind: 'node', key: 'skipped', lines: ['skipped'], shape: 'stadium' });
    edges.push({ from: 'precheck', to: 'skipped', label: 'fails' });
    from = [{ key: 'precheck', label: 'passes' }];
  }
  if (plan !== undefined && plan.kind !== 'value' && plan.tasks.length > 0) {
    const nodes = plan.tasks.map((t, i): GraphNode => ({
      kind: 'node',
      key: `sub${i}`,
      lines: [t.task],
      shape: 'box',
    }));
    items.push({ kind: 'cluster', key: 'subtasks', title: `subtasks (${plan.kind})`, nodes });
    if (plan.kind === 'parallel') {
      for (const node of nodes) enter(node.key);
      from = nodes.map((node) => ({ key: node.key }));
    } else {
      for (const node of nodes) {
        enter(node.key);
        from = [{ key: node.key }];
      }
    }
  }
  for (const name of STEPS_AFTER) step(name, 'box');
  items.push({ kind: 'node', key: 'done', lines: ['done'], shape: 'stadium' }, ...ends);
  enter('done');
  return { name: desc.name, items, edges, styled: false };
}

// ---- Mermaid ----

const MERMAID_SHAPES: Record<Shape, [string, string]> = {
  box: ['[', ']'],
  stadium: ['([', '])'],
  diamond: ['{', '}'],
};

const MERMAID_ENTITIES: Record<string, string> = { '"': 'quot', '&': 'amp', '<': 'lt', '>': 'gt' };

// Characters that mean nothing to Mermaid inside a quoted label; every other ASCII character is
// written as an entity (`#quot;`, `#35;`), which Mermaid decodes when it renders.
const MERMAID_PLAIN = /^[A-Za-z0-9 _.,/@+=?!'()*~-]$/;

// Mermaid's lexer keywords and one-letter tokens: valid-looking ids that still cannot name a node.
const MERMAID_RESERVED = new Set([
  'end',
  'graph',
  'flowchart',
  'subgraph',
  'style',
  'linkstyle',
  'classdef',
  'class',
  'click',
  'call',
  'href',
  'default',
  'interpolate',
  'direction',
  'acctitle',
  'accdescr',
  'lr',
  'rl',
  'tb',
  'bt',
  'td',
  'br',
  'o',
  'x',
  'v',
]);

/** Label text as it goes between `"` in Mermaid: lines joined with `<br/>`, the rest entity-escaped. */
function mermaidText(text: string): string {
  let out = '';
  for (const ch of clean(text)) {
    const cp = ch.codePointAt(0) ?? 0;
    const named = MERMAID_ENTITIES[ch];
    if (ch === '\n') out += '<br/>';
    else if (named !== undefined) out += `#${named};`;
    // Mermaid marks entities with `ﬂ°` ... `¶ß` and decodes those marks in the finished SVG, so text
    // holding them would turn into an entity: an invisible word joiner keeps them apart.
    else if (ch === '\ufb02' || ch === '\u00b6') out += `${ch}#8288;`;
    else if (MERMAID_PLAIN.test(ch) || cp >= 0xa0) out += ch;
    else out += `#${cp};`;
  }
  return out;
}

function isMermaidId(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(id) && !MERMAID_RESERVED.has(id.toLowerCase());
}

/** Mermaid ids of the graph's keys: the key itself when it is a safe id, else `n<position>` (unique). */
function mermaidIds(keys: string[]): Map<string, string> {
  const taken = new Set(keys.filter(isMermaidId));
  const ids = new Map<string, string>();
  keys.forEach((key, i) => {
    if (ids.has(key)) return;
    if (isMermaidId(key)) {
      ids.set(key, key);
      return;
    }
    let id = `n${i}`;
    for (let k = 1; taken.has(id); k++) id = `n${i}_${k}`;
    taken.add(id);
    ids.set(key, id);
  });
  return ids;
}

function renderMermaid(graph: Graph): string {
  const keys: string[] = [];
  for (const item of graph.items) {
    keys.push(item.key);
    if (item.kind === 'cluster') keys.push(...item.nodes.map((n) => n.key));
  }
  const ids = mermaidIds(keys);
  const id = (key: string): string => ids.get(key) ?? key;
  const out = ['flowchart LR'];
  const node = (n: GraphNode, indent: string): void => {
    const [open, close] = MERMAID_SHAPES[n.shape];
    out.push(`${indent}${id(n.key)}${open}"${n.lines.map(mermaidText).join('<br/>')}"${close}`);
  };
  const nodes: GraphNode[] = [];
  for (const item of graph.items) {
    if (item.kind === 'node') {
      node(item, '  ');
      nodes.push(item);
    } else {
      out.push(`  subgraph ${id(item.key)}["${mermaidText(item.title)}"]`);
      for (const n of item.nodes) node(n, '    ');
      out.push('  end');
      nodes.push(...item.nodes);
    }
  }
  for (const e of graph.edges) {
    const link = e.label === undefined ? '-->' : `-- "${mermaidText(e.label)}" -->`;
    out.push(`  ${id(e.from)} ${link} ${id(e.to)}`);
  }
  for (const n of nodes) if (n.dashed) out.push(`  style ${id(n.key)} stroke-dasharray:5 5`);
  if (graph.styled) {
    for (const s of NODE_STATES) {
      const c = NODE_STATE_COLOURS[s];
      const dash = s === 'skipped' ? ',stroke-dasharray:5 5' : '';
      out.push(`  classDef ${s} fill:${c.fill},stroke:${c.stroke},color:${c.text}${dash}`);
    }
    for (const n of nodes) if (n.state !== undefined) out.push(`  class ${id(n.key)} ${n.state}`);
  }
  return `${out.join('\n')}\n`;
}

// ---- Graphviz DOT ----

const DOT_SHAPES: Record<Shape, string> = { box: 'box', stadium: 'oval', diamond: 'diamond' };

/** A DOT quoted string: `\` and `"` escaped, newlines as `\n`. */
function dotId(text: string): string {
  return `"${clean(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** A DOT label: also `&` escaped, since Graphviz decodes HTML entities (`&lt;`) in labels. */
function dotLabel(lines: string[]): string {
  return dotId(lines.join('\n').replace(/&/g, '&amp;'));
}

function renderDot(graph: Graph): string {
  const out = [`digraph ${dotId(graph.name)} {`, '  rankdir=LR;'];
  const node = (n: GraphNode, indent: string): void => {
    const attrs = [`label=${dotLabel(n.lines)}`, `shape=${DOT_SHAPES[n.shape]}`];
    const styles = n.state !== undefined ? ['filled'] : [];
    if (n.dashed || n.state === 'skipped') styles.push('dashed');
    if (styles.length > 0) attrs.push(`style=${styles.length > 1 ? `"${styles.join(',')}"` : styles.join(',')}`);
    if (n.state !== undefined) {
      const c = NODE_STATE_COLOURS[n.state];
      attrs.push(`fillcolor="${c.fill}"`, `color="${c.stroke}"`, `fontcolor="${c.text}"`);
    }
    out.push(`${indent}${dotId(n.key)} [${attrs.join(', ')}];`);
  };
  for (const item of graph.items) {
    if (item.kind === 'node') {
      node(item, '  ');
    } else {
      out.push(
        `  subgraph ${dotId(`cluster_${item.key}`)} {`,
        `    label=${dotLabel([item.title])};`,
        '    style=dashed;',
      );
      for (const n of item.nodes) node(n, '    ');
      out.push('  }');
    }
  }
  for (const e of graph.edges) {
    const attrs = e.label === undefined ? '' : ` [label=${dotLabel([e.label])}]`;
    out.push(`  ${dotId(e.from)} -> ${dotId(e.to)}${attrs};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

// ---- shared ----

/**
 * Text with line breaks normalised to `\n` (CR, CRLF and the Unicode line separators), tabs as
 * spaces, and other control characters as U+FFFD: no format can show them, SVG forbids most.
 */
function clean(text: string): string {
  let out = '';
  for (const ch of text.replace(/\r\n?|\u2028|\u2029/g, '\n')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\n') out += ch;
    else if (ch === '\t') out += ' ';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += '\ufffd';
    else out += ch;
  }
  return out;
}
