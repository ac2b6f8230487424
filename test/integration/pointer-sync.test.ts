/**
 * `task pointer-sync` keeps two instances' pointer stores in step over a real nats-server: two
 * sync processes (each its own HOME, pointer store, audit file and outbox), pointers added on
 * instance A with the built CLI, garbage on the pointer subject audited and skipped while the
 * services go on, re-broadcasting on without an echo loop, and idea seeds stored with or without
 * a transport. Every event in the stream validates and holds no raw id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { hashId } from '../../src/events/hash';
import { IdeaStore } from '../../src/stores/idea-store';
import { PointerStore } from '../../src/stores/pointer-store';
import { validateUme } from '../conformance/events-check';
import { BIN, runCli } from '../helpers/cli';
import { NatsServer } from '../helpers/nats';

const TASKS = join(__dirname, '..', 'fixtures', 'pointer-tasks', 'tasks.js');
const RAW = ['alice', 'bob', 'family'];

interface Instance {
  name: string;
  env: NodeJS.ProcessEnv;
  pointers: PointerStore;
  auditPath: string;
  sync?: { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> };
}

let nats: NatsServer;
let a: Instance;
let b: Instance;

function instance(name: string): Instance {
  const home = mkdtempSync(join(tmpdir(), `cascadence-ps-${name}-`));
  const pointersPath = join(home, 'pointers.yml');
  const auditPath = join(home, 'audit.jsonl');
  return {
    name,
    pointers: new PointerStore(pointersPath),
    auditPath,
    env: {
      HOME: home,
      CASCADENCE_CONFIG: '',
      CASCADENCE_POINTERS_PATH: pointersPath,
      CASCADENCE_IDEAS_PATH: join(home, 'ideas.yml'),
      CASCADENCE_AUDIT_PATH: auditPath,
      CASCADENCE_OUTBOX_PATH: join(home, 'outbox'),
      CASCADENCE_TASK_MODULES: TASKS,
      CASCADENCE_HASH_SECRET: 'pointer-test',
      UME_TRANSPORT: 'nats',
      UME_NATS_URL: nats.url,
      UME_BROADCAST_POINTERS: 'true',
    },
  };
}

async function startSync(i: Instance): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'pointer-sync'], {
    env: { ...process.env, ...i.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  i.sync = { child, out: () => out, err: () => err, exited };
  await until(() => err.includes('Ctrl+C to stop'), `${i.name} pointer-sync to start (${err})`);
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every message of the stream, parsed when it is JSON (the garbage one is not). */
async function streamMessages(): Promise<Array<{ subject: string; event: Record<string, unknown> | undefined }>> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('CASCADENCE');
    const out: Array<{ subject: string; event: Record<string, unknown> | undefined }> = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('CASCADENCE', { seq });
      if (!m) continue;
      let event: Record<string, unknown> | undefined;
      try {
        event = m.json<Record<string, unknown>>();
      } catch {
        event = undefined;
      }
      out.push({ subject: m.subject, event });
    }
    return out;
  } finally {
    await nc.close();
  }
}

const runs = (i: Instance): string[] => i.pointers.list('demo_pointer').map((p) => p.run_id);

beforeAll(async () => {
  nats = await NatsServer.start();
  a = instance('a');
  b = instance('b');
  await Promise.all([startSync(a), startSync(b)]);
}, 120_000);

afterAll(async () => {
  for (const i of [a, b]) {
    if (i?.sync && i.sync.child.exitCode === null) {
      i.sync.child.kill('SIGKILL');
      await i.sync.exited;
    }
  }
  await nats?.stop();
});

