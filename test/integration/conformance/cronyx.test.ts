/**
 * The cronyx backend against both real plugin servers (built here with `go build` and `cargo
 * build`): the backend conformance suite, the CLI, and the errors of an unreachable or silent
 * server.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CronyxBackend } from '../../../src/backends/cronyx';
import { TaskStateStore } from '../../../src/runtime/task-state';
import { defaultConfig } from '../../../src/config/config';
import { freePort } from '../../../src/dev/dev-server';
import { createDefaultRegistry } from '../../../src/plugins/builtin';
import { backendConformance } from '../../conformance/backend-suite';
import { runCli } from '../../helpers/cli';
import { buildPlugin, startPlugin, type PluginName, type RunningPlugin } from '../../helpers/cronyx';

jest.setTimeout(600_000);

function cronyx(url: string, timeoutSeconds = 5, attempts?: number): CronyxBackend {
  return new CronyxBackend({
    registry: createDefaultRegistry(),
    state: new TaskStateStore(join(tmpdir(), `cascadence-state-${randomUUID()}.json`)),
    hashSecret: 'conformance',
    config: { ...defaultConfig(), cronyxBaseUrl: url, cronyxTimeout: timeoutSeconds },
    ...(attempts === undefined ? {} : { attempts, backoffMs: 50 }),
  });
}

for (const plugin of ['go', 'rust'] as PluginName[]) {
  describe(`${plugin} plugin`, () => {
    let server: RunningPlugin;
    beforeAll(async () => {
      server = await startPlugin(await buildPlugin(plugin));
    });
    afterAll(async () => {
      await server?.stop();
    });

    backendConformance(`cronyx (${plugin})`, async () => ({
      backend: cronyx(server.url),
      task: 'word-count',
      input: { text: 'hello wide\nworld' },
      expected: { words: 3, lines: 2, chars: 16 },
    }));

    it('task run --backend cronyx prints the job result; a bad input is exit 2 with the server’s reason', async () => {
      const env = { CRONYX_BASE_URL: server.url, CASCADENCE_STATE_PATH: join(tmpdir(), `s-${randomUUID()}.json`) };
      const ok = await runCli(
        ['run', 'sha256', '--backend', 'cronyx', '--user-id', 'u', '--group-id', 'g', '--input', '{"text":"abc"}'],
        env,
      );
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toMatch(
        /^run-id\t\S+\nresult\t\{"hex":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"\}\n$/,
      );
      const list = await runCli(['list', '--backend', 'cronyx'], env);
      const origin = `cronyx:${env.CRONYX_BASE_URL.replace(/\/+$/, '')}`;
      expect(list.stdout.split('\n').filter(Boolean).sort()).toEqual([
        `fib\tenabled\t${origin}`,
        `sha256\tenabled\t${origin}`,
        `word-count\tenabled\t${origin}`,
      ]);
      const bad = await runCli(
        ['run', 'fib', '--backend', 'cronyx', '--user-id', 'u', '--group-id', 'g', '--input', '{"n":91}'],
        env,
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/^error: fib failed: /);
    });
  });
}

describe('an unreachable or silent Cronyx server', () => {
  it('fails with a connection error naming the server, after its retries', async () => {
    const port = await freePort(); // nothing listens there
    const backend = cronyx(`http://127.0.0.1:${port}`, 1, 3);
    await expect(backend.run({ task: 'fib', userId: 'u', groupId: 'g', input: { n: 1 } })).rejects.toMatchObject({
      code: 'CONNECTION',
      message: `cannot reach Cronyx at http://127.0.0.1:${port} after 3 attempts: ECONNREFUSED`,
    });
  });

  it('gives up on a server that never answers after the timeout and the retries, never hanging', async () => {
    let requests = 0;
    const silent: Server = createServer(() => {
      requests++; // never answers
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const { port } = silent.address() as { port: number };
    try {
      const backend = cronyx(`http://127.0.0.1:${port}`, 1, 2);
      await expect(backend.list()).rejects.toMatchObject({
        code: 'CONNECTION',
        message: expect.stringMatching(/after 2 attempts: no answer within 1s$/),
      });
      expect(requests).toBe(2);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('the CLI reports it in one line with exit 4', async () => {
    const port = await freePort();
    const res = await runCli(['run', 'fib', '--backend', 'cronyx', '--user-id', 'u', '--group-id', 'g'], {
      CRONYX_BASE_URL: `http://127.0.0.1:${port}`,
      CRONYX_TIMEOUT: '1',
    });
    expect(res.code).toBe(4);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(
      new RegExp(`^error: cannot reach Cronyx at http://127\\.0\\.0\\.1:${port} after 3 attempts: ECONNREFUSED`),
    );
  });

  it('a missing CRONYX_BASE_URL is a configuration error, exit 3', async () => {
    const res = await runCli(['list', '--backend', 'cronyx'], { CRONYX_BASE_URL: '' });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/^error: the cronyx backend needs CRONYX_BASE_URL/);
  });
});
