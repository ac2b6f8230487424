/**
 * The built `task` CLI on the `base` backend (in process, no server), and its configuration
 * errors. Every base-backend command here is also given an address where nothing answers, to
 * show it never needs a server.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashId } from '../../src/events/hash';
import { createDefaultRegistry } from '../../src/plugins';
import { runCli, type CliResult } from '../helpers/cli';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const FIXTURE = join(__dirname, '..', 'fixtures', 'cli-tasks', 'tasks.js');
const SECRET = 'cli-base-secret';
const NOWHERE = '127.0.0.1:1';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascadence-cli-base-'));
});

/** The CLI's environment: fixture tasks, temp state and audit files, nothing inherited that matters. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    CASCADENCE_TASK_MODULES: FIXTURE,
    CASCADENCE_STATE_PATH: join(dir, 'task-state.json'),
    CASCADENCE_AUDIT_PATH: join(dir, 'audit.jsonl'),
    CASCADENCE_HASH_SECRET: SECRET,
    CASCADENCE_CONFIG: '',
    CASCADENCE_SCHEDULER: '',
    CASCADENCE_EVENTS: '',
    ...extra,
  };
}

/** `task ...args --backend base`, with no server to talk to. */
function base(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli([...args, '--backend', 'base', '--address', NOWHERE], env(extra));
}

function ok(res: CliResult): string[] {
  expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
  return res.stdout.trimEnd().split('\n');
}

