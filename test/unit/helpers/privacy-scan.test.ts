/**
 * The suite's privacy scan reads payloads: a raw id inside a history's input is found, though a
 * fetched history's own JSON form would show it only as base64.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { historyText } from '../../helpers/history-text';
import { RAW_ID } from '../../helpers/suite-privacy-scan';

// fromObject: the event id is an int64 (a Long) in the message's type.
const historyWith = (input: unknown): temporal.api.history.v1.History =>
  temporal.api.history.v1.History.fromObject({
    events: [
      {
        eventId: 1,
        workflowExecutionStartedEventAttributes: {
          input: {
            payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(input)) }],
          },
        },
      },
    ],
  });

it('finds a raw id in a payload, which the history message JSON shows as base64 only', () => {
  const raw = `raw-user-${randomUUID()}`;
  const history = historyWith({ userId: raw });
  expect(JSON.stringify(history)).not.toContain(raw);
  expect(RAW_ID.exec(historyText(history))?.[0]).toBe(raw);
});

it('finds nothing in a history holding hashed ids only', () => {
  const history = historyWith({ userHash: 'a'.repeat(64), note: 'raw-user-not-a-uuid' });
  expect(RAW_ID.test(historyText(history))).toBe(false);
});
