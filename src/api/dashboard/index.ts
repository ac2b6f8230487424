/**
 * The dashboard, a fastify plugin over `ApiDeps` owning `/`, `/login`, `/logout`, `/ui/*` and
 * `/assets/*`. Pages are server-rendered (the task table and its buttons work without
 * JavaScript); `/assets/dashboard.js` adds the live parts: a run page follows its run through
 * server-sent events (`/ui/runs/:id/events`) fed by the run's status query, no reload.
 *
 * Access is enforced here (the routes are `config: { public: true }`, so the API's token hook
 * skips them): a browser signs in (token when `apiToken` is set, user id, group id) and gets an
 * HttpOnly, SameSite=Strict session cookie holding only the ids' hashes; a script sends the
 * bearer token and `X-User-ID` / `X-Group-ID`. Every button is a POST form carrying a CSRF
 * token derived from the session (checked in constant time), and a form from another origin is
 * refused. Node-only.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { followPlugins, type ApiDeps, type Identity } from '../context';
import { createSession, sameSecret, SESSION_COOKIE, SESSION_TTL_MS } from '../session';
import { httpStatusFor, isCascadenceError, rootMessage } from '../../core/errors';
import type { DagStatus, PipelineStatus } from '../../core';
import { hashId } from '../../events/hash';
import { setTaskEnabled, setTaskPaused } from '../../services/admin';
import { assertRunInScope } from '../../services/scope';
import { errorResponse } from '../errors';
import { dashboardOverview, runDetail, type DashboardDeps } from '../../services/dashboard';
import { followRun, statusChanges } from '../../services/follow';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets';
import {
  callerOf,
  crossOrigin,
  csrfToken,
  CSRF_FIELD,
  LOGIN_COOKIE,
  newLoginNonce,
  sessionSecretOf,
  validCsrf,
  type Caller,
} from './auth';
import { errorPage, loginPage, overviewPage, runPage, type PageContext } from './views';

export { DASHBOARD_CSS, DASHBOARD_JS } from './assets';
export { escapeHtml, html, SafeHtml } from './html';
export { dagSvg } from './dag-svg';

/** How long a sign-in form stays valid (its pre-session cookie's lifetime). */
const LOGIN_FORM_TTL_S = 30 * 60;

const PUBLIC = { public: true } as const;

const TASK_ACTIONS = ['pause', 'resume', 'disable', 'enable'] as const;
type TaskAction = (typeof TASK_ACTIONS)[number];

/** What each action did, as the notice after it says. */
const DONE: Record<string, string> = {
  paused: 'Paused task',
  resumed: 'Resumed task',
  'paused-run': 'Paused the running run of',
  'resumed-run': 'Resumed the paused run of',
  disabled: 'Disabled task',
  enabled: 'Enabled task',
  unchanged: 'Nothing to change for',
};

type Form = Record<string, unknown>;

