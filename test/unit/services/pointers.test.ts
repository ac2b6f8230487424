import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PointerTask } from '../../../src/core/kinds';
import type { StageContext } from '../../../src/core/task';
import { MemoryAuditStore } from '../../../src/events/audit-store';
import { MemoryTransport, umeEventsOf } from '../../../src/events/bus';
import { hashId } from '../../../src/events/hash';
import { addIdea } from '../../../src/services/ideas';
import {
  addPointer,
  applyPointerMessage,
  parsePointerUpdate,
  pointerEvent,
  receivePointer,
  sendPointers,
} from '../../../src/services/pointers';
import { IdeaStore } from '../../../src/stores/idea-store';
import { PointerStore } from '../../../src/stores/pointer-store';
import { validateUme } from '../../conformance/events-check';

const SECRET = 's3cret';
const alice = hashId('alice', SECRET);
const store = (): PointerStore => new PointerStore(join(mkdtempSync(join(tmpdir(), 'cascadence-ps-')), 'p.yml'));
const raw = (seq = 1): { subject: string; seq: number; text: string } => ({
  subject: 'cascadence.pointer.demo',
  seq,
  text: '',
});

describe('pointer service', () => {
  it('adds a hashed pointer once and sends its valid event only when it is new', async () => {
    const bus = new MemoryTransport();
    const deps = { store: store(), bus, hashSecret: SECRET };
    const first = await addPointer(deps, { task: 'demo', userId: 'alice', runId: 'run42', groupId: 'family' });
    expect(first).toMatchObject({ added: true, sent: true });
    expect(first.pointer).toEqual({ run_id: 'run42', user_hash: alice, group_hash: hashId('family', SECRET) });
    expect((await addPointer(deps, { task: 'demo', userId: 'alice', runId: 'run42', groupId: 'family' })).sent).toBe(
      false,
    );
    const events = bus.events.flatMap(umeEventsOf);
    expect(events).toHaveLength(1);
    validateUme(events[0] as unknown as Record<string, unknown>);
    expect(JSON.stringify(events)).not.toMatch(/alice|family/);
    expect(events[0]).toMatchObject({ event_type: 'pointer_update', task: 'demo', pointer_run_id: 'run42' });
  });

  it('stores without a transport', async () => {
    const deps = { store: store(), hashSecret: SECRET };
    expect(await addPointer(deps, { task: 'demo', userId: 'alice', runId: 'r' })).toMatchObject({
      added: true,
      sent: false,
    });
    expect(deps.store.list('demo')).toHaveLength(1);
  });

  it('sends one pointer or every stored one, each with a stable event id, and needs a transport', async () => {
    const bus = new MemoryTransport();
    const deps = { store: store(), bus, hashSecret: SECRET };
    await deps.store.add('demo', { run_id: 'a', user_hash: alice });
    await deps.store.add('demo', { run_id: 'b', user_hash: alice });
    const all = await sendPointers(deps, { task: 'demo' });
    expect(all.map((e) => e.pointer_run_id)).toEqual(['a', 'b']);
    const one = await sendPointers(deps, { task: 'demo', userId: 'alice', runId: 'a' });
    expect(one[0]?.event_id).toBe(all[0]?.event_id);
    expect(deps.store.list('demo')).toHaveLength(2);
    await expect(sendPointers(deps, { task: 'demo', userId: 'alice' })).rejects.toThrow(/both USER_ID and RUN_ID/);
    await expect(sendPointers({ ...deps, bus: undefined }, { task: 'demo' })).rejects.toThrow(/no event transport/);
  });

  it('receives a pointer without re-emitting it', async () => {
    const s = store();
    expect(await receivePointer(s, { task: 'demo', run_id: 'r', user_hash: alice })).toBe(true);
    expect(await receivePointer(s, { task: 'demo', run_id: 'r', user_hash: alice })).toBe(false);
    await expect(receivePointer(s, { task: 'bad name', run_id: 'r', user_hash: alice })).rejects.toThrow(/task name/);
  });

  it('parses only valid pointer updates', () => {
    const good = pointerEvent('demo', { run_id: 'r', user_hash: alice });
    expect(parsePointerUpdate(JSON.parse(JSON.stringify(good)))).toEqual(good);
    for (const bad of [
      null,
      'text',
      { ...good, event_type: 'idea_seed' },
      { ...good, user_hash: 'alice' },
      { ...good, user_id: 'alice' },
      { ...good, pointer_run_id: '' },
      { ...good, task: '../x' },
      { ...good, schema_version: 2 },
    ]) {
      expect(() => parsePointerUpdate(bad)).toThrow(/not a pointer update/);
    }
  });
});

