/**
 * A real `task dashboard` process over real HTTP, on a real Temporal dev server: the sign-in flow with a token,
 * the session cookie (hashes only, HttpOnly, SameSite=Strict), the Content-Security-Policy,
 * escaping of markup in a task's description, a run's input and its result, the idea seeds and
 * pointers of the caller only, forms refused without their CSRF token or from another origin,
 * and pause/disable through the forms changing the task's status.
 */
import { randomUUID } from 'node:crypto';
import { SESSION_COOKIE } from '../../src/api/session';
import { hashId } from '../../src/events/hash';
import { IdeaStore } from '../../src/stores/idea-store';
import { PointerStore } from '../../src/stores/pointer-store';
import { EVIL, startDashboard, type DashboardFixture } from '../helpers/dashboard';

const TOKEN = 'dashboard-token-123';
const USER = 'alice';
const GROUP = 'team-a';

let dash: DashboardFixture;

/** A browser's cookies for the dashboard's origin. */
class Jar {
  private readonly cookies = new Map<string, string>();
  readonly raw: string[] = [];
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      this.raw.push(line);
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq);
      const value = (pair ?? '').slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function request(
  jar: Jar | undefined,
  path: string,
  init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<{ res: Response; body: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (jar && jar.header()) headers.cookie = jar.header();
  if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(`${dash.url}${path}`, {
    method: init.method ?? (init.form ? 'POST' : 'GET'),
    headers,
    redirect: 'manual',
    ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
  });
  jar?.take(res);
  return { res, body: await res.text() };
}

const hidden = (body: string, name: string): string => {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!m?.[1]) throw new Error(`no hidden field ${name} in the page`);
  return m[1];
};

/** Signs in through the form; the jar then holds the session. */
async function signIn(user = USER, group = GROUP): Promise<Jar> {
  const jar = new Jar();
  const form = await request(jar, '/login');
  const { res } = await request(jar, '/login', {
    form: { token: TOKEN, user_id: user, group_id: group, next: '/', csrf: hidden(form.body, 'csrf') },
  });
  expect(res.status).toBe(303);
  expect(jar.get(SESSION_COOKIE)).toBeDefined();
  return jar;
}

const statusOf = (page: string, task: string): string | undefined =>
  new RegExp(`<tr data-task="${task}">[\\s\\S]*?data-field="status">([a-z]+)<`).exec(page)?.[1];

