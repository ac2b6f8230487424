/**
 * The built `task` CLI as a subprocess, against the suite's real Temporal dev server.
 */
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { runCli } from '../helpers/cli';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

let conns: TestConnections;
beforeAll(async () => {
  conns = await connect();
});
afterAll(async () => {
  await conns.close();
});

describe('task run (temporal backend)', () => {
  it('runs the example as workflow example-<runId>, prints run-id and result, and --json', async () => {
    const queue = uniqueQueue('cli');
    const common = ['--address', serverAddress(), '--task-queue', queue, '--user-id', 'alice', '--group-id', 'team'];
    await withWorker(conns, createDefaultRegistry(), queue, async () => {
      const plain = await runCli(['run', 'example', ...common]);
      expect(plain.stderr).toBe('');
      expect(plain.code).toBe(0);
      const lines = plain.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      const runId = /^run-id\t([0-9a-f-]{36})$/.exec(lines[0] ?? '')?.[1];
      expect(runId).toBeDefined();
      expect(lines[1]).toBe('result\t{"greeting":"Hello, world!","verified":true}');

      const desc = await conns.client.workflow.getHandle(`example-${runId}`).describe();
      expect(desc.type).toBe('pipelineWorkflow');
      expect(desc.status.name).toBe('COMPLETED');

      const json = await runCli(['run', 'example', ...common, '--json', '--input', '{"name":"Ada"}']);
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as { run_id: string; result: unknown };
      expect(Object.keys(parsed).sort()).toEqual(['result', 'run_id']);
      expect(parsed.result).toEqual({ greeting: 'Hello, Ada!', verified: true });
    });
  });

  it('fails with one line naming the address, exit 4, when no server answers', async () => {
    const res = await runCli(['run', 'example', '--user-id', 'u', '--group-id', 'g', '--address', '127.0.0.1:1']);
    expect(res.code).toBe(4);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('rejects an unknown task with exit 2, listing the known ones', async () => {
    const res = await runCli(['run', 'nope', '--user-id', 'u', '--group-id', 'g', '--address', serverAddress()]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toMatch(
      /^error: unknown task "nope"; known tasks: calcom-webhook, example, github-webhook/,
    );
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--group-id', 'g'], /Missing required flag user-id/],
    [['--user-id', 'u'], /Missing required flag group-id/],
  ])('requires both ids (%j) with a usage error, exit 2', async (flags, message) => {
    const res = await runCli(['run', 'example', ...flags, '--address', serverAddress()]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('task list and help', () => {
  it('lists tasks as <name>\\t<enabled|disabled>, with the flags the server holds', async () => {
    const res = await runCli(['list', '--address', serverAddress(), '--task-queue', uniqueQueue('cli-list')]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('calcom-webhook\tenabled\tbuiltin\nexample\tenabled\tbuiltin\ngithub-webhook\tenabled\tbuiltin\n');
    const offline = await runCli(['list', '--address', '127.0.0.1:1']);
    expect(offline.code).toBe(4);
    expect(offline.stderr).toMatch(/^error: cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('--help lists the commands with descriptions, and each command has examples', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    for (const cmd of ['dev', 'list', 'run', 'worker']) expect(res.stdout).toMatch(new RegExp(`\\n  ${cmd}\\s+\\S`));
    const run = await runCli(['run', '--help']);
    expect(run.stdout).toMatch(/EXAMPLES/);
    expect(run.stdout).toMatch(/task run example --user-id alice --group-id team-a/);
  });
});

describe('usage errors from the flag parser', () => {
  it.each([
    [['run', 'example', '--user-id', 'a', '--group-id', 'b', '--input'], /^error: Flag --input expects a value/],
    [['runs', '--limit', 'abc'], /^error: Parsing --limit Expected an integer but received: abc/],
    [
      ['schedule', 'example', '0 9 * * *', '--user-id', 'u', '--group-id', 'g', '--overlap', 'sometimes'],
      /^error: Expected --overlap=sometimes to be one of/,
    ],
  ])('%j exits 2 with one line', async (args, message) => {
    const res = await runCli(args as string[]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
  });
});