describe('applyPointerMessage (the pointer-sync loop)', () => {
  it('applies, audits and re-broadcasts only what is new; audits and skips a bad message', async () => {
    const audit = new MemoryAuditStore();
    const rebroadcast = new MemoryTransport();
    const deps = { store: store(), audit, rebroadcast };
    const event = pointerEvent('demo', { run_id: 'run42', user_hash: alice });
    expect(await applyPointerMessage(deps, event, raw(1))).toMatchObject({ status: 'stored', rebroadcast: true });
    expect(await applyPointerMessage(deps, event, raw(2))).toMatchObject({ status: 'duplicate', rebroadcast: false });
    expect(await applyPointerMessage(deps, undefined, raw(3))).toMatchObject({ status: 'skipped' });
    expect(await applyPointerMessage(deps, { ...event, user_hash: 'alice' }, raw(4))).toMatchObject({
      status: 'skipped',
    });
    expect(deps.store.list('demo')).toEqual([{ run_id: 'run42', user_hash: alice }]);
    expect(rebroadcast.events).toEqual([{ type: 'ume', event }]);
    const trail = audit.records.map((r) => [r.task, r.stage, r.status, r.reason]);
    expect(trail).toEqual([
      ['demo', 'task', 'success', 'pointer_sync: stored run run42, re-broadcast'],
      ['demo', 'task', 'success', 'pointer_sync: already stored run run42'],
      ['pointer-sync', 'task', 'error', 'pointer_sync: cascadence.pointer.demo#3: not a pointer update: not JSON'],
      [
        'demo',
        'task',
        'error',
        'pointer_sync: cascadence.pointer.demo#4: not a pointer update: user_hash is not a 64-hex hash',
      ],
    ]);
    expect(JSON.stringify(audit.records)).not.toContain('"alice"');
  });

  it('stops on a store it cannot write, after auditing the error', async () => {
    const audit = new MemoryAuditStore();
    const s = store();
    writeFileSync(s.path, 'nope: [\n');
    const event = pointerEvent('demo', { run_id: 'run42', user_hash: alice });
    await expect(applyPointerMessage({ store: s, audit }, event, raw())).rejects.toThrow(/corrupt/);
    expect(audit.records[0]).toMatchObject({ task: 'demo', status: 'error' });
  });
});

describe('PointerTask', () => {
  class Demo extends PointerTask {}
  const ctx = { task: 'demo' } as StageContext;

  it('runs to the pointers of its registered name', async () => {
    const s = store();
    await s.add('demo', { run_id: 'r', user_hash: alice });
    await expect(new Demo(s).run(ctx)).resolves.toEqual([{ run_id: 'r', user_hash: alice }]);
    expect(new Demo(s).kind).toBe('pointer');
  });

  it('says so when it has no pointer store', async () => {
    await expect(new Demo().run(ctx)).rejects.toThrow(/pointer task demo has no pointer store/);
  });
});

describe('idea service', () => {
  it('stores an idea with or without a transport and sends a valid event without raw ids', async () => {
    const ideas = new IdeaStore(join(mkdtempSync(join(tmpdir(), 'cascadence-is-')), 'ideas.yml'));
    const stored = await addIdea({ store: ideas, hashSecret: SECRET }, { text: 'trip', userId: 'alice' });
    expect(stored.sent).toBe(false);
    const bus = new MemoryTransport();
    const sent = await addIdea(
      { store: ideas, bus, hashSecret: SECRET },
      { text: 'trip', userId: 'alice', groupId: 'g' },
    );
    expect(sent.sent).toBe(true);
    expect(ideas.list().map((s) => s.user_hash)).toEqual([alice, alice]);
    const [event] = bus.events.flatMap(umeEventsOf);
    validateUme(event as unknown as Record<string, unknown>);
    expect(event).toMatchObject({ event_type: 'idea_seed', text: 'trip', user_hash: alice });
    expect(JSON.stringify(event)).not.toMatch(/alice|"g"/);
    await expect(addIdea({ store: ideas, hashSecret: SECRET }, { text: '  ' })).rejects.toThrow(/needs some text/);
  });
});
