/**
 * The DAG diagram of a run page, drawn server-side as inline SVG (no JavaScript, no external
 * library): nodes in columns by their longest dependency path, an arrow per dependency, a
 * node's condition on the arrows into it. Each node is a `<g class="node state-…">` carrying
 * its id in `data-node`, so the page's script recolours it live by changing its class; the
 * initial colours are also written as attributes, so the diagram reads right without CSS.
 * Node-only (pure string building).
 */
import { NODE_STATE_COLOURS } from '../../core/diagram';
import type { DagDefinition, NodeState } from '../../core';
import { html, type SafeHtml } from './html';

const NODE_W = 170;
const NODE_H = 52;
const GAP_X = 70;
const GAP_Y = 24;
const PAD = 16;

/** Column of each node: 0 for nodes without dependencies, else one more than its deepest dependency. */
function columns(def: DagDefinition): Map<string, number> {
  const byId = new Map(def.nodes.map((n) => [n.id, n]));
  const column = new Map<string, number>();
  const visit = (id: string, seen: Set<string>): number => {
    const known = column.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    if (!node || seen.has(id)) return 0; // undefined dependency or a cycle: a validated DAG has neither
    seen.add(id);
    const deps = (node.dependsOn ?? []).filter((d) => byId.has(d));
    const c = deps.length === 0 ? 0 : Math.max(...deps.map((d) => visit(d, seen))) + 1;
    column.set(id, c);
    return c;
  };
  for (const node of def.nodes) visit(node.id, new Set());
  return column;
}

/** Shortens `text` to `max` characters with an ellipsis (the full text is in the node's title). */
function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The SVG of `def`, each node coloured by its state in `states` (pending when absent). */
export function dagSvg(def: DagDefinition, states: Record<string, NodeState | undefined>): SafeHtml {
  const column = columns(def);
  const rows = new Map<number, number>();
  const place = new Map<string, { x: number; y: number }>();
  for (const node of def.nodes) {
    const c = column.get(node.id) ?? 0;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    place.set(node.id, { x: PAD + c * (NODE_W + GAP_X), y: PAD + r * (NODE_H + GAP_Y) });
  }
  const width = PAD * 2 + (Math.max(0, ...column.values()) + 1) * (NODE_W + GAP_X) - GAP_X;
  const height = PAD * 2 + Math.max(1, ...rows.values()) * (NODE_H + GAP_Y) - GAP_Y;

  const edges = def.nodes.flatMap((node) =>
    (node.dependsOn ?? []).flatMap((dep) => {
      const from = place.get(dep);
      const to = place.get(node.id);
      if (!from || !to) return [];
      const x1 = from.x + NODE_W;
      const y1 = from.y + NODE_H / 2;
      const x2 = to.x - 6;
      const y2 = to.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      const label = node.condition
        ? html`<text class="edge-label" x="${mid}" y="${(y1 + y2) / 2 - 6}" text-anchor="middle"
            >${fit(node.condition, 28)}</text
          >`
        : '';
      return [
        html`<g class="edge"
          ><path
            d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}"
            fill="none"
            stroke="#757575"
            marker-end="url(#arrow)"
          />${label}</g
        >`,
      ];
    }),
  );

  const nodes = def.nodes.map((node) => {
    const p = place.get(node.id) ?? { x: PAD, y: PAD };
    const raw = states[node.id];
    const state: NodeState = raw !== undefined && raw in NODE_STATE_COLOURS ? raw : 'pending';
    const c = NODE_STATE_COLOURS[state];
    const rx = node.lightweight ? NODE_H / 2 : 6;
    const title = `${node.id} (${node.task})${node.condition ? ` when ${node.condition}` : ''}: ${state}`;
    return html`<g class="node state-${state}" data-node="${node.id}" transform="translate(${p.x},${p.y})"
      ><title>${title}</title
      ><rect
        width="${NODE_W}"
        height="${NODE_H}"
        rx="${rx}"
        fill="${c.fill}"
        stroke="${c.stroke}"
        stroke-width="2"
      /><text x="${NODE_W / 2}" y="21" text-anchor="middle" class="node-id" fill="${c.text}">${fit(node.id, 22)}</text
      ><text x="${NODE_W / 2}" y="39" text-anchor="middle" class="node-task" fill="${c.text}"
        >${fit(node.task, 24)}</text
      ></g
    >`;
  });

  return html`<svg
    class="dag"
    xmlns="http://www.w3.org/2000/svg"
    width="${width}"
    height="${height}"
    viewBox="0 0 ${width} ${height}"
    role="img"
    aria-label="${`DAG ${def.name}`}"
  >
    <defs>
      <marker
        id="arrow"
        viewBox="0 0 10 10"
        refX="9"
        refY="5"
        markerWidth="7"
        markerHeight="7"
        orient="auto-start-reverse"
      >
        <path d="M0,0 L10,5 L0,10 z" fill="#757575" />
      </marker>
    </defs>
    ${edges}${nodes}
  </svg>`;
}
