/**
 * The cron and dag backends beyond the shared conformance suite: schedules.yml holds hashed ids
 * only, survives a new process, rejects an invalid expression before the file changes, and
 * loses nothing to concurrent writers; dag runs prerequisites once each and refuses cycles.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CronBackend } from '../../../src/backends/cron';
import { TaskStateStore } from '../../../src/runtime/task-state';
import { isCascadenceError } from '../../../src/core/errors';
import type { Task } from '../../../src/core';
import { MemoryAuditStore } from '../../../src/events/audit-store';
import { TaskRegistry } from '../../../src/plugins/registry';
import { ScheduleStore } from '../../../src/schedules/store';

function backend(dir: string, registry: TaskRegistry, withDependencies = false): CronBackend {
  return new CronBackend({
    registry,
    state: new TaskStateStore(join(dir, 'state.json')),
    hashSecret: 'k',
    audit: new MemoryAuditStore(),
    schedulesPath: join(dir, 'schedules.yml'),
    timezone: 'UTC',
    withDependencies,
  });
}

const calls: string[] = [];
const recorder = (name: string, dependsOn: string[] = []): Task => ({
  dependsOn,
  run: () => {
    calls.push(name);
    return name;
  },
});

it('keeps schedules in schedules.yml with hashed ids only, readable by a new process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-cron-'));
  const registry = new TaskRegistry().register('a', recorder('a'));
  await backend(dir, registry).schedule({
    task: 'a',
    cron: '*/5 * * * *',
    userId: 'alice@example.com',
    groupId: 'team-secret',
  });
  const text = readFileSync(join(dir, 'schedules.yml'), 'utf8');
  expect(text).not.toContain('alice@example.com');
  expect(text).not.toContain('team-secret');
  const again = await backend(dir, registry).schedules();
  expect(again).toEqual([expect.objectContaining({ name: 'a', cron: '*/5 * * * *', paused: false })]);
});

it('rejects an invalid expression before schedules.yml changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-cron-'));
  const registry = new TaskRegistry().register('a', recorder('a'));
  const b = backend(dir, registry);
  await b.schedule({ task: 'a', cron: '0 1 * * *', userId: 'u', groupId: 'g' });
  const digest = (): string =>
    createHash('sha256')
      .update(readFileSync(join(dir, 'schedules.yml')))
      .digest('hex');
  const before = digest();
  await expect(b.schedule({ task: 'a', cron: '0 1 * * 9', userId: 'u', groupId: 'g' })).rejects.toMatchObject({
    code: 'VALIDATION',
    message: expect.stringMatching(/day of week "9"/),
  });
  expect(digest()).toBe(before);
});

it('loses no schedule to concurrent writers in separate processes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-cron-'));
  const path = join(dir, 'schedules.yml');
  const store = require.resolve('../../../src/schedules/store');
  const writers = Array.from({ length: 6 }, (_v, w) =>
    promisify(execFile)(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-e',
        `const { ScheduleStore } = require(${JSON.stringify(store)});
         const s = new ScheduleStore(${JSON.stringify(path)});
         (async () => { for (let i = 0; i < 5; i++) await s.put({ name: 't${w}-' + i, cron: '0 ${w} * * *', timezone: 'UTC', userHash: 'u', groupHash: 'g', overlap: 'skip', paused: false }); })()
           .catch((e) => { console.error(e); process.exit(1); });`,
      ],
      { cwd: join(__dirname, '..', '..', '..') },
    ),
  );
  await Promise.all(writers);
  const names = new ScheduleStore(path).read().map((e) => e.name);
  expect(names).toHaveLength(30);
  expect(new Set(names).size).toBe(30);
  expect(existsSync(`${path}.lock`)).toBe(false);
}, 60_000);

it('dag: runs each prerequisite once, in dependency order, then the task', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-dag-'));
  calls.length = 0;
  const registry = new TaskRegistry()
    .register('extract', recorder('extract'))
    .register('transform', recorder('transform', ['extract']))
    .register('enrich', recorder('enrich', ['extract']))
    .register('load', recorder('load', ['transform', 'enrich']));
  const outcome = await backend(dir, registry, true).run({ task: 'load', userId: 'u', groupId: 'g' });
  expect(outcome.result).toBe('load');
  expect(calls).toEqual(['extract', 'transform', 'enrich', 'load']);
});

