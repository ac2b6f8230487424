/**
 * `task events`: live events from the stream, one line each (`--json` for the raw event), for
 * people debugging a consumer; filtered by task and run; `--all` reads from the first stored
 * event. Against a real nats-server, a real worker and the built CLI.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { TemporalBackend } from '../../src/backends/temporal';
import { type NatsTransport } from '../../src/events/nats';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { validateUme } from '../conformance/events-check';
import { BIN, runCli } from '../helpers/cli';
import { NatsServer } from '../helpers/nats';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';
import { eventually } from '../conformance/pipeline-suite';

let conns: TestConnections;
let nats: NatsServer;
let transport: NatsTransport;
let backend: TemporalBackend;
let env: Awaited<ReturnType<typeof startTestWorker>>;
const subject = `cli${randomUUID().slice(0, 8)}`;
const cliEnv = (): NodeJS.ProcessEnv => ({ UME_NATS_SUBJECT: subject, UME_NATS_URL: nats.url, UME_TRANSPORT: 'nats' });

beforeAll(async () => {
  conns = await connect();
  nats = await NatsServer.start();
  transport = nats.transport(subject);
  env = await startTestWorker(conns, createDefaultRegistry(), { prefix: 'events-cli', events: transport });
  backend = env.backend;
});
afterAll(async () => {
  await env?.close();
  await transport?.close();
  await nats?.stop();
  await conns?.close();
});

/** Starts `task events ...args`; resolves once it reads, with a way to collect its lines. */
async function watch(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'events', ...args], {
    env: { ...process.env, ...cliEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes('events: reading')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`task events exited ${code}: ${stderr}`)));
  });
  await ready;
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  return {
    lines: () => stdout.split('\n').filter(Boolean),
    stderr: () => stderr,
    exited,
    stop: () => child.kill('SIGINT'),
  };
}

it('prints the live events of a task as JSON, each a valid event without raw ids', async () => {
  const watcher = await watch(['--task', 'example', '--json']);
  const raw = `raw-user-${randomUUID()}`;
  const { runId } = await backend.run({ task: 'example', userId: raw, groupId: 'g' });
  await eventually(() => watcher.lines().some((l) => l.includes('"task_run"')), 'the run outcome');
  watcher.stop();
  expect(await watcher.exited).toBe(0);
  const events = watcher.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const e of events) validateUme(e);
  expect(events.every((e) => e.run_id === runId)).toBe(true);
  expect(events).toHaveLength(21);
  expect(watcher.lines().join('\n')).not.toContain(raw);
});

it('--all reads a finished run from the start, one readable line per event, and stops at --count', async () => {
  const { runId } = await backend.run({ task: 'example', userId: 'u', groupId: 'g' });
  await eventually(() => transport.outbox.depth === 0, 'the outbox to drain');
  const watcher = await watch(['--all', '--run-id', runId, '--count', '21']);
  expect(await watcher.exited).toBe(0);
  const lines = watcher.lines();
  expect(lines).toHaveLength(21);
  expect(lines[0]).toMatch(new RegExp(`^\\S+Z  audit_record   example run=${runId}  intake started$`));
  expect(lines[1]).toMatch(/ task_spec +example run=\S+ {2}intake started$/);
  expect(lines[3]).toMatch(/ stage_update +example run=\S+ {2}intake success$/);
  expect(lines[20]).toMatch(/ task_run +example run=\S+ {2}completed in \d+ ms$/);
});

it('refuses a transport that cannot be read, in one line, exit 3', async () => {
  const res = await runCli(['events', '--transport', 'log']);
  expect(res.code).toBe(3);
  expect(res.stderr.trim().split('\n')).toHaveLength(1);
  expect(res.stderr).toContain('events cannot be read from the "log" transport');
  const bogus = await runCli(['events', '--transport', 'carrier-pigeon']);
  expect(bogus.code).toBe(3);
  expect(bogus.stderr).toContain('unknown event transport "carrier-pigeon"');
});
