import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskStore } from '../../../src/stores/task-store';

const file = (): string => join(mkdtempSync(join(tmpdir(), 'cascadence-tasks-')), 'tasks.yml');

describe('TaskStore', () => {
  it('registers a task once per name and says whether it was new', async () => {
    const path = file();
    const store = new TaskStore(path);
    const first = await store.register({ name: 'capability_follow_up', reason: 'run r1 failed', source_run_id: 'r1' });
    expect(first.added).toBe(true);
    const again = await new TaskStore(path).register({ name: 'capability_follow_up', reason: 'run r2 failed' });
    expect(again).toEqual({ added: false, entry: first.entry });
    await store.register({ name: 'other', module: './tasks.js' });
    expect(store.list().map((e) => e.name)).toEqual(['capability_follow_up', 'other']);
    expect(store.get('capability_follow_up')?.reason).toBe('run r1 failed');
    expect(store.get('nope')).toBeUndefined();
  });

  it('refuses a name unusable as a task name', async () => {
    await expect(new TaskStore(file()).register({ name: 'bad name!' })).rejects.toThrow(/valid task name/);
  });

  it('reports a corrupt file with its path and leaves it untouched', async () => {
    const path = file();
    writeFileSync(path, '- name: ok\n  registered_at: now\n- 42\n');
    const store = new TaskStore(path);
    await expect(store.register({ name: 'x' })).rejects.toThrow(
      `task store ${path} is corrupt: task 2 is not a mapping`,
    );
    expect(readFileSync(path, 'utf8')).toBe('- name: ok\n  registered_at: now\n- 42\n');
  });

  it('registers each name once when several writers race', async () => {
    const path = file();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => new TaskStore(path).register({ name: `t${i % 5}` })),
    );
    expect(results.filter((r) => r.added)).toHaveLength(5);
    expect(new TaskStore(path).list()).toHaveLength(5);
  });
});
