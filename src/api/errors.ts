/**
 * The one error body of the HTTP API: `{error: {code, message, hint?}}` with the status the error
 * table gives the code, never a stack trace. Cascadence errors keep their code; fastify's own
 * (validation, body too large, bad JSON), the rate limiter's and gRPC's "unavailable" are given
 * the table's code for what they mean; anything else is INTERNAL without its details. Node-only.
 */
import type { FastifyError } from 'fastify';
import { httpStatusFor, isCascadenceError, type ErrorCode } from '../core/errors';

/** The body every API error answers with. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; hint?: string };
}

/** JSON Schema of {@link ErrorBody}, for the OpenAPI document. */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  description: 'An error: its code (the error table), a one-line message and maybe a hint.',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

const oneLine = (text: string): string => text.split('\n').filter(Boolean).join('; ');

/** gRPC's UNAVAILABLE (14) or a refused connection anywhere in the cause chain: the server cannot be reached. */
function unreachable(err: unknown): boolean {
  let cur: unknown = err;
  for (let i = 0; i < 10 && typeof cur === 'object' && cur !== null; i++) {
    const c = cur as { code?: unknown; name?: unknown; cause?: unknown };
    if (c.code === 14 || c.code === 'ECONNREFUSED' || c.name === 'TransportError') return true;
    cur = c.cause;
  }
  return false;
}

/** The status and body answering `err`. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  const make = (code: ErrorCode, message: string, hint?: string) => ({
    status: httpStatusFor(code),
    body: { error: { code, message: oneLine(message), ...(hint ? { hint } : {}) } },
  });
  if (isCascadenceError(err)) return make(err.code, err.message, err.hint);
  const e = err as Partial<FastifyError> & { message?: string };
  if (e.validation) return make('VALIDATION', e.message ?? 'invalid request');
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return make('PAYLOAD_TOO_LARGE', e.message ?? 'request body is too large');
  if (status === 429) return make('RATE_LIMITED', e.message ?? 'too many requests', 'wait and try again');
  if (status === 404) return make('NOT_FOUND', e.message ?? 'not found');
  if (status >= 400 && status < 500) return make('USAGE', e.message ?? 'bad request');
  if (unreachable(err)) return make('CONNECTION', 'the Temporal server cannot be reached', 'is it running?');
  return make('INTERNAL', 'internal error');
}