function failed(res: CliResult, code: number, message: RegExp): string {
  expect({ code: res.code, stdout: res.stdout }).toEqual({ code, stdout: '' });
  const lines = res.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  return lines[0] as string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe('task run --backend base', () => {
  it('runs example in process and prints run-id and result', async () => {
    const lines = ok(await base(['run', 'example', '--user-id', 'alice', '--group-id', 'team']));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^run-id\\t${UUID}$`));
    expect(lines[1]).toBe('result\t{"greeting":"Hello, world!","verified":true}');

    const json = JSON.parse(
      ok(await base(['run', 'example', '--user-id', 'alice', '--group-id', 'team', '--json']))[0] ?? '',
    ) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['result', 'run_id']);
    expect(json.result).toEqual({ greeting: 'Hello, world!', verified: true });
  });

  it('CASCADENCE_SCHEDULER=base selects it too', async () => {
    const res = await runCli(
      ['run', 'echo-context', '--user-id', 'u', '--group-id', 'g', '--address', NOWHERE],
      env({ CASCADENCE_SCHEDULER: 'base' }),
    );
    expect(ok(res)[1]).toBe('result\t{"research":[],"plan":[],"run":[],"verify":[]}');
  });

  describe('prints the same result as on Temporal', () => {
    let conns: TestConnections;
    beforeAll(async () => {
      conns = await connect();
    });
    afterAll(async () => {
      await conns.close();
    });

    it('for example with an input', async () => {
      const args = ['run', 'example', '--user-id', 'alice', '--group-id', 'team', '--input', '{"name":"Ada"}'];
      const onBase = ok(await base(args));
      const queue = uniqueQueue('cli-base');
      const onTemporal = await withWorker(conns, createDefaultRegistry(), queue, async () =>
        ok(await runCli([...args, '--address', serverAddress(), '--task-queue', queue], env())),
      );
      expect(onBase[1]).toBe('result\t{"greeting":"Hello, Ada!","verified":true}');
      expect(onBase[1]).toBe(onTemporal[1]);
    });
  });

  it('audit --backend base shows the run’s records from the JSONL file, with hashed ids only', async () => {
    const user = `user-${randomUUID()}`;
    const group = `group-${randomUUID()}`;
    const runId = ok(await base(['run', 'example', '--user-id', user, '--group-id', group]))[0]?.split('\t')[1] ?? '';
    expect(runId).toMatch(new RegExp(`^${UUID}$`));

    const file = join(dir, 'audit.jsonl');
    expect(existsSync(file)).toBe(true);
    const stored = readFileSync(file, 'utf8');
    expect(stored).toContain(runId);
    expect(stored).not.toContain(user);
    expect(stored).not.toContain(group);

    const plain = ok(await base(['audit', 'example']));
    const expected = ['intake', 'research', 'plan', 'run', 'verify'].flatMap((s) => [
      `${runId}\t${s}\tstarted`,
      `${runId}\t${s}\tsuccess`,
    ]);
    expect(plain.map((l) => l.split('\t').slice(1, 4).join('\t'))).toEqual(expected);
    expect(plain[plain.length - 1]).toMatch(/\tverify\tsuccess\t\{"greeting":"Hello, world!","verified":true\}$/);

    const res = await base(['audit', 'example', '--run-id', runId, '--json']);
    const records = JSON.parse(ok(res)[0] ?? '') as Array<Record<string, unknown>>;
    expect(records).toHaveLength(10);
    for (const r of records) {
      expect(r).toMatchObject({
        task: 'example',
        run_id: runId,
        user_hash: hashId(user, SECRET),
        group_hash: hashId(group, SECRET),
      });
    }
    expect(res.stdout).not.toContain(user);
    expect(res.stdout).not.toContain(group);

    // A second run: audit --run-id still shows only the first one's records.
    ok(await base(['run', 'example', '--user-id', user, '--group-id', group]));
    const again = JSON.parse(ok(await base(['audit', 'example', '--run-id', runId, '--json']))[0] ?? '') as unknown[];
    expect(again).toEqual(records);
    expect(ok(await base(['audit', 'example']))).toHaveLength(20);
  });

  it('run of a failing task exits 5 in one line', async () => {
    failed(
      await base(['run', 'fails', '--user-id', 'u', '--group-id', 'g']),
      5,
      /^error: fails: stage run failed: deliberate failure$/,
    );
  });

  it('run whose precheck says no exits 6', async () => {
    failed(await base(['run', 'nope-precheck', '--user-id', 'u', '--group-id', 'g']), 6, /closed today/);
  });

  it('disable and enable work without a server', async () => {
    expect(ok(await base(['disable', 'quick']))).toEqual(['quick disabled']);
    failed(await base(['run', 'quick', '--user-id', 'u', '--group-id', 'g']), 2, /task quick is disabled/);
    expect(ok(await base(['enable', 'quick']))).toEqual(['quick enabled']);
    expect(ok(await base(['run', 'quick', '--user-id', 'u', '--group-id', 'g']))[1]).toBe(
      'result\t{"ok":true,"input":null}',
    );
  });

  it('history is not supported: exit 4, one line', async () => {
    failed(await base(['history', randomUUID()]), 4, /the base backend does not support history/);
  });
});

describe('configuration errors exit 3 in one line', () => {
  it('an unknown CASCADENCE_SCHEDULER lists the valid backends', async () => {
    const res = await runCli(
      ['run', 'example', '--user-id', 'u', '--group-id', 'g'],
      env({ CASCADENCE_SCHEDULER: 'nonsense' }),
    );
    failed(res, 3, /unknown backend "nonsense"; valid backends: temporal, base/);
    failed(await runCli(['list'], env({ CASCADENCE_SCHEDULER: 'nonsense' })), 3, /valid backends: temporal, base/);
  });

  it('an unknown --backend likewise', async () => {
    failed(
      await runCli(['list', '--backend', 'nope'], env()),
      3,
      /unknown backend "nope"; valid backends: temporal, base/,
    );
  });

  it('a --config file that is not valid YAML', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'backend: [base\n  task_queue: : :\n');
    const res = await runCli(['run', 'example', '--user-id', 'u', '--group-id', 'g', '--config', file], env());
    failed(res, 3, new RegExp(`config file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML`));
  });

  it('a --config file that does not exist', async () => {
    failed(await runCli(['list', '--config', join(dir, 'missing.yaml')], env()), 3, /does not exist/);
  });

  it('a valid --config file is used (backend: base)', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, `backend: base\ntemporal_server: ${NOWHERE}\n`);
    const res = await runCli(['run', 'quick', '--user-id', 'u', '--group-id', 'g', '--config', file], env());
    expect(ok(res)[1]).toBe('result\t{"ok":true,"input":null}');
  });
});
