/**
 * The d0tTino task on a real worker of the suite's dev server: in command mode against a real
 * `d0tTino` executable this test puts on PATH, in API mode against a local HTTP server; and its
 * failures (non-zero exit, missing program, timeout, an error status, a server that is down),
 * each a stage error naming the command.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Task } from '../../src/core';
import { createDefaultRegistry, D0tTinoTask } from '../../src/plugins/builtin';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';

/** A stand-in for d0tTino: answers `<subcommand>: <prompt>`; prompts starting `fail` fail, `slow` hang. */
const FAKE_D0TTINO = `#!/bin/sh
case "$2" in
  fail*) echo "d0tTino: the model is unavailable" >&2; exit 3 ;;
  slow*) exec sleep 30 ;;
esac
printf '  %s: %s\\n' "$1" "$2"
`;

const PROMPT = 'plan my "weekend"; $(echo injected) & more';

interface Received {
  method: string;
  url: string;
  contentType: string;
  body: unknown;
}

let dir = '';
let savedPath: string | undefined;
let api: Server;
let apiUrl = '';
let downUrl = '';
const received: Received[] = [];
let conns: TestConnections;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

/** One attempt per stage: a failure shows at once instead of after the default retries. */
const once = <T extends Task>(task: T): T => Object.assign(task, { options: { retry: { maximumAttempts: 1 } } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cascadence-d0ttino-'));
  writeFileSync(join(dir, 'd0tTino'), FAKE_D0TTINO);
  chmodSync(join(dir, 'd0tTino'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${savedPath ?? ''}`;

  api = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as { prompt: string };
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body,
      });
      if (body.prompt.startsWith('fail')) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('model overloaded');
        return;
      }
      const what = req.url === '/d0ttino/ai-plan' ? 'plan for' : 'did';
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`  ${what} ${body.prompt}\n`);
    });
  });
  apiUrl = `${await listen(api)}/d0ttino`;
  const closed = createServer();
  downUrl = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));

  const registry = createDefaultRegistry()
    .register('d0tTino', new D0tTinoTask(PROMPT))
    .register('d0tTino-fails', once(new D0tTinoTask('fail now')))
    .register('d0tTino-missing', new D0tTinoTask('x', { command: 'd0tTino-not-installed' }))
    .register('d0tTino-slow', once(new D0tTinoTask('slow', { timeout: '500ms' })))
    .register('d0tTino-api', new D0tTinoTask('hello api', { useApi: true, baseUrl: `${apiUrl}/` }))
    .register('d0tTino-api-fails', once(new D0tTinoTask('fail', { useApi: true, baseUrl: apiUrl })))
    .register('d0tTino-api-down', once(new D0tTinoTask('x', { useApi: true, baseUrl: downUrl })));
  conns = await connect();
  worker = await startTestWorker(conns, registry, { prefix: 'd0ttino' });
});

afterAll(async () => {
  await worker?.close();
  await conns?.close();
  await new Promise((resolve) => api?.close(resolve));
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

const run = (task: string, input?: unknown) =>
  worker.backend.run({ task, userId: 'alice', groupId: 'family', ...(input === undefined ? {} : { input }) });

describe('command mode (a real d0tTino on PATH)', () => {
  it('plans with `d0tTino ai-plan PROMPT` and runs with `d0tTino ai PROMPT`, the prompt one argument', async () => {
    const { runId, result } = await run('d0tTino');
    expect(result).toBe(`ai: ${PROMPT}`);
    const records = await worker.backend.audit('d0tTino', runId);
    expect(records.find((r) => r.stage === 'plan' && r.status === 'success')?.output).toBe(
      JSON.stringify(`ai-plan: ${PROMPT}`),
    );
  });

  it("uses the run's prompt when the input gives one", async () => {
    await expect(run('d0tTino', { prompt: 'another prompt' })).resolves.toMatchObject({ result: 'ai: another prompt' });
  });

  it('fails the stage on a non-zero exit, naming the command and saying why', async () => {
    await expect(run('d0tTino-fails')).rejects.toThrow(
      /stage plan failed: d0tTino ai-plan exited with status 3: d0tTino: the model is unavailable/,
    );
  });

  it('fails the stage when the program is not installed', async () => {
    await expect(run('d0tTino-missing')).rejects.toThrow(
      /stage plan failed: d0tTino-not-installed ai-plan: d0tTino-not-installed not found/,
    );
  });

  it('stops the program at the timeout', async () => {
    await expect(run('d0tTino-slow')).rejects.toThrow(/stage plan failed: d0tTino ai-plan timed out after 0\.5s/);
  });
});

describe('API mode (a local HTTP server)', () => {
  it('POSTs {prompt} to {baseUrl}/ai-plan and /ai and uses the answers, trimmed', async () => {
    received.length = 0;
    const { runId, result } = await run('d0tTino-api');
    expect(result).toBe('did hello api');
    expect(received).toEqual([
      { method: 'POST', url: '/d0ttino/ai-plan', contentType: 'application/json', body: { prompt: 'hello api' } },
      { method: 'POST', url: '/d0ttino/ai', contentType: 'application/json', body: { prompt: 'hello api' } },
    ]);
    const records = await worker.backend.audit('d0tTino-api', runId);
    expect(records.find((r) => r.stage === 'plan' && r.status === 'success')?.output).toBe(
      JSON.stringify('plan for hello api'),
    );
  });

  it('fails the stage on an error status, naming the request', async () => {
    await expect(run('d0tTino-api-fails')).rejects.toThrow(
      new RegExp(`stage plan failed: POST ${apiUrl}/ai-plan answered 500: model overloaded`),
    );
  });

  it('fails the stage when the server is down', async () => {
    await expect(run('d0tTino-api-down')).rejects.toThrow(
      new RegExp(`stage plan failed: POST ${downUrl}/ai-plan failed: ECONNREFUSED`),
    );
  });
});
