/**
 * Awaiting a promise that must fail with a CascadenceError.
 */
import { isCascadenceError } from '../../src/core/errors';

/** The code and message of the CascadenceError `p` rejects with; throws if it resolves or rejects otherwise. */
export async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return { code: err.code, message: err.message };
  }
  throw new Error('expected a failure');
}
