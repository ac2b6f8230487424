/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against a real
 * `task dashboard` process on the suite's Temporal dev server. It signs in, sees the tasks,
 * pauses and resumes a task through its button, watches a slow pipeline's stages advance and a
 * DAG's nodes change colour without a reload (stages wait on gate files: no timing involved),
 * and saves screenshots under test-output/screenshots/ (with CASCADENCE_UPDATE_SCREENSHOTS=1 the
 * README's, docs/dashboard.png and docs/dashboard-dag.png, are refreshed from them).
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { NODE_STATE_COLOURS } from '../../src/core/diagram';
import type { NodeState } from '../../src/core';
import { hashId } from '../../src/events/hash';
import { IdeaStore } from '../../src/stores/idea-store';
import { PointerStore } from '../../src/stores/pointer-store';
import { startDashboard, type DashboardFixture } from '../helpers/dashboard';

// What the functions run inside the page use (this project is type-checked without the DOM library).
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getElementById(id: string): PageElement | null;
};
declare const window: Record<string, unknown>;
declare function getComputedStyle(element: PageElement): { fill: string };

const TOKEN = `browser-token-${randomUUID()}`;
const IDS = { userId: 'browser-user', groupId: 'browser-group' };
const ROOT = join(__dirname, '..', '..');
const SHOTS = join(ROOT, 'test-output', 'screenshots');
const STAGES = ['intake', 'research', 'plan', 'run', 'verify'];

let dash: DashboardFixture;
let browser: Browser;
let page: Page;
/** Console errors and CSP violations the pages reported. */
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dash = await startDashboard({ apiToken: TOKEN });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  const code = await dash?.close();
  expect(code).toBe(0);
});

afterEach(() => {
  // The CSP must never have blocked the dashboard's own script, and the script never failed.
  expect(problems).toEqual([]);
});

const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Creates the gate files that let `stages` of a `slow` run finish. */
function open(gateDir: string, ...stages: string[]): void {
  mkdirSync(gateDir, { recursive: true });
  for (const s of stages) writeFileSync(join(gateDir, s), '');
}

/** Waits until the text of the badge in `selector` is `state`. */
async function badge(selector: string, state: string): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(`${sel} .badge`)?.textContent === want,
    [selector, state] as const,
    { timeout: 30_000 },
  );
}

/** The fill colour Chromium computed for the rectangle of DAG node `id`. */
const fillOf = (id: string): Promise<string> =>
  page.evaluate((node) => {
    const rect = [...document.querySelectorAll('g[data-node]')]
      .find((g) => g.getAttribute('data-node') === node)
      ?.querySelector('rect');
    return rect ? getComputedStyle(rect).fill : 'missing';
  }, id);

const rgb = (state: NodeState): string => {
  const hex = NODE_STATE_COLOURS[state].fill.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
};

async function waitForFill(id: string, state: NodeState): Promise<void> {
  const want = rgb(state);
  const deadline = Date.now() + 30_000;
  while ((await fillOf(id)) !== want) {
    if (Date.now() > deadline) throw new Error(`node ${id} never turned ${state} (${want}), is ${await fillOf(id)}`);
    await page.waitForTimeout(50);
  }
}

/** Marks the page so a reload (which would drop the mark) is noticed. */
const mark = (): Promise<void> => page.evaluate(() => void (window.mark = 42));
const marked = (): Promise<boolean> => page.evaluate(() => window.mark === 42);

it('signs in and shows every task', async () => {
  await page.goto(dash.url);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('#token', TOKEN);
  await page.fill('#user_id', IDS.userId);
  await page.fill('#group_id', IDS.groupId);
  await shot('01-sign-in');
  await Promise.all([page.waitForURL(`${dash.url}/`), page.click('button[type=submit]')]);
  for (const task of ['slow', 'quick', 'evil']) {
    expect(await page.locator(`tr[data-task="${task}"]`).count()).toBe(1);
  }
  // The markup in evil's description is text on the page, not elements.
  expect(await page.locator('tr[data-task="evil"] .desc').textContent()).toContain('<script>alert("description")');
  expect(await page.locator('tr[data-task="evil"] .desc b').count()).toBe(0);
  await shot('02-tasks');
});

it('pauses and resumes a task with its button', async () => {
  const status = page.locator('tr[data-task="quick"] [data-field="status"]');
  expect(await status.textContent()).toBe('enabled');
  await Promise.all([
    page.waitForURL(/\/\?done=paused/),
    page.click('tr[data-task="quick"] button[data-action="pause"]'),
  ]);
  expect(await status.textContent()).toBe('paused');
  expect(await page.locator('.notice').textContent()).toBe('Paused task quick.');
  await shot('03-paused');
  await Promise.all([
    page.waitForURL(/\/\?done=resumed/),
    page.click('tr[data-task="quick"] button[data-action="resume"]'),
  ]);
  expect(await status.textContent()).toBe('enabled');
});

