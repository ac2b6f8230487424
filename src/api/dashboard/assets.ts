/**
 * The dashboard's two static files, kept as string constants so `tsc` carries them into `dist/`
 * with the code (no copy step): the style sheet, and the one script that adds the live parts
 * (a run page's stages or DAG nodes following the run's server-sent events). The script only
 * ever writes text (`textContent`) and class names, never markup. Node-only.
 */
import { NODE_STATE_COLOURS } from '../../core/diagram';

const nodeStateRules = Object.entries(NODE_STATE_COLOURS)
  .map(
    ([state, c]) =>
      `.dag .node.state-${state} rect { fill: ${c.fill}; stroke: ${c.stroke}; }\n` +
      `.dag .node.state-${state} text { fill: ${c.text}; }\n` +
      `.badge.state-${state} { background: ${c.fill}; border-color: ${c.stroke}; color: ${c.text}; }`,
  )
  .join('\n');

/** `/assets/dashboard.css`. */
export const DASHBOARD_CSS = `:root { color-scheme: light; --ink: #212121; --muted: #616161; --line: #e0e0e0; --accent: #1565c0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fafafa; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #263238; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; font-weight: 600; }
header a { color: #fff; text-decoration: none; }
header .who { margin-left: auto; font-size: .85rem; color: #cfd8dc; }
header form { margin: 0; }
main { padding: 1rem 1.2rem 2rem; max-width: 1200px; }
h2 { font-size: 1rem; margin: 1.6rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .35rem .55rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; font-size: .85rem; }
td.actions { white-space: nowrap; }
td.actions form { display: inline; margin: 0 .2rem 0 0; }
button { font: inherit; padding: .15rem .6rem; border: 1px solid #90a4ae; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #eceff1; }
.muted { color: var(--muted); }
.desc { color: var(--muted); font-size: .85rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: #fff; border: 1px solid var(--line); padding: .6rem; overflow: auto; max-height: 24rem; white-space: pre-wrap; word-break: break-word; }
.badge { display: inline-block; padding: 0 .5rem; border: 1px solid #9e9e9e; border-radius: 999px; font-size: .8rem; background: #fff; }
.status-enabled { background: #c8e6c9; border-color: #2e7d32; color: #1b5e20; }
.status-disabled { background: #e0e0e0; border-color: #757575; color: #424242; }
.status-paused { background: #ffe0b2; border-color: #ef6c00; color: #e65100; }
.badge.state-error { background: #ffcdd2; border-color: #c62828; color: #b71c1c; }
${nodeStateRules}
.notice { padding: .5rem .8rem; background: #e3f2fd; border: 1px solid #90caf9; border-radius: 4px; }
.problem { padding: .5rem .8rem; background: #ffebee; border: 1px solid #ef9a9a; border-radius: 4px; }
.login { max-width: 22rem; margin: 3rem auto; background: #fff; border: 1px solid var(--line); padding: 1.2rem 1.4rem; border-radius: 6px; }
.login label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
.login input { width: 100%; padding: .35rem .5rem; font: inherit; border: 1px solid #b0bec5; border-radius: 4px; }
.login button { margin-top: 1rem; padding: .35rem 1rem; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; }
.diagram { background: #fff; border: 1px solid var(--line); padding: .5rem; overflow: auto; }
.dag text { font-size: 12px; }
.dag .node-id { font-weight: 600; }
.dag .edge-label { fill: var(--muted); font-size: 11px; }
`;

/** `/assets/dashboard.js`: the live parts of a run page. */
export const DASHBOARD_JS = `(function () {
  'use strict';
  var live = document.getElementById('live');
  if (!live || typeof EventSource === 'undefined') return;

  function all(attr) {
    return Array.prototype.slice.call(document.querySelectorAll('[' + attr + ']'));
  }
  function setText(field, text) {
    all('data-field').forEach(function (el) {
      if (el.getAttribute('data-field') !== field) return;
      el.textContent = text;
      if (text) el.removeAttribute('hidden');
    });
  }
  function setBadge(el, state) {
    el.textContent = state;
    el.setAttribute('class', 'badge state-' + state);
  }
  function stepLine(s) {
    var parts = [];
    if (typeof s.durationMs === 'number') parts.push(s.durationMs + ' ms');
    if (s.reason) parts.push(s.reason);
    return parts.join(' · ');
  }

  function showPipeline(status) {
    all('data-step').forEach(function (row) {
      var s = status.steps[row.getAttribute('data-step')];
      if (!s) return;
      var badge = row.querySelector('.badge');
      if (badge) setBadge(badge, s.status);
      var detail = row.querySelector('.detail');
      if (detail) detail.textContent = stepLine(s);
    });
    var sub = status.subtasks;
    if (sub && sub.total > 0) {
      setText('subtasks', sub.completed + '/' + sub.total + ' done' + (sub.failed ? ', ' + sub.failed + ' failed' : ''));
    }
    setText('current-stage', status.currentStage || '-');
  }

  function showDag(status) {
    all('data-node').forEach(function (el) {
      var id = el.getAttribute('data-node');
      var s = Object.prototype.hasOwnProperty.call(status.nodes, id) ? status.nodes[id] : undefined;
      if (!s) return;
      if (el.tagName.toLowerCase() === 'g') {
        el.setAttribute('class', 'node state-' + s.state);
        var title = el.querySelector('title');
        if (title) title.textContent = title.textContent.replace(/: [a-z]+$/, ': ' + s.state);
      } else {
        var badge = el.querySelector('.badge');
        if (badge) setBadge(badge, s.state);
        var detail = el.querySelector('.detail');
        if (detail) detail.textContent = s.reason || '';
      }
    });
  }

  var source = new EventSource(live.getAttribute('data-events'));
  source.addEventListener('status', function (event) {
    var data = JSON.parse(event.data);
    var status = data.status;
    setText('run-state', status.state);
    setText('paused', status.paused ? 'yes' : 'no');
    if (status.nodes) showDag(status);
    else showPipeline(status);
    live.setAttribute('data-updates', String(Number(live.getAttribute('data-updates') || '0') + 1));
  });
  source.addEventListener('end', function (event) {
    var data = JSON.parse(event.data);
    if (data.error) setText('error', data.error);
    else if (Object.prototype.hasOwnProperty.call(data, 'result')) setText('result', JSON.stringify(data.result, null, 2));
    live.setAttribute('data-ended', 'true');
    source.close();
  });
  source.addEventListener('problem', function (event) {
    setText('live-problem', JSON.parse(event.data).message);
    live.setAttribute('data-ended', 'true');
    source.close();
  });
})();
`;
