/**
 * Who is looking at the dashboard, and whether a form came from it. A browser signs in once
 * (the token when one is configured, a user id and a group id) and then carries a signed
 * session cookie holding only the ids' hashes; a script sends the bearer token and the
 * `X-User-ID` / `X-Group-ID` headers instead. Every form carries a CSRF token derived from the
 * session with HMAC and checked in constant time (the cookie is SameSite=Strict as well); the
 * sign-in form is tied to a short-lived pre-session cookie the same way. Node-only.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiDeps, Identity } from '../context';
import { readSession, sameSecret, SESSION_COOKIE } from '../session';
import { hashId } from '../../events/hash';

/** Cookie tying a sign-in form to the browser that loaded it (no session exists yet). */
export const LOGIN_COOKIE = 'cascadence_login';

/** Name of the hidden CSRF field of every dashboard form. */
export const CSRF_FIELD = 'csrf';

/**
 * The key of the dashboard's sessions: `deps.sessionSecret`, else one derived from the API token
 * and the hash secret (every server sharing them accepts the others' sessions, and changing the
 * token signs everyone out), else a random key for this process (sessions end with it).
 */
export function sessionSecretOf(deps: Pick<ApiDeps, 'sessionSecret' | 'apiToken' | 'config'>): string {
  if (deps.sessionSecret) return deps.sessionSecret;
  if (deps.apiToken) {
    return createHmac('sha256', 'cascadence-dashboard-session')
      .update(`${deps.apiToken}\0${deps.config.hashSecret}`)
      .digest('base64url');
  }
  return randomBytes(32).toString('base64url');
}

/** The CSRF token of the forms of a session (or of a sign-in form's pre-session cookie). */
export function csrfToken(secret: string, purpose: 'session' | 'login', cookieValue: string): string {
  return createHmac('sha256', secret).update(`csrf\0${purpose}\0${cookieValue}`).digest('base64url');
}

/** True when `given` is the CSRF token of `cookieValue` (constant-time comparison). */
export function validCsrf(
  secret: string,
  purpose: 'session' | 'login',
  cookieValue: string | undefined,
  given: unknown,
): boolean {
  if (!cookieValue || typeof given !== 'string' || given === '') return false;
  return sameSecret(given, csrfToken(secret, purpose, cookieValue));
}

/** A fresh pre-session value for a sign-in form. */
export function newLoginNonce(): string {
  return randomBytes(24).toString('base64url');
}

/** How a request identified itself. */
export type Caller =
  /** A signed-in browser: forms must carry the session's CSRF token. */
  | { via: 'session'; identity: Identity; session: string }
  /** A script with the identity headers (and the bearer token when one is configured). */
  | { via: 'headers'; identity: Identity }
  /** Nobody yet: show the sign-in form. */
  | { via: 'none' }
  /** A script whose headers are wrong: refuse with `status`. */
  | { via: 'refused'; status: 400 | 401; message: string };

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * Who is calling: the identity headers when a script sends any of them (all checked, the
 * bearer token too when configured), else the session cookie, else nobody.
 */
export function callerOf(request: FastifyRequest, deps: Pick<ApiDeps, 'apiToken' | 'config'>, secret: string): Caller {
  const authorization = header(request, 'authorization');
  const user = header(request, 'x-user-id');
  const group = header(request, 'x-group-id');
  if (authorization !== undefined || user !== undefined || group !== undefined) {
    if (deps.apiToken) {
      const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
      if (!match?.[1] || !sameSecret(match[1].trim(), deps.apiToken)) {
        return { via: 'refused', status: 401, message: 'a valid bearer token is required' };
      }
    }
    if (user === undefined) return { via: 'refused', status: 400, message: 'the X-User-ID header is required' };
    if (group === undefined) return { via: 'refused', status: 400, message: 'the X-Group-ID header is required' };
    return {
      via: 'headers',
      identity: { userHash: hashId(user, deps.config.hashSecret), groupHash: hashId(group, deps.config.hashSecret) },
    };
  }
  const session = request.cookies?.[SESSION_COOKIE];
  const identity = readSession(secret, session);
  if (identity && session) return { via: 'session', identity, session };
  return { via: 'none' };
}

/**
 * True when a form POST came from another site: the browser's `Sec-Fetch-Site` says so, or its
 * `Origin` names a different host than the request's own. An `Origin` of `null` (what a page
 * served with `Referrer-Policy: no-referrer` sends for its own forms) decides nothing; the CSRF
 * token and the SameSite=Strict cookie still do.
 */
export function crossOrigin(request: FastifyRequest): boolean {
  const site = header(request, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = header(request, 'origin');
  if (origin === undefined || origin === 'null') return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}
