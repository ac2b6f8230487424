/**
 * Hashing of user and group ids at the edge. Node-only (uses node:crypto).
 *
 * Raw ids never reach disk, events, logs or workflow histories: the CLI, the API and the
 * clients hash them here first. With a secret the hash is HMAC-SHA-256 keyed by it
 * (`CASCADENCE_HASH_SECRET`); without one it is plain SHA-256.
 */
import { createHash, createHmac } from 'node:crypto';

/** Lowercase hex HMAC-SHA-256 of `raw` keyed by `secret` (plain SHA-256 when the secret is empty). */
export function hashId(raw: string, secret: string | undefined): string {
  return secret
    ? createHmac('sha256', secret).update(raw).digest('hex')
    : createHash('sha256').update(raw).digest('hex');
}