// The same dashboard alone (`task dashboard`) and inside the API server (`task api`, at the root).
describe.each(['dashboard', 'api'] as const)('task %s', (command) => {
  beforeAll(async () => {
    dash = await startDashboard({ apiToken: TOKEN, command });
  });
  afterAll(async () => {
    const code = await dash?.close();
    expect(code).toBe(0);
  });

  it('sends a Content-Security-Policy that forbids inline scripts, on every page', async () => {
    for (const path of ['/login', '/assets/dashboard.js']) {
      const { res } = await request(undefined, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
      expect(scriptSrc.trim()).toBe("'self'");
      expect(csp).toContain("script-src-attr 'none'");
      expect(csp).not.toContain('unsafe-inline');
    }
    const jar = await signIn();
    const { res, body } = await request(jar, '/');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    // The only script is the external one; no inline handlers anywhere.
    expect(body.match(/<script[^>]*>/g)).toEqual(['<script src="/assets/dashboard.js" defer>']);
    expect(body).not.toMatch(/\son[a-z]+=/i);
  });

  it('shows the sign-in form first, then keeps only hashes in an HttpOnly, SameSite=Strict session', async () => {
    const jar = new Jar();
    const first = await request(jar, '/');
    expect(first.res.status).toBe(303);
    expect(first.res.headers.get('location')).toBe('/login?next=%2F');

    const form = await request(jar, '/login');
    expect(form.res.status).toBe(200);
    expect(form.body).toContain('name="token"');
    expect(form.body).toContain('name="user_id"');
    expect(form.body).toContain('name="group_id"');
    const csrf = hidden(form.body, 'csrf');

    // The form's own token is required, and so is the right API token.
    const noCsrf = await request(jar, '/login', { form: { token: TOKEN, user_id: USER, group_id: GROUP } });
    expect(noCsrf.res.status).toBe(403);
    expect(jar.get(SESSION_COOKIE)).toBeUndefined();
    const again = hidden(noCsrf.body, 'csrf');
    const wrong = await request(jar, '/login', {
      form: { token: 'nope', user_id: USER, group_id: GROUP, csrf: again },
    });
    expect(wrong.res.status).toBe(401);
    expect(wrong.body).toContain('Wrong token.');
    expect(jar.get(SESSION_COOKIE)).toBeUndefined();
    expect(csrf).not.toBe(again);

    const ok = await request(jar, '/login', {
      form: { token: TOKEN, user_id: USER, group_id: GROUP, next: '/', csrf: hidden(wrong.body, 'csrf') },
    });
    expect(ok.res.status).toBe(303);
    expect(ok.res.headers.get('location')).toBe('/');
    const setCookie = jar.raw.find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const session = jar.get(SESSION_COOKIE) ?? '';
    const payload = Buffer.from(session.split('.')[0] ?? '', 'base64url').toString('utf8');
    expect(payload).toContain(hashId(USER, dash.hashSecret));
    expect(payload).toContain(hashId(GROUP, dash.hashSecret));
    expect(payload).not.toContain(USER);
    expect(payload).not.toContain(GROUP);

    const page = await request(jar, '/');
    expect(page.res.status).toBe(200);
    expect(page.body).toContain('<table id="tasks">');
    expect(page.body).toContain('data-task="slow"');

    // A forged session is nobody's.
    const forged = new Jar();
    forged.take(new Response(null, { headers: { 'set-cookie': `${SESSION_COOKIE}=${session.slice(0, -2)}xx` } }));
    expect((await request(forged, '/')).res.status).toBe(303);
  });

  it('never redirects a sign-in to another site', async () => {
    const jar = new Jar();
    const form = await request(jar, '/login?next=//evil.example/');
    expect(hidden(form.body, 'next')).toBe('/');
    const { res } = await request(jar, '/login', {
      form: {
        token: TOKEN,
        user_id: USER,
        group_id: GROUP,
        next: 'https://evil.example/',
        csrf: hidden(form.body, 'csrf'),
      },
    });
    expect(res.headers.get('location')).toBe('/');
  });

  it('takes a bearer token and the identity headers from scripts, and refuses wrong ones', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'x-user-id': USER, 'x-group-id': GROUP };
    expect((await request(undefined, '/', { headers })).res.status).toBe(200);
    const wrong = await request(undefined, '/', { headers: { ...headers, authorization: 'Bearer wrong' } });
    expect(wrong.res.status).toBe(401);
    const noGroup = await request(undefined, '/', { headers: { authorization: `Bearer ${TOKEN}`, 'x-user-id': USER } });
    expect(noGroup.res.status).toBe(400);
    expect(noGroup.body).toContain('X-Group-ID');
    const events = await request(undefined, '/ui/runs/whatever/events');
    expect(events.res.status).toBe(401);
  });

  it("escapes markup in a task's description, a run's input and its result", async () => {
    const jar = await signIn();
    const overview = await request(jar, '/');
    expect(overview.body).toContain(
      '&lt;script&gt;alert(&quot;description&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;',
    );
    expect(overview.body).not.toContain(EVIL.description);

    const { runId } = await dash.backend.run({
      task: 'evil',
      userId: USER,
      groupId: GROUP,
      input: { note: EVIL.input },
    });
    const run = await request(jar, `/ui/runs/${encodeURIComponent(runId)}`);
    expect(run.res.status).toBe(200);
    // Shown as JSON (its quotes backslashed), then HTML-escaped.
    expect(run.body).toContain('&lt;script&gt;alert(\\&quot;input\\&quot;)&lt;/script&gt;');
    expect(run.body).toContain('&lt;img src=x onerror=\\&quot;alert(1)\\&quot;&gt;');
    expect(run.body).not.toContain(EVIL.input);
    expect(run.body).not.toContain('<img');
    expect(run.body.match(/<script[^>]*>/g)).toEqual(['<script src="/assets/dashboard.js" defer>']);
    // The result is there because the run has finished, with its Web UI link.
    expect(run.body).toMatch(/<pre id="result" data-field="result">[^<]*&quot;html&quot;/);
    expect(run.body).toContain(`http://web-ui.example:8233/namespaces/default/workflows/evil-${runId}`);

    // The recent runs list it too, escaped, with the Web UI link.
    const again = await request(jar, '/');
    expect(again.body).toContain(`href="/ui/runs/${runId}"`);

    // Someone of another group sees neither the run page, nor its stream, nor the run in the list.
    const other = await signIn('mallory', 'elsewhere');
    expect((await request(other, `/ui/runs/${encodeURIComponent(runId)}`)).res.status).toBe(404);
    expect((await request(other, `/ui/runs/${encodeURIComponent(runId)}/events`)).res.status).toBe(404);
    expect((await request(other, '/')).body).not.toContain(`href="/ui/runs/${runId}"`);
  });

  it('shows the idea seeds and pointer counts of the caller only', async () => {
    const secret = dash.hashSecret;
    const mine = { userHash: hashId(USER, secret), groupHash: hashId(GROUP, secret) };
    const ideas = new IdeaStore(dash.ideasPath);
    await ideas.add({ text: 'my <idea> & more', user_hash: mine.userHash, group_hash: mine.groupHash });
    await ideas.add({ text: 'someone else idea', user_hash: hashId('mallory', secret), group_hash: mine.groupHash });
    const pointers = new PointerStore(dash.pointersPath);
    for (let i = 0; i < 3; i++) {
      await pointers.add('quick', { run_id: randomUUID(), user_hash: mine.userHash, group_hash: mine.groupHash });
    }
    await pointers.add('quick', {
      run_id: randomUUID(),
      user_hash: hashId('mallory', secret),
      group_hash: mine.groupHash,
    });

    const { body } = await request(await signIn(), '/');
    expect(body).toContain('my &lt;idea&gt; &amp; more');
    expect(body).not.toContain('someone else idea');
    const row = /<tr data-task="quick">[\s\S]*?<\/tr>/.exec(body)?.[0] ?? '';
    expect(row.match(/<td>(\d*)<\/td>\s*<td class="actions">/)?.[1]).toBe('3');
  });

  it('refuses a form without its CSRF token, with a wrong one, or from another origin', async () => {
    const jar = await signIn();
    const page = await request(jar, '/');
    const csrf = hidden(page.body, 'csrf');
    const missing = await request(jar, '/ui/tasks/quick/pause', { form: {} });
    expect(missing.res.status).toBe(403);
    const wrong = await request(jar, '/ui/tasks/quick/pause', { form: { csrf: `${csrf.slice(0, -1)}A` } });
    expect(wrong.res.status).toBe(403);
    const crossSite = await request(jar, '/ui/tasks/quick/pause', {
      form: { csrf },
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.res.status).toBe(403);
    const fetchMetadata = await request(jar, '/ui/tasks/quick/pause', {
      form: { csrf },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(fetchMetadata.res.status).toBe(403);
    // Another session's token does not fit this one.
    const other = await signIn('bob', GROUP);
    const otherCsrf = hidden((await request(other, '/')).body, 'csrf');
    expect((await request(jar, '/ui/tasks/quick/pause', { form: { csrf: otherCsrf } })).res.status).toBe(403);
    // Not signed in at all.
    expect((await request(undefined, '/ui/tasks/quick/pause', { form: { csrf } })).res.status).toBe(401);

    const tasks = await dash.backend.list();
    expect(tasks.find((t) => t.name === 'quick')).toMatchObject({ paused: false, enabled: true });
  });

  it('pauses, resumes, disables and enables a task through its forms', async () => {
    const jar = await signIn();
    const act = async (action: string): Promise<string> => {
      const page = await request(jar, '/');
      const { res } = await request(jar, `/ui/tasks/quick/${action}`, { form: { csrf: hidden(page.body, 'csrf') } });
      expect(res.status).toBe(303);
      const after = await request(jar, res.headers.get('location') ?? '/');
      return after.body;
    };
    let body = await act('pause');
    expect(statusOf(body, 'quick')).toBe('paused');
    expect(body).toContain('Paused task quick.');
    expect((await dash.backend.list()).find((t) => t.name === 'quick')?.paused).toBe(true);
    body = await act('resume');
    expect(statusOf(body, 'quick')).toBe('enabled');
    body = await act('disable');
    expect(statusOf(body, 'quick')).toBe('disabled');
    expect((await dash.backend.list()).find((t) => t.name === 'quick')?.enabled).toBe(false);
    await expect(dash.backend.run({ task: 'quick', userId: USER, groupId: GROUP })).rejects.toMatchObject({
      code: 'TASK_DISABLED',
    });
    body = await act('enable');
    expect(statusOf(body, 'quick')).toBe('enabled');

    // Who did it is in the task's audit trail, as a hash.
    const trail = await dash.backend.audit('quick');
    expect(trail.filter((r) => r.stage === 'task').map((r) => r.status)).toEqual([
      'paused',
      'resumed',
      'disabled',
      'enabled',
    ]);
    expect(trail.every((r) => r.stage !== 'task' || r.user_hash === hashId(USER, dash.hashSecret))).toBe(true);
  });

  it('answers an unknown task or run with 404, escaped', async () => {
    const jar = await signIn();
    const csrf = hidden((await request(jar, '/')).body, 'csrf');
    const task = await request(jar, `/ui/tasks/${encodeURIComponent('<nope>')}/pause`, { form: { csrf } });
    expect(task.res.status).toBe(404);
    expect(task.body).toContain('&lt;nope&gt;');
    expect(task.body).not.toContain('<nope>');
    const run = await request(jar, '/ui/runs/no-such-run');
    expect(run.res.status).toBe(404);
  });
});

describe('task dashboard without a token', () => {
  beforeAll(async () => {
    dash = await startDashboard({ command: 'dashboard' });
  });
  afterAll(async () => {
    expect(await dash?.close()).toBe(0);
  });

  it('asks only for the ids, and takes the identity headers alone', async () => {
    const jar = new Jar();
    const form = await request(jar, '/login');
    expect(form.body).not.toContain('name="token"');
    const { res } = await request(jar, '/login', {
      form: { user_id: USER, group_id: GROUP, csrf: hidden(form.body, 'csrf') },
    });
    expect(res.status).toBe(303);
    expect((await request(jar, '/')).body).toContain('<table id="tasks">');
    const headers = { 'x-user-id': USER, 'x-group-id': GROUP };
    expect((await request(undefined, '/', { headers })).res.status).toBe(200);
    expect((await request(undefined, '/', { headers: { 'x-user-id': USER } })).res.status).toBe(400);
    // Still no form without its CSRF token.
    expect((await request(jar, '/ui/tasks/quick/disable', { form: {} })).res.status).toBe(403);
  });
});
