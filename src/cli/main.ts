/**
 * Programmatic entry of the `task` CLI: `await main(['run', 'example', ...])` resolves with the
 * exit code instead of exiting, so tests and embedding programs can call it.
 */
import { resolve } from 'node:path';
import { Errors, flush, run, settings } from '@oclif/core';
import { EXIT_CODES } from '../core/errors';

/** Root of the package, where oclif finds package.json and the command list. */
const ROOT = resolve(__dirname, '..', '..');

/** Runs the CLI with `argv` (without `node` and the script) and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  // Always load the compiled commands: oclif would otherwise look for TypeScript sources
  // (and warn) whenever NODE_ENV is "test" or "development".
  settings.enableAutoTranspile = false;
  try {
    await run(argv, ROOT);
    await flush();
    return EXIT_CODES.OK;
  } catch (err) {
    const oclif = (err as { oclif?: { exit?: number } }).oclif;
    if (
      err instanceof Errors.ExitError ||
      (oclif?.exit !== undefined && /EEXIT/.test(String((err as Error).message)))
    ) {
      return oclif?.exit ?? EXIT_CODES.UNEXPECTED;
    }
    // Errors before a command runs (an unknown command, a broken install) get the same one-line form.
    const message = (err as Error).message?.split('\n')[0] ?? String(err);
    process.stderr.write(`error: ${message}\n`);
    return oclif?.exit === 2 || /not found/.test(message) ? EXIT_CODES.USAGE : EXIT_CODES.UNEXPECTED;
  }
}
