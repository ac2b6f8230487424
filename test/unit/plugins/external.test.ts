/**
 * runCommand: real subprocesses (this Node binary with small scripts), argument arrays without a
 * shell, stdin, and each failure as a CascadenceError naming the command.
 */
import { isCascadenceError, type CascadenceError } from '../../../src/core/errors';
import { runCommand } from '../../../src/plugins/external';

const node = (script: string): string[] => [process.execPath, '-e', script];

async function failure(promise: Promise<unknown>): Promise<CascadenceError> {
  try {
    await promise;
  } catch (err) {
    if (isCascadenceError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('runCommand', () => {
  it('passes arguments as they are (no shell) and feeds stdin', async () => {
    const argv = [
      ...node('process.stdin.pipe(process.stdout); process.stderr.write(JSON.stringify(process.argv.slice(1)))'),
      '$(id)',
      'a b; c',
    ];
    const out = await runCommand(argv, 'from stdin', { label: 'echo' });
    expect(out).toEqual({ stdout: 'from stdin', stderr: JSON.stringify(['$(id)', 'a b; c']) });
  });

  it('reports a missing program as CONFIG, naming the command', async () => {
    const err = await failure(runCommand(['cascadence-no-such-program', 'x'], undefined, { label: 'thing x' }));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toBe('thing x: cascadence-no-such-program not found');
    expect(err.hint).toMatch(/PATH/);
  });

  it('reports a non-zero exit with the last line of stderr', async () => {
    const err = await failure(
      runCommand(node('console.error("first"); console.error("the reason"); process.exit(4)'), undefined, {
        label: 'tool run',
      }),
    );
    expect(err.code).toBe('STAGE_FAILED');
    expect(err.message).toBe('tool run exited with status 4: the reason');
  });

  it('stops a command at its timeout', async () => {
    const started = Date.now();
    const err = await failure(
      runCommand(node('setTimeout(() => {}, 30000)'), undefined, { label: 'slow', timeoutMs: 300 }),
    );
    expect(err.message).toBe('slow timed out after 0.3s');
    expect(err.code).toBe('STAGE_FAILED');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops a command when the stage is cancelled', async () => {
    const controller = new AbortController();
    const pending = runCommand(node('setTimeout(() => {}, 30000)'), undefined, {
      label: 'long',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const err = await failure(pending);
    expect(err.code).toBe('CANCELLED');
    expect(err.message).toBe('long: cancelled');
  });

  it('does not fail when the program ignores its stdin', async () => {
    const out = await runCommand(node('process.stdout.write("ok")'), 'x'.repeat(1 << 20), { label: 'quiet' });
    expect(out.stdout).toBe('ok');
  });
});
