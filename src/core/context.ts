/**
 * Validation of context payloads attached to running tasks. Workflow-safe.
 */
import { CascadenceError } from './errors';
import type { ContextPayload } from './task';

/** Largest note or url, in characters. */
export const MAX_CONTEXT_FIELD_LENGTH = 2048;
/** Largest payload, as JSON, in bytes (UTF-8). */
export const MAX_CONTEXT_PAYLOAD_BYTES = 3072;

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Checks a context payload: an object with `note` and/or `url`, each a string of at most
 * 2048 characters, at least one non-empty, no other keys, JSON at most 3072 bytes.
 * @throws CascadenceError CONTEXT_REJECTED naming what is wrong.
 */
export function validateContextPayload(payload: unknown): ContextPayload {
  const reject = (why: string): never => {
    throw new CascadenceError('CONTEXT_REJECTED', `context rejected: ${why}`, {
      hint: 'send { note?: string, url?: string } with at least one of them',
    });
  };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) reject('payload must be an object');
  const rec = payload as Record<string, unknown>;
  const extra = Object.keys(rec).filter((k) => k !== 'note' && k !== 'url');
  if (extra.length > 0)
    reject(`unexpected key(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}; only note and url are allowed`);
  const out: ContextPayload = {};
  for (const key of ['note', 'url'] as const) {
    const v = rec[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') reject(`${key} must be a string`);
    const s = v as string;
    if (s.length > MAX_CONTEXT_FIELD_LENGTH)
      reject(`${key} is ${s.length} characters; the limit is ${MAX_CONTEXT_FIELD_LENGTH}`);
    if (s.length > 0) out[key] = s;
  }
  if (out.note === undefined && out.url === undefined) reject('note or url is required');
  const size = utf8Length(JSON.stringify(out));
  if (size > MAX_CONTEXT_PAYLOAD_BYTES)
    reject(`payload is ${size} bytes as JSON; the limit is ${MAX_CONTEXT_PAYLOAD_BYTES}`);
  return out;
}
