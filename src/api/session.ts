/**
 * The dashboard's session: a cookie holding the caller's hashed identity (never a raw id) and an
 * expiry, signed with HMAC-SHA-256 and checked in constant time. HttpOnly, SameSite=Strict.
 * Node-only.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Identity } from './context';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'cascadence_session';
/** How long a session lasts (12 hours). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const sign = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('base64url');

/** A session cookie value for `identity`, valid until `now + SESSION_TTL_MS`. */
export function createSession(secret: string, identity: Identity, now = Date.now()): string {
  const body = Buffer.from(
    JSON.stringify({ u: identity.userHash, g: identity.groupHash, e: now + SESSION_TTL_MS }),
  ).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

/** The identity of a session cookie value, or undefined when it is forged, malformed or expired. */
export function readSession(secret: string, value: string | undefined, now = Date.now()): Identity | undefined {
  if (!value) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0) return undefined;
  const body = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(sign(secret, body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const data = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      u?: unknown;
      g?: unknown;
      e?: unknown;
    };
    if (typeof data.u !== 'string' || typeof data.g !== 'string' || typeof data.e !== 'number' || data.e < now) {
      return undefined;
    }
    return { userHash: data.u, groupHash: data.g };
  } catch {
    return undefined;
  }
}

/** Compares two secrets in constant time (a different length is simply unequal). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHmac('sha256', 'cascadence-compare').update(given).digest();
  const b = createHmac('sha256', 'cascadence-compare').update(expected).digest();
  return timingSafeEqual(a, b);
}
