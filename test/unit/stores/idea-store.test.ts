import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashId } from '../../../src/events/hash';
import { IdeaStore } from '../../../src/stores/idea-store';

const alice = hashId('alice', '');
const family = hashId('family', '');
const file = (): string => join(mkdtempSync(join(tmpdir(), 'cascadence-ideas-')), 'ideas.yml');

describe('IdeaStore', () => {
  it('keeps every seed, repeats included, with hashed ids and a time, and filters them', async () => {
    const path = file();
    const store = new IdeaStore(path);
    await store.add({ text: 'trip', user_hash: alice, group_hash: family });
    await store.add({ text: 'trip', user_hash: alice });
    await new IdeaStore(path).add({ text: 'anonymous' });
    const all = store.list();
    expect(all.map((s) => s.text)).toEqual(['trip', 'trip', 'anonymous']);
    expect(all.every((s) => !Number.isNaN(Date.parse(s.time)))).toBe(true);
    expect(store.list({ userHash: alice })).toHaveLength(2);
    expect(store.list({ groupHash: family })).toHaveLength(1);
    expect(store.list({ groupHash: '' }).map((s) => s.text)).toEqual(['trip', 'anonymous']);
    expect(readFileSync(path, 'utf8')).not.toContain('alice');
  });

  it('refuses an empty text or a raw id', async () => {
    const store = new IdeaStore(file());
    await expect(store.add({ text: '' })).rejects.toThrow(/empty text/);
    await expect(store.add({ text: 'x', user_hash: 'alice' })).rejects.toThrow(/user_hash is not a 64-hex hash/);
  });

  it('reports a corrupt file with its path and leaves it untouched', async () => {
    const path = file();
    writeFileSync(path, 'text: not a list\n');
    const store = new IdeaStore(path);
    await expect(store.add({ text: 'x' })).rejects.toThrow(`idea store ${path} is corrupt`);
    expect(readFileSync(path, 'utf8')).toBe('text: not a list\n');
  });

  it('loses no seed when several writers add at once', async () => {
    const path = file();
    const writers = [new IdeaStore(path), new IdeaStore(path), new IdeaStore(path)];
    await Promise.all(Array.from({ length: 30 }, (_, i) => (writers[i % 3] as IdeaStore).add({ text: `idea ${i}` })));
    expect(new Set(new IdeaStore(path).list().map((s) => s.text)).size).toBe(30);
  });
});
