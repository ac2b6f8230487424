import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isCascadenceError } from '../../../src/core/errors';
import { hashId } from '../../../src/events/hash';
import { PointerStore } from '../../../src/stores/pointer-store';

const alice = hashId('alice', '');
const bob = hashId('bob', '');
const family = hashId('family', '');
const dir = (): string => mkdtempSync(join(tmpdir(), 'cascadence-pointers-'));

describe('PointerStore', () => {
  it('stores pointers by task, hashes only, and reads them back in order', async () => {
    const path = join(dir(), 'nested', 'pointers.yml');
    const store = new PointerStore(path);
    expect(store.list('demo')).toEqual([]);
    expect(await store.add('demo', { run_id: 'run42', user_hash: alice })).toBe(true);
    expect(await store.add('demo', { run_id: 'run43', user_hash: bob, group_hash: family })).toBe(true);
    expect(await store.add('other', { run_id: 'r1', user_hash: alice })).toBe(true);
    expect(new PointerStore(path).list('demo')).toEqual([
      { run_id: 'run42', user_hash: alice },
      { run_id: 'run43', user_hash: bob, group_hash: family },
    ]);
    expect(store.tasks()).toEqual(['demo', 'other']);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(`user_hash: ${alice}`);
    expect(text).not.toMatch(/alice|bob|family/);
  });

  it('stores an exactly equal pointer once, also across instances, and leaves the file alone', async () => {
    const path = join(dir(), 'pointers.yml');
    await new PointerStore(path).add('demo', { run_id: 'run42', user_hash: alice });
    const mtime = statSync(path).mtimeMs;
    const again = new PointerStore(path);
    expect(await again.add('demo', { run_id: 'run42', user_hash: alice })).toBe(false);
    expect(await again.applyUpdate({ task: 'demo', run_id: 'run42', user_hash: alice })).toBe(false);
    expect(statSync(path).mtimeMs).toBe(mtime);
    // Same run, another user or group: a different pointer.
    expect(await again.add('demo', { run_id: 'run42', user_hash: bob })).toBe(true);
    expect(await again.add('demo', { run_id: 'run42', user_hash: alice, group_hash: family })).toBe(true);
    expect(again.list('demo')).toHaveLength(3);
  });

  it('filters by user hash and group hash', async () => {
    const store = new PointerStore(join(dir(), 'pointers.yml'));
    await store.add('demo', { run_id: 'a', user_hash: alice });
    await store.add('demo', { run_id: 'b', user_hash: alice, group_hash: family });
    await store.add('demo', { run_id: 'c', user_hash: bob, group_hash: family });
    const runs = (f: Parameters<PointerStore['list']>[1]): string[] => store.list('demo', f).map((p) => p.run_id);
    expect(runs({ userHash: alice })).toEqual(['a', 'b']);
    expect(runs({ groupHash: family })).toEqual(['b', 'c']);
    expect(runs({ userHash: alice, groupHash: family })).toEqual(['b']);
    expect(runs({ groupHash: '' })).toEqual(['a']);
    expect(runs({ userHash: hashId('carol', '') })).toEqual([]);
  });

  it('refuses a pointer whose user is not a hash (a raw id never reaches the file)', async () => {
    const path = join(dir(), 'pointers.yml');
    const store = new PointerStore(path);
    const err = await store.add('demo', { run_id: 'r', user_hash: 'alice' }).catch((e: unknown) => e);
    expect(isCascadenceError(err) && err.code).toBe('VALIDATION');
    await expect(store.add('demo', { run_id: '', user_hash: alice })).rejects.toThrow(/empty run_id/);
    await expect(store.add('demo', { run_id: 'r', user_hash: alice, group_hash: 'family' })).rejects.toThrow(
      /group_hash/,
    );
    expect(() => readFileSync(path)).toThrow();
  });

  it.each([
    ['not YAML', 'demo: [unclosed\n'],
    ['a list at the top', '- a\n- b\n'],
    ['pointers that are not a list', 'demo: run42\n'],
    ['a pointer without a user hash', 'demo:\n  - run_id: run42\n'],
    ['a raw user id', 'demo:\n  - run_id: run42\n    user_hash: alice\n'],
    ['an unknown key', `demo:\n  - run_id: run42\n    user_hash: ${alice}\n    user_id: alice\n`],
  ])('reports a corrupt file (%s) with its path and never overwrites it', async (_what, text) => {
    const path = join(dir(), 'pointers.yml');
    writeFileSync(path, text);
    const before = readFileSync(path);
    const store = new PointerStore(path);
    const err = await store.add('demo', { run_id: 'new', user_hash: bob }).catch((e: unknown) => e);
    expect(isCascadenceError(err) && err.code).toBe('CONFIG');
    expect((err as Error).message).toContain(`pointer store ${path} is corrupt`);
    expect(() => store.list('demo')).toThrow(path);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('reads an empty file as an empty store', async () => {
    const path = join(dir(), 'pointers.yml');
    writeFileSync(path, '');
    const store = new PointerStore(path);
    expect(store.list('demo')).toEqual([]);
    expect(await store.add('demo', { run_id: 'r', user_hash: alice })).toBe(true);
    expect(store.list('demo')).toHaveLength(1);
  });

  it('loses nothing and duplicates nothing, whatever the interleaving of two writers (merge on save)', async () => {
    const pointer = fc.record({
      task: fc.constantFrom('demo', 'other'),
      run: fc.constantFrom('r1', 'r2', 'r3', 'r4'),
      user: fc.constantFrom(alice, bob),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), pointer), { maxLength: 12 }), fc.scheduler(), async (ops, s) => {
        const path = join(dir(), 'pointers.yml');
        // Two writers, each with a stale view of the file: every add re-reads it under the lock.
        const writers = [new PointerStore(path), new PointerStore(path)];
        writers.forEach((w) => w.list('demo'));
        // The scheduler picks the order in which the adds start; they then run concurrently.
        const adds = ops.map(([second, p]) =>
          s
            .schedule(Promise.resolve(), `${second ? 'B' : 'A'} ${p.task} ${p.run}`)
            .then(() => (writers[second ? 1 : 0] as PointerStore).add(p.task, { run_id: p.run, user_hash: p.user })),
        );
        await s.waitAll();
        await Promise.all(adds);
        const expected = new Map<string, Set<string>>();
        for (const [, p] of ops) {
          const set = expected.get(p.task) ?? new Set<string>();
          set.add(`${p.run}/${p.user}`);
          expected.set(p.task, set);
        }
        const reader = new PointerStore(path);
        for (const task of ['demo', 'other']) {
          const stored = reader.list(task).map((p) => `${p.run_id}/${p.user_hash}`);
          expect(new Set(stored)).toEqual(expected.get(task) ?? new Set());
          expect(stored).toHaveLength(new Set(stored).size);
        }
      }),
      { numRuns: 25 },
    );
  });
});
