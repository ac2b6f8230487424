/**
 * D0tTinoTask in command mode against a real executable (a script in a temp folder, named by the
 * `command` option), its prompt and options; API mode against a real server is in the integration tests.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageContext } from '../../../../src/core';
import { D0tTinoTask, type D0tTinoInput } from '../../../../src/plugins/builtin';

let dir = '';
let fake = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascadence-d0ttino-unit-'));
  fake = join(dir, 'fake-d0tTino');
  // Prints its arguments as JSON, padded, so trimming and argument passing both show.
  writeFileSync(fake, `#!${process.execPath}\nconsole.log('  ' + JSON.stringify(process.argv.slice(2)) + '  ');\n`);
  chmodSync(fake, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(input: D0tTinoInput): StageContext<D0tTinoInput> {
  return {
    task: 'd0tTino',
    runId: 'r1',
    userHash: 'u'.repeat(64),
    groupHash: 'g'.repeat(64),
    input,
    context: [],
    attempt: 1,
    signal: new AbortController().signal,
    heartbeat: () => undefined,
  };
}

describe('D0tTinoTask', () => {
  it('has the original defaults', () => {
    const task = new D0tTinoTask();
    expect(task).toMatchObject({
      prompt: 'ping',
      useApi: false,
      baseUrl: 'http://localhost:8080',
      command: 'd0tTino',
      timeoutMs: 30_000,
      kind: 'task',
    });
    expect(new D0tTinoTask('p', { baseUrl: 'http://h:1/base/', timeout: '2s' })).toMatchObject({
      baseUrl: 'http://h:1/base',
      timeoutMs: 2000,
    });
  });

  it('plans with `ai-plan PROMPT` and runs with `ai PROMPT`, output trimmed', async () => {
    const task = new D0tTinoTask('say "hi"; $(id)', { command: fake });
    await expect(task.plan(ctx(undefined))).resolves.toBe(JSON.stringify(['ai-plan', 'say "hi"; $(id)']));
    await expect(task.run(ctx(undefined))).resolves.toBe(JSON.stringify(['ai', 'say "hi"; $(id)']));
  });

  it("takes a run's prompt from its input (a string or { prompt })", async () => {
    const task = new D0tTinoTask('default', { command: fake });
    await expect(task.run(ctx('from a string'))).resolves.toBe(JSON.stringify(['ai', 'from a string']));
    await expect(task.run(ctx({ prompt: 'from an object' }))).resolves.toBe(JSON.stringify(['ai', 'from an object']));
    expect(task.promptFor({})).toBe('default');
    expect(task.promptFor('')).toBe('default');
  });

  it('names the command when the program is missing', async () => {
    const task = new D0tTinoTask('x', { command: join(dir, 'not-here') });
    await expect(task.plan(ctx(undefined))).rejects.toMatchObject({
      code: 'CONFIG',
      message: `${join(dir, 'not-here')} ai-plan: ${join(dir, 'not-here')} not found`,
    });
  });

  it('refuses a bad timeout', () => {
    expect(() => new D0tTinoTask('x', { timeout: 'soon' })).toThrow(/invalid duration/);
  });
});
