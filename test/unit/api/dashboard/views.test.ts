/**
 * The dashboard's markup without a server: the escaping template, the DAG diagram (every label
 * escaped, a class and colours per node state, columns by dependency depth), the pages never
 * carrying an inline script, and the live script being valid JavaScript.
 */
import { DASHBOARD_CSS, DASHBOARD_JS } from '../../../../src/api/dashboard/assets';
import { csrfToken, validCsrf } from '../../../../src/api/dashboard/auth';
import { dagSvg } from '../../../../src/api/dashboard/dag-svg';
import { escapeHtml, html } from '../../../../src/api/dashboard/html';
import { loginPage, runPage } from '../../../../src/api/dashboard/views';
import { NODE_STATE_COLOURS } from '../../../../src/core/diagram';
import type { DagDefinition } from '../../../../src/core';
import { startInputOf } from '../../../../src/services/dashboard';

it('escapes every interpolated value unless it is markup the template made', () => {
  expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
    '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
  );
  const inner = html`<b>${'<i>'}</b>`;
  expect(html`<p>${inner}${['<x>', inner]}${undefined}${null}${false}${0}</p>`.value).toBe(
    '<p><b>&lt;i&gt;</b>&lt;x&gt;<b>&lt;i&gt;</b>0</p>',
  );
});

const DEF: DagDefinition = {
  name: 'etl<script>',
  nodes: [
    { id: 'extract', task: '<script>alert(1)</script>' },
    { id: 'load', task: 'load', dependsOn: ['extract'], condition: 'extract.rows > 0 && "<b>"' },
  ],
};

it('draws a DAG with escaped labels, a class and colours per node state, dependencies as later columns', () => {
  const svg = dagSvg(DEF, { extract: 'running' }).value;
  expect(svg).not.toContain('<script>');
  expect(svg).not.toContain('<b>');
  expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(svg).toContain('&quot;&lt;b&gt;&quot;');
  expect(svg).toMatch(/<g\s+class="node state-running"\s+data-node="extract"\s+transform="translate\(16,16\)"\s*>/);
  expect(svg).toMatch(/<g\s+class="node state-pending"\s+data-node="load"\s+transform="translate\(256,16\)"\s*>/);
  expect(svg).toContain(`fill="${NODE_STATE_COLOURS.running.fill}"`);
  expect(svg.match(/marker-end="url\(#arrow\)"/g)).toHaveLength(1);
  for (const state of Object.keys(NODE_STATE_COLOURS))
    expect(DASHBOARD_CSS).toContain(`.dag .node.state-${state} rect`);
});

it('renders pages with one external script and no inline one', () => {
  const pages = [
    loginPage({ needsToken: true, csrf: 'c', next: '/' }),
    runPage(
      {
        runRef: 'r"1',
        kind: 'dag',
        running: true,
        url: 'http://ui/"x',
        definition: DEF,
        status: {
          dag: DEF.name,
          runId: 'r"1',
          state: 'running',
          paused: false,
          nodes: { extract: { state: 'running' }, load: { state: 'pending' } },
          counts: { pending: 1, running: 1, success: 0, failed: 0, skipped: 0, cancelled: 0 },
        },
      },
      { userHash: 'u'.repeat(64), groupHash: 'g'.repeat(64), session: true, csrf: 'tok' },
    ),
  ];
  for (const page of pages) {
    expect(page.match(/<script[^>]*>/g)).toEqual(['<script src="/assets/dashboard.js" defer>']);
    expect(page).not.toMatch(/\son[a-z]+=/i);
    expect(page).not.toMatch(/\sstyle=/i);
  }
  expect(pages[1]).toContain('data-events="/ui/runs/r%221/events"');
  expect(pages[1]).toContain('href="http://ui/&quot;x"');
});

it('ships a live script that parses', () => {
  expect(() => new Function(DASHBOARD_JS)).not.toThrow();
  expect(DASHBOARD_JS).not.toContain('innerHTML');
});

it('ties CSRF tokens to one session and one purpose', () => {
  const token = csrfToken('key', 'session', 'cookie-a');
  expect(validCsrf('key', 'session', 'cookie-a', token)).toBe(true);
  expect(validCsrf('key', 'session', 'cookie-b', token)).toBe(false);
  expect(validCsrf('key', 'login', 'cookie-a', token)).toBe(false);
  expect(validCsrf('other', 'session', 'cookie-a', token)).toBe(false);
  expect(validCsrf('key', 'session', undefined, token)).toBe(false);
  expect(validCsrf('key', 'session', 'cookie-a', '')).toBe(false);
});

it("reads a run's arguments from the first event of its history", () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const history = {
    events: [
      {
        workflowExecutionStartedEventAttributes: {
          input: {
            payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify({ input: { a: 1 } })) }],
          },
        },
      },
    ],
  };
  expect(startInputOf(JSON.stringify(history))).toEqual({ input: { a: 1 } });
  expect(startInputOf(JSON.stringify({ events: [] }))).toBeUndefined();
});
