/**
 * Locating (or building) the Temporal CLI binary. Node-only.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { CascadenceError } from '../core/errors';

/** Root of the installed package (works from `src/` and `dist/`). */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..');

/**
 * Path of a working `temporal` binary: `$TEMPORAL_CLI_PATH`, `temporal` on PATH, `.tools/bin/temporal`,
 * or one built by `scripts/ensure-temporal.sh` (which prints its progress to stderr).
 * @throws CascadenceError CONFIG when none can be found or built.
 */
export async function ensureTemporalBinary(): Promise<string> {
  const script = join(PACKAGE_ROOT, 'scripts', 'ensure-temporal.sh');
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((done, fail) => {
    // stderr is inherited so the (minutes-long, one-off) build shows its progress.
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', fail);
    child.on('close', (exitCode) => done({ code: exitCode, stdout: out }));
  });
  const path = stdout.trim().split('\n').pop();
  if (code !== 0 || !path) {
    throw new CascadenceError('CONFIG', 'no Temporal CLI could be found or built (see the message above)', {
      hint: 'run `npm run ensure-temporal` for details',
    });
  }
  return path;
}