it('dag: refuses a cycle before anything runs, naming the cycle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-dag-'));
  calls.length = 0;
  const registry = new TaskRegistry()
    .register('a', recorder('a', ['b']))
    .register('b', recorder('b', ['c']))
    .register('c', recorder('c', ['a']));
  let err: unknown;
  try {
    await backend(dir, registry, true).run({ task: 'a', userId: 'u', groupId: 'g' });
  } catch (e) {
    err = e;
  }
  expect(isCascadenceError(err) && err.code).toBe('VALIDATION');
  expect((err as Error).message).toBe('cycle: a -> b -> c -> a');
  expect(calls).toEqual([]);
});

it('trigger runs the schedule now and records its last run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-cron-'));
  calls.length = 0;
  const registry = new TaskRegistry().register('a', recorder('a'));
  const b = backend(dir, registry);
  await b.schedule({ task: 'a', cron: '0 0 1 1 *', userId: 'u', groupId: 'g' });
  await b.scheduleAction('a', 'trigger');
  expect(calls).toEqual(['a']);
  const [info] = await b.schedules();
  expect(info?.lastRun).toMatchObject({ status: 'completed' });
  await b.scheduleAction('a', 'pause');
  expect((await b.schedules())[0]).toMatchObject({ paused: true, nextRuns: [] });
});

describe('a schedules.yml the original Cascadence wrote', () => {
  const ORIGINAL = [
    '# written by the original Cascadence',
    'example:',
    '  expr: "*/5 * * * *"',
    '  user_id: alice',
    '  group_id: team-a',
    '  recurrence: {cron: "*/5 * * * *", note: every five minutes}',
    '  deps: [prep]',
    'legacy:',
    '  expr: "0 9 * * *"',
    '  user_hash: bob # an older version kept plaintext here',
    '  group_hash: ops',
    'calendar:',
    '  calendar_event: {node: evt1, poll: 600, user_id: carol, group_id: ops}',
    '  input: {city: Paris}',
    '',
  ].join('\n');
  const hash = (id: string): string => createHash('sha256').update(id).digest('hex');
  const hmac = (id: string): string => createHmac('sha256', 'k').update(id).digest('hex');

  it('is read with its plaintext ids hashed and rewritten once with hashes only, every entry and key kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-original-'));
    const path = join(dir, 'schedules.yml');
    writeFileSync(path, ORIGINAL);
    const notices: string[] = [];
    const store = new ScheduleStore(path, 'k', (line) => notices.push(line));

    const entries = store.read();
    expect(entries.map((e) => e.name)).toEqual(['example', 'legacy', 'calendar']);
    expect(entries[0]).toMatchObject({
      userHash: hmac('alice'),
      groupHash: hmac('team-a'),
      recurrence: { cron: '*/5 * * * *', note: 'every five minutes' },
    });
    expect(entries[1]).toMatchObject({ userHash: hmac('bob'), groupHash: hmac('ops') });
    expect(entries[2]).toMatchObject({ userHash: hmac('carol'), groupHash: hmac('ops'), input: { city: 'Paris' } });

    await store.migrate();
    const text = readFileSync(path, 'utf8');
    for (const raw of ['alice', 'team-a', 'bob', 'carol']) expect(text).not.toMatch(new RegExp(`\\b${raw}\\b`));
    expect(text).not.toContain(hash('alice')); // keyed by the secret, not plain SHA-256
    for (const kept of [
      '# written by the original Cascadence',
      'deps: [ prep ]',
      'calendar_event:',
      'node: evt1',
      'poll: 600',
      'city: Paris',
      'note: every five minutes',
    ]) {
      expect(text).toContain(kept);
    }
    expect(notices).toEqual([`${path}: 6 plaintext id(s) replaced by their hashes; the file now holds hashes only`]);
    // Read again: the same schedules, nothing left to migrate, nothing said.
    expect(new ScheduleStore(path, 'k', (line) => notices.push(line)).read()).toEqual(entries);
    await store.migrate();
    expect(notices).toHaveLength(1);
  });

  it('runs its schedules with the hashed ids, and lists the structured recurrence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascadence-original-'));
    writeFileSync(join(dir, 'schedules.yml'), ORIGINAL);
    const registry = new TaskRegistry().register('example', { run: (ctx) => ctx.userHash });
    const b = backend(dir, registry);
    const listed = await b.schedules();
    expect(listed.find((s) => s.name === 'example')?.recurrence).toEqual({
      cron: '*/5 * * * *',
      note: 'every five minutes',
    });
    const entry = b.scheduleStore.get('example');
    expect(entry).toBeDefined();
    expect((await b.runScheduled(entry as NonNullable<typeof entry>)).result).toBe(hmac('alice'));
    await b.scheduleStore.migrate();
    await b.close();
  });
});
