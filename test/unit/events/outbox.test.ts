/** The durable outbox: what is appended survives a restart until acknowledged; a torn line is skipped; full means counted drops. */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../../../src/events/outbox';
import type { UmeEvent } from '../../../src/events/ume';

const event = (i: number): UmeEvent => ({
  event_type: 'task_spec',
  schema_version: 1,
  event_id: `example-r#${i}:task_spec`,
  time: '2026-12-01T00:00:00.000Z',
  task: 'example',
  run_id: 'r',
  workflow_id: 'example-r',
  user_hash: '',
  group_hash: '',
  stage: 'intake',
});

it('keeps unacknowledged events across a restart, in order, and forgets acknowledged ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-outbox-'));
  const first = new Outbox({ dir });
  first.append([event(0), event(1), event(2)]);
  first.ack(1);
  const second = new Outbox({ dir });
  expect(second.peek(10).map((e) => e.event_id)).toEqual([event(1).event_id, event(2).event_id]);
  second.ack(2);
  expect(new Outbox({ dir }).depth).toBe(0);
});

it('starts its file afresh once everything is sent and it has grown past compactLines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-outbox-'));
  const box = new Outbox({ dir, compactLines: 4 });
  box.append([event(0), event(1)]);
  box.ack(2);
  expect(box.fileBytes()).toBeGreaterThan(0); // 2 lines: kept, the acknowledged count says they are sent
  box.append([event(2), event(3)]);
  box.ack(1);
  expect(box.fileBytes()).toBeGreaterThan(0); // one still unsent
  box.ack(1);
  expect(box.fileBytes()).toBe(0);
  box.append([event(4)]);
  expect(new Outbox({ dir }).peek(10).map((e) => e.event_id)).toEqual([event(4).event_id]);
});

it('skips a line torn by a crash mid-write, keeping the rest, and appends cleanly after it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-outbox-'));
  new Outbox({ dir }).append([event(0)]);
  appendFileSync(join(dir, 'events.jsonl'), '{"event_type":"task_sp');
  const after = new Outbox({ dir });
  expect(after.peek(10).map((e) => e.event_id)).toEqual([event(0).event_id]);
  after.append([event(1)]);
  expect(new Outbox({ dir }).peek(10).map((e) => e.event_id)).toEqual([event(0).event_id, event(1).event_id]);
});

it('drops events past its size bound, counting them and saying so once', () => {
  const warnings: string[] = [];
  const box = new Outbox({
    dir: mkdtempSync(join(tmpdir(), 'cascadence-outbox-')),
    maxBytes: 600,
    warn: (l) => warnings.push(l),
  });
  for (let i = 0; i < 10; i++) box.append([event(i)]);
  expect(box.depth).toBeGreaterThan(0);
  expect(box.depth + box.dropped).toBe(10);
  expect(box.dropped).toBeGreaterThan(0);
  expect(warnings).toHaveLength(1);
});