const field = (body: unknown, name: string): string => {
  const value = (body as Form | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
};

/** Where to go after signing in: a dashboard page, never another site. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(ui\/[^\\]*)?$/.test(next) && !next.startsWith('//') ? next : '/';
}

function message(err: unknown): string {
  return isCascadenceError(err) ? err.message : (rootMessage(err).split('\n')[0] ?? 'unexpected error');
}

function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('content-type', 'text/html; charset=utf-8')
    .send(body);
}

const secure = (request: FastifyRequest): boolean => request.protocol === 'https';

/** The dashboard's routes; register at the root of a server with @fastify/cookie and helmet. */
export const dashboardRoutes: FastifyPluginAsync<ApiDeps> = async (app: FastifyInstance, deps: ApiDeps) => {
  // The server registers both for the whole app; on a bare instance the dashboard brings its own.
  if (!app.hasRequestDecorator('cookies')) await app.register((await import('@fastify/cookie')).default);
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    await app.register((await import('@fastify/formbody')).default);
  }

  const secret = sessionSecretOf(deps);
  const services: DashboardDeps = { backend: deps.backend, config: deps.config, registry: deps.registry };

  const pageOf = (caller: Extract<Caller, { identity: Identity }>): PageContext => ({
    userHash: caller.identity.userHash,
    groupHash: caller.identity.groupHash,
    session: caller.via === 'session',
    ...(caller.via === 'session' ? { csrf: csrfToken(secret, 'session', caller.session) } : {}),
  });

  const showLogin = (request: FastifyRequest, reply: FastifyReply, status: number, next: string, error?: string) => {
    const nonce = newLoginNonce();
    reply.setCookie(LOGIN_COOKIE, nonce, {
      httpOnly: true,
      sameSite: 'strict',
      secure: secure(request),
      path: '/login',
      maxAge: LOGIN_FORM_TTL_S,
    });
    return sendHtml(
      reply,
      status,
      loginPage({
        needsToken: Boolean(deps.apiToken),
        csrf: csrfToken(secret, 'login', nonce),
        next,
        ...(error ? { error } : {}),
      }),
    );
  };

  /** The caller of a page, or undefined after answering (the sign-in page, or a refusal). */
  const pageCaller = (request: FastifyRequest, reply: FastifyReply) => {
    const caller = callerOf(request, deps, secret);
    if (caller.via === 'session' || caller.via === 'headers') return caller;
    if (caller.via === 'refused') {
      void sendHtml(reply, caller.status, errorPage('Not allowed', caller.message));
      return undefined;
    }
    void reply.redirect(`/login?next=${encodeURIComponent(safeNext(request.url.split('?')[0]))}`, 303);
    return undefined;
  };

  /** The caller of a form POST, or undefined after refusing it (not signed in, cross-site, bad CSRF token). */
  const formCaller = (request: FastifyRequest, reply: FastifyReply) => {
    const caller = callerOf(request, deps, secret);
    if (caller.via === 'refused') {
      void sendHtml(reply, caller.status, errorPage('Not allowed', caller.message));
      return undefined;
    }
    if (caller.via === 'none') {
      void sendHtml(reply, 401, errorPage('Not signed in', 'sign in first'));
      return undefined;
    }
    if (caller.via === 'session') {
      if (crossOrigin(request) || !validCsrf(secret, 'session', caller.session, field(request.body, CSRF_FIELD))) {
        void sendHtml(
          reply,
          403,
          errorPage(
            'Refused',
            'this form did not come from this dashboard (missing or wrong CSRF token)',
            pageOf(caller),
          ),
        );
        return undefined;
      }
    }
    return caller;
  };

  app.get('/assets/dashboard.css', { config: PUBLIC }, (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'no-cache').send(DASHBOARD_CSS),
  );
  app.get('/assets/dashboard.js', { config: PUBLIC }, (_request, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(DASHBOARD_JS),
  );

  app.get<{ Querystring: { next?: string } }>('/login', { config: PUBLIC }, (request, reply) => {
    const caller = callerOf(request, deps, secret);
    if (caller.via === 'session') return reply.redirect(safeNext(request.query.next), 303);
    return showLogin(request, reply, 200, safeNext(request.query.next));
  });

  app.post('/login', { config: PUBLIC }, (request, reply) => {
    const next = safeNext(field(request.body, 'next'));
    if (
      crossOrigin(request) ||
      !validCsrf(secret, 'login', request.cookies[LOGIN_COOKIE], field(request.body, CSRF_FIELD))
    ) {
      return showLogin(request, reply, 403, next, 'The sign-in form expired or came from another site; try again.');
    }
    if (deps.apiToken && !sameSecret(field(request.body, 'token'), deps.apiToken)) {
      return showLogin(request, reply, 401, next, 'Wrong token.');
    }
    const user = field(request.body, 'user_id');
    const group = field(request.body, 'group_id');
    if (!user || !group) return showLogin(request, reply, 400, next, 'A user id and a group id are required.');
    const identity = {
      userHash: hashId(user, deps.config.hashSecret),
      groupHash: hashId(group, deps.config.hashSecret),
    };
    reply.clearCookie(LOGIN_COOKIE, { path: '/login' });
    reply.setCookie(SESSION_COOKIE, createSession(secret, identity), {
      httpOnly: true,
      sameSite: 'strict',
      secure: secure(request),
      path: '/',
      maxAge: SESSION_TTL_MS / 1000,
    });
    return reply.redirect(next, 303);
  });

  app.post('/logout', { config: PUBLIC }, (request, reply) => {
    if (!formCaller(request, reply)) return reply;
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  app.get<{ Querystring: { done?: string; task?: string } }>('/', { config: PUBLIC }, async (request, reply) => {
    const caller = pageCaller(request, reply);
    if (!caller) return reply;
    const page = pageOf(caller);
    try {
      await followPlugins(deps);
      const overview = await dashboardOverview(services, caller.identity);
      const { done, task } = request.query;
      // Only known verbs and registered task names are echoed back.
      const notice =
        done && task && Object.prototype.hasOwnProperty.call(DONE, done) && deps.registry.has(task)
          ? `${DONE[done]} ${task}.`
          : undefined;
      return sendHtml(reply, 200, overviewPage(overview, page, notice));
    } catch (err) {
      const code = isCascadenceError(err) ? err.code : undefined;
      return sendHtml(reply, httpStatusFor(code), errorPage('The dashboard could not be read', message(err), page));
    }
  });

  app.post<{ Params: { name: string; action: string } }>(
    '/ui/tasks/:name/:action',
    { config: PUBLIC },
    async (request, reply) => {
      const caller = formCaller(request, reply);
      if (!caller) return reply;
      const { name, action } = request.params;
      if (!(TASK_ACTIONS as readonly string[]).includes(action)) {
        return sendHtml(reply, 404, errorPage('Not found', `no action ${action}`, pageOf(caller)));
      }
      const actor = { userHash: caller.identity.userHash, groupHash: caller.identity.groupHash };
      try {
        let done: string;
        const verb = action as TaskAction;
        if (verb === 'pause' || verb === 'resume') {
          // Like `task pause NAME`: the caller's group's running run if there is one, else the task.
          const target = await setTaskPaused(
            deps.backend,
            name,
            verb === 'pause',
            { groupHash: caller.identity.groupHash },
            actor,
          );
          const past = verb === 'pause' ? 'paused' : 'resumed';
          done = !target.changed ? 'unchanged' : target.target === 'run' ? `${past}-run` : past;
        } else {
          await setTaskEnabled(deps.backend, name, verb === 'enable', actor);
          done = verb === 'enable' ? 'enabled' : 'disabled';
        }
        if (caller.via === 'headers') return reply.send({ task: name, done });
        return reply.redirect(`/?done=${encodeURIComponent(done)}&task=${encodeURIComponent(name)}`, 303);
      } catch (err) {
        const code = isCascadenceError(err) ? err.code : undefined;
        return sendHtml(
          reply,
          httpStatusFor(code),
          errorPage(`Could not ${action} ${name}`, message(err), pageOf(caller)),
        );
      }
    },
  );

  app.get<{ Params: { id: string } }>('/ui/runs/:id', { config: PUBLIC }, async (request, reply) => {
    const caller = pageCaller(request, reply);
    if (!caller) return reply;
    const page = pageOf(caller);
    try {
      await assertRunInScope(deps.backend, request.params.id, caller.identity);
      return sendHtml(reply, 200, runPage(await runDetail(services, request.params.id), page));
    } catch (err) {
      const code = isCascadenceError(err) ? err.code : undefined;
      return sendHtml(reply, httpStatusFor(code), errorPage(`Run ${request.params.id}`, message(err), page));
    }
  });

  app.get<{ Params: { id: string } }>('/ui/runs/:id/events', { config: PUBLIC }, async (request, reply) => {
    const caller = callerOf(request, deps, secret);
    if (caller.via === 'none' || caller.via === 'refused') {
      const status = caller.via === 'refused' ? caller.status : 401;
      return reply.code(status).send({ error: { code: 'UNAUTHORIZED', message: 'sign in first' } });
    }
    try {
      await assertRunInScope(deps.backend, request.params.id, caller.identity);
    } catch (err) {
      const { status, body } = errorResponse(err);
      return reply.code(status).send(body);
    }
    streamRun(request, reply, services, request.params.id);
    return reply;
  });
};

/**
 * Streams run `runRef` as server-sent events until it ends or the browser goes away: `status`
 * (`{status, running}`) first and after every change, then `end` (`{state, result}` or
 * `{state, error}`); `problem` (`{message}`) when the run cannot be followed.
 */
function streamRun(request: FastifyRequest, reply: FastifyReply, deps: DashboardDeps, runRef: string): void {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (event: string, data: unknown): void => {
    if (!out.writableEnded) out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let closed = false;
  let onClose!: () => void;
  const gone = new Promise<void>((resolve) => (onClose = resolve));
  request.raw.on('close', () => {
    closed = true;
    onClose();
  });
  // A comment line now and then keeps proxies from closing a quiet stream.
  const keepAlive = setInterval(() => !out.writableEnded && out.write(': keep-alive\n\n'), 15_000);
  let last: PipelineStatus | DagStatus | undefined;
  const finish = (): void => {
    clearInterval(keepAlive);
    if (!out.writableEnded) out.end();
  };
  void followRun(
    deps.backend,
    runRef,
    () => undefined,
    gone,
    (status) => {
      if (last === undefined || statusChanges(last, status).length > 0 || last.state !== status.state) {
        send('status', { status });
      }
      last = status;
    },
  )
    .then(async (final) => {
      if (closed) return;
      const state = final?.state ?? 'completed';
      try {
        send('end', { state, result: await resultOf(deps, runRef) });
      } catch (err) {
        send('end', { state, error: message(err) });
      }
    })
    .catch((err: unknown) => send('problem', { message: message(err) }))
    .finally(finish);
}

async function resultOf(deps: DashboardDeps, runRef: string): Promise<unknown> {
  const { requireCapability } = await import('../../backends/backend');
  return requireCapability(deps.backend, 'browse').result(runRef);
}