describe('task pointer-sync over NATS', () => {
  it('puts a pointer added on instance A into both stores, hashed, with one event however often it is re-broadcast', async () => {
    const add = await runCli(
      ['pointer-add', 'demo_pointer', 'alice', 'run42', '--group-id', 'family', '--json'],
      a.env,
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ task: 'demo_pointer', added: true, sent: true });
    await until(() => runs(b).includes('run42'), 'run42 on instance B');
    const expected = {
      run_id: 'run42',
      user_hash: hashId('alice', 'pointer-test'),
      group_hash: hashId('family', 'pointer-test'),
    };
    expect(b.pointers.list('demo_pointer')).toEqual([expected]);
    expect(a.pointers.list('demo_pointer')).toEqual([expected]);
    // B stored it (new there) and re-broadcast it; A already had it, so it sent nothing back.
    await until(() => (b.sync?.out() ?? '').includes('re-broadcast'), 'B to re-broadcast');
    await until(() => (a.sync?.out() ?? '').includes('duplicate\tdemo_pointer\trun42'), 'A to see its own pointer');
    const list = await runCli(['pointer-list', 'demo_pointer'], b.env);
    expect(list.stdout).toBe(`run42\t${expected.user_hash}\t${expected.group_hash}\n`);
  });

  it('audits and skips garbage on the pointer subject and keeps syncing', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const js = jetstream(nc);
      await js.publish('cascadence.pointer.demo_pointer', 'this is not json');
      await js.publish(
        'cascadence.pointer.demo_pointer',
        JSON.stringify({ event_type: 'pointer_update', task: 'demo_pointer', user_id: 'bob', pointer_run_id: 'x' }),
      );
    } finally {
      await nc.close();
    }
    expect((await runCli(['pointer-add', 'demo_pointer', 'bob', 'run43'], a.env)).stdout).toBe('pointer added\n');
    await until(() => runs(b).includes('run43') && runs(a).includes('run43'), 'run43 on both instances');
    expect(runs(b)).toEqual(['run42', 'run43']);
    for (const i of [a, b]) {
      expect(i.sync?.child.exitCode).toBeNull();
      await until(() => (i.sync?.out() ?? '').split('\nskipped\t').length === 3, `${i.name} to skip two messages`);
      const records = readFileSync(i.auditPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>);
      const errors = records.filter((r) => r.status === 'error');
      expect(errors.map((r) => [r.task, r.stage])).toEqual([
        ['pointer-sync', 'task'],
        ['demo_pointer', 'task'],
      ]);
      expect(errors[0]?.reason).toMatch(
        /^pointer_sync: cascadence\.pointer\.demo_pointer#\d+: not a pointer update: not JSON$/,
      );
      expect(records.filter((r) => r.status === 'success').map((r) => r.run_id)).toEqual(['run42', 'run43']);
      for (const raw of RAW) expect(JSON.stringify(records.filter((r) => r.status === 'success'))).not.toContain(raw);
    }
    const audit = await runCli(['audit', 'demo_pointer', '--backend', 'base'], b.env);
    expect(audit.stdout).toMatch(/\trun43\ttask\tsuccess\tpointer_sync: stored run run43, re-broadcast/);
  });

  it('stores an idea without a transport and sends it with NATS', async () => {
    const none = await runCli(['ai-idea', 'plan the trip', '--user-id', 'alice', '--transport', 'none'], a.env);
    expect(none.stdout).toBe('idea stored\n');
    const sent = await runCli(['ai-idea', 'plan the trip', '--user-id', 'alice', '--group-id', 'family'], a.env);
    expect(sent.stdout).toBe('idea stored and sent\n');
    const ideas = new IdeaStore(String(a.env.CASCADENCE_IDEAS_PATH)).list();
    expect(ideas.map((s) => [s.text, s.user_hash])).toEqual([
      ['plan the trip', hashId('alice', 'pointer-test')],
      ['plan the trip', hashId('alice', 'pointer-test')],
    ]);
  });

  it('leaves a stream of valid events without raw ids: one per pointer despite the re-broadcasts', async () => {
    // Give the outboxes time to send anything still queued (re-broadcasts included).
    await new Promise((r) => setTimeout(r, 2000));
    const messages = await streamMessages();
    expect(messages.filter((m) => m.event === undefined)).toHaveLength(1); // the garbage, kept by the broker
    const events = messages.flatMap((m) =>
      m.event && 'event_id' in m.event ? [m as { subject: string; event: Record<string, unknown> }] : [],
    );
    for (const m of events) validateUme(m.event);
    const pointers = events.filter((m) => m.event.event_type === 'pointer_update');
    expect(pointers.map((m) => m.event.pointer_run_id)).toEqual(['run42', 'run43']);
    expect(pointers.map((m) => m.subject)).toEqual([
      'cascadence.pointer.demo_pointer',
      'cascadence.pointer.demo_pointer',
    ]);
    const ideas = events.filter((m) => m.event.event_type === 'idea_seed');
    expect(ideas.map((m) => [m.subject, m.event.text])).toEqual([['cascadence.idea.ai-idea', 'plan the trip']]);
    const text = JSON.stringify(events);
    for (const raw of RAW) expect(text).not.toContain(`"${raw}"`);
  });

  it('stops on SIGTERM', async () => {
    for (const i of [a, b]) {
      i.sync?.child.kill('SIGTERM');
      expect(await i.sync?.exited).toBe(0);
      expect(i.sync?.err()).toContain('pointer-sync: stopped');
    }
  });
});
