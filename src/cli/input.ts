/**
 * Parsing `--input` JSON.
 */
import { CascadenceError } from '../core/errors';

/** Parses `--input` JSON. @throws CascadenceError USAGE with the parser's complaint. */
export function parseInput(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CascadenceError('USAGE', `--input is not valid JSON: ${(err as Error).message}`);
  }
}
