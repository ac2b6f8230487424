/**
 * What every run's events must be, on every runtime: the versioned UME events made of its audit
 * records, each valid against its JSON Schema in schemas/events/, with deterministic and unique
 * ids, subjects under the prefix, and no raw id anywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { auditEventsOf, umeEventsOf, type AuditBusEvent, type CascadenceEvent } from '../../src/events/bus';
import { EVENT_KINDS, subjectOf, toUmeEvents, type AnyUmeEvent } from '../../src/events/ume';

const SCHEMAS = join(__dirname, '..', '..', 'schemas', 'events');
const ajv = new Ajv({ allErrors: true, formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ } });
const validators = new Map<string, ValidateFunction>(
  readdirSync(SCHEMAS).map((f) => [
    f.replace('.schema.json', ''),
    ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8'))),
  ]),
);

/** Throws unless `event` is valid against the schema of its type. */
export function validateUme(event: Record<string, unknown>): void {
  const validate = validators.get(String(event.event_type));
  if (!validate) throw new Error(`no schema for event type ${String(event.event_type)}`);
  if (!(validate(event) as boolean)) throw new Error(`${String(event.event_type)}: ${ajv.errorsText(validate.errors)}`);
}

/** The UME events of run `runId` among `published`, checked; returns them in emission order. */
export function checkRunEvents(published: CascadenceEvent[], runId: string, rawIds: string[]): AnyUmeEvent[] {
  expect([...validators.keys()].sort()).toEqual(Object.keys(EVENT_KINDS).sort());
  const mine = auditEventsOf(published).filter((e) => e.record.run_id === runId);
  expect(mine.length).toBeGreaterThan(0);
  expect(mine.every((e) => e.source !== undefined && e.source.seq >= 0)).toBe(true);
  // The records' events, then the run's outcome (`task_run`, once, after its last record).
  const outcomes = published.filter(
    (e): e is Extract<CascadenceEvent, { type: 'run' }> => e.type === 'run' && e.outcome.run_id === runId,
  );
  const events: AnyUmeEvent[] = [
    ...mine.flatMap((e) => toUmeEvents(e.record, e.source as NonNullable<AuditBusEvent['source']>)),
    ...outcomes.flatMap(umeEventsOf),
  ];
  expect(outcomes.length).toBeGreaterThan(0);
  for (const event of events) {
    const validate = validators.get(event.event_type) as ValidateFunction;
    const valid = validate(event) as boolean;
    if (!valid) throw new Error(`${event.event_type} ${JSON.stringify(event)}: ${ajv.errorsText(validate.errors)}`);
    expect(subjectOf('cascadence', event)).toBe(
      `cascadence.${EVENT_KINDS[event.event_type]}.${event.task.replace(/\./g, '_')}`,
    );
  }
  // One id per event, the same when the record is emitted again.
  expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  const again = [
    ...mine.flatMap((e) => toUmeEvents(e.record, e.source as NonNullable<AuditBusEvent['source']>)),
    ...outcomes.flatMap(umeEventsOf),
  ];
  expect(again.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
  const text = JSON.stringify(events);
  for (const raw of rawIds) expect(text).not.toContain(raw);
  return events;
}
