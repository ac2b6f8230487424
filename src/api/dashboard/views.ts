/**
 * The dashboard's pages, server-rendered: the sign-in form, the overview (tasks, idea seeds,
 * recent runs) and a run page. Every value from outside goes through the escaping `html`
 * template; the pages carry no inline script or event handler (the CSP forbids them), only the
 * external `/assets/dashboard.js`. Node-only.
 */
import { STEPS, type StepName } from '../../core/task';
import type { DagStatus, PipelineStatus } from '../../core';
import type { DashboardOverview, RunDetail, TaskRow } from '../../services/dashboard';
import type { RunListing } from '../../services/runs';
import { dagSvg } from './dag-svg';
import { CSRF_FIELD } from './auth';
import { html, jsonText, type SafeHtml } from './html';

/** What every signed-in page's header shows: a short form of the hashed ids, and the sign-out form. */
export interface PageContext {
  /** Hashed ids of the viewer. */
  userHash: string;
  groupHash: string;
  /** CSRF token of the viewer's forms (undefined for header-authenticated scripts: no forms to protect). */
  csrf?: string;
  /** Whether the viewer signed in (and so can sign out). */
  session: boolean;
}

const short = (hash: string): string => hash.slice(0, 10);

function layout(title: string, body: SafeHtml, page?: PageContext): string {
  const who = page
    ? html`<span class="who" title="${`user ${page.userHash}, group ${page.groupHash}`}"
          >user ${short(page.userHash)}… · group ${short(page.groupHash)}…</span
        >${
          page.session && page.csrf
            ? html`<form method="post" action="/logout">
                ${csrfInput(page.csrf)}<button type="submit">Sign out</button>
              </form>`
            : ''
        }`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/dashboard.css" />
        <script src="/assets/dashboard.js" defer></script>
      </head>
      <body>
        <header>
          <h1><a href="/">Cascadence Dashboard</a></h1>
          ${who}
        </header>
        <main>${body}</main>
      </body>
    </html> `.value;
}

function csrfInput(token: string | undefined): SafeHtml {
  return token ? html`<input type="hidden" name="${CSRF_FIELD}" value="${token}" />` : html``;
}

/** The sign-in form; with `needsToken` it asks for the API token as well as the ids. */
export function loginPage(options: { needsToken: boolean; csrf: string; next: string; error?: string }): string {
  const body = html`<form class="login" method="post" action="/login">
    <h2>Sign in</h2>
    ${options.error ? html`<p class="problem" role="alert">${options.error}</p>` : ''}
    ${
      options.needsToken
        ? html`<label for="token">API token</label
            ><input id="token" name="token" type="password" autocomplete="current-password" required />`
        : ''
    }
    <label for="user_id">User id</label><input id="user_id" name="user_id" autocomplete="username" required />
    <label for="group_id">Group id</label><input id="group_id" name="group_id" required />
    <input type="hidden" name="next" value="${options.next}" />
    ${csrfInput(options.csrf)}
    <button type="submit">Sign in</button>
    <p class="muted">Your ids are hashed on arrival; only the hashes are kept, in an HttpOnly session cookie.</p>
  </form>`;
  return layout('Sign in · Cascadence Dashboard', body);
}

/** A page saying what went wrong (an unknown run, a refused form). */
export function errorPage(title: string, message: string, page?: PageContext): string {
  return layout(
    `${title} · Cascadence Dashboard`,
    html`<h2>${title}</h2>
      <p class="problem">${message}</p>
      <p><a href="/">Back to the dashboard</a></p>`,
    page,
  );
}

function when(iso: string | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">-</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

function runLink(run: RunListing): SafeHtml {
  return html`<a href="${`/ui/runs/${encodeURIComponent(run.run_id)}`}">${run.run_id}</a>`;
}

function taskActions(task: TaskRow, csrf: string | undefined): SafeHtml {
  const action = (verb: 'pause' | 'resume' | 'disable' | 'enable', label: string): SafeHtml =>
    html`<form method="post" action="${`/ui/tasks/${encodeURIComponent(task.name)}/${verb}`}">
      ${csrfInput(csrf)}<button type="submit" data-action="${verb}">${label}</button>
    </form>`;
  return html`${task.paused ? action('resume', 'Resume') : action('pause', 'Pause')}${
    task.enabled ? action('disable', 'Disable') : action('enable', 'Enable')
  }`;
}

function taskRow(task: TaskRow, csrf: string | undefined): SafeHtml {
  const schedule = task.schedule
    ? html`<code>${task.schedule.cron}</code>
        <span class="muted">${task.schedule.timezone}${task.schedule.paused ? ', paused' : ''}</span>`
    : html`<span class="muted">-</span>`;
  const last = task.lastRun
    ? html`${runLink(task.lastRun)} <span class="badge">${task.lastRun.status}</span
        ><br />${when(task.lastRun.started)}`
    : html`<span class="muted">never</span>`;
  return html`<tr data-task="${task.name}">
    <td><strong>${task.name}</strong>${task.description ? html`<div class="desc">${task.description}</div>` : ''}</td>
    <td><span class="badge status-${task.status}" data-field="status">${task.status}</span></td>
    <td>${task.kind}</td>
    <td>${schedule}</td>
    <td>${when(task.schedule?.nextRun)}</td>
    <td>${last}</td>
    <td>${task.pointers > 0 ? task.pointers : ''}</td>
    <td class="actions">${taskActions(task, csrf)}</td>
  </tr>`;
}

/** The front page: the task table, the viewer's idea seeds and recent runs. */
export function overviewPage(overview: DashboardOverview, page: PageContext, notice?: string): string {
  const tasks =
    overview.tasks.length === 0
      ? html`<tr>
          <td colspan="8" class="muted">No tasks registered.</td>
        </tr>`
      : overview.tasks.map((t) => taskRow(t, page.csrf));
  const ideas =
    overview.ideas.length === 0
      ? html`<li class="muted">None</li>`
      : overview.ideas.map((i) => html`<li>${i.text} <span class="muted">${when(i.time)}</span></li>`);
  const runs =
    overview.runs.length === 0
      ? html`<tr>
          <td colspan="5" class="muted">No runs yet.</td>
        </tr>`
      : overview.runs.map(
          (r) =>
            html`<tr>
              <td>${runLink(r)}</td>
              <td>${r.task}</td>
              <td><span class="badge">${r.status}</span></td>
              <td>${when(r.started)}</td>
              <td><a href="${r.url}" rel="noopener noreferrer" target="_blank">Temporal Web UI</a></td>
            </tr>`,
        );
  const body = html`${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    ${overview.problems.map((p) => html`<p class="problem">${p}</p>`)}
    <h2>Tasks <span class="muted">(${overview.backend} backend)</span></h2>
    <table id="tasks">
      <thead>
        <tr>
          <th>Task</th>
          <th>Status</th>
          <th>Kind</th>
          <th>Schedule</th>
          <th>Next run</th>
          <th>Last run</th>
          <th>Pointers</th>
          <th>Control</th>
        </tr>
      </thead>
      <tbody>
        ${tasks}
      </tbody>
    </table>
    <h2>Idea seeds</h2>
    <ul id="ideas">
      ${ideas}
    </ul>
    <h2>Recent runs</h2>
    <table id="runs">
      <thead>
        <tr>
          <th>Run</th>
          <th>Task</th>
          <th>Status</th>
          <th>Started</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        ${runs}
      </tbody>
    </table>`;
  return layout('Cascadence Dashboard', body, page);
}

function pipelineSection(status: PipelineStatus, detail: RunDetail): SafeHtml {
  const defined = new Set<StepName>(
    detail.task ? (Object.keys(detail.task.steps) as StepName[]) : (Object.keys(status.steps) as StepName[]),
  );
  for (const name of Object.keys(status.steps) as StepName[]) defined.add(name);
  const rows = STEPS.filter((s) => defined.has(s)).map((name) => {
    const s = status.steps[name];
    const state = s?.status ?? 'pending';
    const line = [s?.durationMs === undefined ? '' : `${s.durationMs} ms`, s?.reason ?? ''].filter(Boolean).join(' · ');
    return html`<tr data-step="${name}">
      <td>${name}</td>
      <td><span class="badge state-${state}">${state}</span></td>
      <td class="detail">${line}</td>
    </tr>`;
  });
  const sub = status.subtasks;
  return html`<h2>Stages</h2>
    <p>
      Current stage: <strong data-field="current-stage">${status.currentStage ?? '-'}</strong>${
        sub.total > 0
          ? html` · subtasks
              <span data-field="subtasks"
                >${`${sub.completed}/${sub.total} done${sub.failed ? `, ${sub.failed} failed` : ''}`}</span
              >`
          : ''
      }
    </p>
    <table id="stages">
      <thead>
        <tr>
          <th>Stage</th>
          <th>State</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
}

function dagSection(status: DagStatus, detail: RunDetail): SafeHtml {
  const states = Object.fromEntries(Object.entries(status.nodes).map(([id, s]) => [id, s.state]));
  const diagram = detail.definition
    ? html`<div class="diagram">${dagSvg(detail.definition, states)}</div>`
    : html`<p class="muted">The diagram needs the run's history, which this backend cannot read.</p>`;
  const rows = Object.entries(status.nodes).map(
    ([id, s]) =>
      html`<tr data-node="${id}">
        <td>${id}</td>
        <td><span class="badge state-${s.state}">${s.state}</span></td>
        <td class="detail">${s.reason ?? ''}</td>
      </tr>`,
  );
  return html`<h2>Nodes</h2>
    ${diagram}
    <table id="nodes">
      <thead>
        <tr>
          <th>Node</th>
          <th>State</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
}

/** A run's page: its stages (or DAG nodes, drawn and coloured), input and result, following the run live. */
export function runPage(detail: RunDetail, page: PageContext): string {
  const { status } = detail;
  const isDag = 'nodes' in status;
  const name = isDag ? `DAG ${status.dag}` : status.task;
  const events = `/ui/runs/${encodeURIComponent(detail.runRef)}/events`;
  const body = html`<section
    id="live"
    data-events="${events}"
    data-kind="${detail.kind}"
    data-running="${String(detail.running)}"
  >
    <h2>${name} <span class="muted">run</span> <code>${status.runId}</code></h2>
    <dl class="meta">
      <dt>State</dt>
      <dd data-field="run-state">${status.state}</dd>
      <dt>Paused</dt>
      <dd data-field="paused">${status.paused ? 'yes' : 'no'}</dd>
      <dt>Details</dt>
      <dd><a href="${detail.url}" rel="noopener noreferrer" target="_blank">Temporal Web UI</a></dd>
    </dl>
    <p class="problem" data-field="live-problem" hidden></p>
    ${isDag ? dagSection(status, detail) : pipelineSection(status, detail)}
    ${
      detail.input === undefined
        ? ''
        : html`<h2>Input</h2>
            <pre id="input">${jsonText(detail.input)}</pre>`
    }
    <h2>Result</h2>
    <pre id="result" data-field="result">${detail.running ? '' : jsonText(detail.result)}</pre>
    <p class="problem" id="error" data-field="error" ${detail.error ? '' : html` hidden`}>${detail.error ?? ''}</p>
  </section>`;
  return layout(`${name} ${status.runId} · Cascadence Dashboard`, body, page);
}