it("follows a slow run's stages live, without a reload", async () => {
  const gateDir = join(dash.dir, `gates-${randomUUID()}`);
  const runId = await dash.backend.start({ task: 'slow', ...IDS, input: { gateDir } });
  await dash.backend.observe(runId); // visible to lookups before the page asks
  await page.goto(`${dash.url}/ui/runs/${runId}`);
  await badge('tr[data-step="intake"]', 'running');
  await mark();
  for (const [i, stage] of STAGES.entries()) {
    open(gateDir, stage);
    await badge(`tr[data-step="${stage}"]`, 'success');
    const next = STAGES[i + 1];
    if (next) await badge(`tr[data-step="${next}"]`, 'running');
    if (stage === 'research') await shot('04-pipeline-live');
  }
  await page.waitForFunction(() => document.getElementById('live')?.getAttribute('data-ended') === 'true');
  expect(await page.locator('[data-field="run-state"]').textContent()).toBe('completed');
  expect(JSON.parse((await page.locator('#result').textContent()) ?? 'null')).toMatchObject({ run: [], verify: [] });
  expect(await marked()).toBe(true);
  expect(Number(await page.locator('#live').getAttribute('data-updates'))).toBeGreaterThanOrEqual(STAGES.length);
  await shot('05-pipeline-done');
});

it("colours a DAG run's nodes by state and recolours them live", async () => {
  const gates = join(dash.dir, `dag-${randomUUID()}`);
  const runId = randomUUID();
  await dash.backend.startDag({
    definition: {
      name: 'dashboard-demo',
      nodes: [
        { id: 'extract', task: 'slow', input: { gateDir: join(gates, 'extract') } },
        { id: 'transform', task: 'slow', dependsOn: ['extract'], input: { gateDir: join(gates, 'transform') } },
        { id: 'report', task: 'quick', dependsOn: ['extract'] },
        { id: 'load', task: 'slow', dependsOn: ['transform', 'report'], input: { gateDir: join(gates, 'load') } },
      ],
    },
    ...IDS,
    runId,
  });
  await dash.backend.observe(runId);
  await page.goto(`${dash.url}/ui/runs/${runId}`);
  expect(await page.locator('svg.dag g[data-node]').count()).toBe(4);
  await waitForFill('extract', 'running');
  expect(await fillOf('transform')).toBe(rgb('pending'));
  await mark();

  open(join(gates, 'extract'), ...STAGES);
  await waitForFill('extract', 'success');
  await waitForFill('transform', 'running');
  await waitForFill('report', 'success');
  expect(await fillOf('load')).toBe(rgb('pending'));
  await badge('tr[data-node="transform"]', 'running');
  await shot('06-dag-live');
  if (process.env.CASCADENCE_UPDATE_SCREENSHOTS)
    copyFileSync(join(SHOTS, '06-dag-live.png'), join(ROOT, 'docs', 'dashboard-dag.png'));

  open(join(gates, 'transform'), ...STAGES);
  await waitForFill('transform', 'success');
  await waitForFill('load', 'running');
  open(join(gates, 'load'), ...STAGES);
  await waitForFill('load', 'success');
  await page.waitForFunction(() => document.getElementById('live')?.getAttribute('data-ended') === 'true');
  expect(await page.locator('[data-field="run-state"]').textContent()).toBe('completed');
  expect(await marked()).toBe(true);
  await shot('07-dag-done');

  // The front page lists the runs with their Web UI links, the schedule, the caller's idea seeds and pointers.
  const mine = { user_hash: hashId(IDS.userId, dash.hashSecret), group_hash: hashId(IDS.groupId, dash.hashSecret) };
  await new IdeaStore(dash.ideasPath).add({ text: 'Weekly report of paused tasks', ...mine });
  await new PointerStore(dash.pointersPath).add('slow', { run_id: runId, ...mine });
  await dash.backend.schedule({ task: 'dashboard-digest', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', ...IDS });
  try {
    await page.goto(dash.url);
    expect(await page.locator(`#runs a[href="/ui/runs/${runId}"]`).count()).toBe(1);
    const digest = page.locator('tr[data-task="dashboard-digest"]');
    expect(await digest.locator('code').textContent()).toBe('0 9 * * 1-5');
    expect(await digest.locator('time').count()).toBeGreaterThan(0);
    expect(await page.locator('#ideas li').textContent()).toContain('Weekly report of paused tasks');
    await shot('08-overview');
  } finally {
    await dash.backend.unschedule('dashboard-digest');
  }
  if (process.env.CASCADENCE_UPDATE_SCREENSHOTS)
    copyFileSync(join(SHOTS, '08-overview.png'), join(ROOT, 'docs', 'dashboard.png'));
});
