/**
 * The JSON Lines audit store: append-only, readable per task and run, tolerant of a torn last
 * line, and never holding a raw user or group id.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseBackend } from '../../../src/backends/base';
import { TaskStateStore } from '../../../src/runtime/task-state';
import { AUDIT_FLUSH_BYTES, JsonlAuditStore } from '../../../src/events/audit-store';
import { createDefaultRegistry } from '../../../src/plugins/builtin';

const dir = mkdtempSync(join(tmpdir(), 'cascadence-audit-'));

it('keeps every record of every run, readable per task and per run, with hashed ids only', async () => {
  const path = join(dir, `${randomUUID()}.jsonl`);
  const audit = new JsonlAuditStore(path);
  const backend = new BaseBackend({
    registry: createDefaultRegistry(),
    state: new TaskStateStore(join(dir, 'absent', 'state.json')),
    hashSecret: 's3cret',
    audit,
  });
  const rawUser = `alice-${randomUUID()}`;
  const rawGroup = `team-${randomUUID()}`;
  const first = await backend.run({ task: 'example', userId: rawUser, groupId: rawGroup });
  const second = await backend.run({ task: 'example', userId: rawUser, groupId: rawGroup });
  const all = await backend.audit('example');
  expect(all).toHaveLength(20);
  const one = await backend.audit('example', second.runId);
  expect(one).toHaveLength(10);
  expect(one.every((r) => r.run_id === second.runId)).toBe(true);
  expect(await backend.audit('example', first.runId)).toHaveLength(10);
  await backend.close();

  const text = readFileSync(path, 'utf8');
  expect(text.trim().split('\n')).toHaveLength(20);
  expect(text).not.toContain(rawUser);
  expect(text).not.toContain(rawGroup);
});

/** One record, as the stores hold it. */
const RECORD = {
  task: 't',
  stage: 'run' as const,
  status: 'success' as const,
  run_id: 'r',
  user_hash: 'u',
  group_hash: 'g',
  time: 'x',
};

it('skips a torn last line (a crash mid-write), reads every complete record, and appends after it intact', async () => {
  const path = join(dir, `${randomUUID()}.jsonl`);
  const store = new JsonlAuditStore(path);
  store.append(RECORD);
  store.append({ ...RECORD, run_id: 'r2' });
  await store.close();
  appendFileSync(path, '{"task":"t","stage":"ru');
  const reopened = new JsonlAuditStore(path);
  expect((await reopened.read('t')).map((r) => r.run_id)).toEqual(['r', 'r2']);
  reopened.append({ ...RECORD, run_id: 'r3' });
  expect((await reopened.read('t', 'r3')).map((r) => r.run_id)).toEqual(['r3']);
  await reopened.close();
});

it('a loop that never yields keeps one pending flush, however many times the buffer fills', async () => {
  const path = join(dir, `${randomUUID()}.jsonl`);
  const store = new JsonlAuditStore(path);
  const rec = { ...RECORD, output: 'x'.repeat(1000) };
  const immediates = jest.spyOn(global, 'setImmediate');
  try {
    // About ten synchronous flushes at AUDIT_FLUSH_BYTES (64 KiB), without an event-loop turn.
    for (let i = 0; i < 650; i++) {
      store.append({ ...rec, run_id: `r${i}` });
      expect(store.pendingBytes).toBeLessThanOrEqual(AUDIT_FLUSH_BYTES + 2000);
    }
    expect(immediates).toHaveBeenCalledTimes(1);
  } finally {
    immediates.mockRestore();
  }
  await new Promise((resolve) => setImmediate(resolve));
  expect(store.pendingBytes).toBe(0);
  expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(650);
  await store.close();
});
