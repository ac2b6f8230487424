/**
 * A workflow history as searchable text. `JSON.stringify` of a fetched history writes every
 * payload's bytes as base64 (the protobuf message's own JSON form), so a raw id inside an input
 * or a result would not be found in it: here bytes are decoded as UTF-8 first.
 */
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** Plain data of `value` with every byte array as its UTF-8 text. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

/** `history` as JSON with its payloads (inputs, results, memos, search attributes, failures) readable. */
export function historyText(history: History): string {
  return JSON.stringify(plain(history));
}
