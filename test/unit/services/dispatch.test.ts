/**
 * The dispatch table and what `dispatch` does before it reaches Temporal.
 */
import { hashId } from '../../../src/events/hash';
import { dispatch, eventWorkflow, hashPayload, knownEvents } from '../../../src/services/dispatch';
import { failure } from '../../helpers/failure';

it('registers the two built-in events, each with its workflow and task', () => {
  expect(knownEvents()).toEqual(['calendar.event.create_request', 'finance.decision.request']);
  expect(eventWorkflow('calendar.event.create_request')).toMatchObject({
    task: 'calendar.event.create',
    workflow: expect.objectContaining({ name: 'calendarEventWorkflow' }),
  });
  expect(eventWorkflow('finance.decision.request').task).toBe('finance.decision');
});

it('refuses an unknown event, listing the known ones (and a user id is needed first)', async () => {
  expect(() => eventWorkflow('calendar.event.created')).toThrow(
    'no workflow is registered for event "calendar.event.created"; known events: calendar.event.create_request, finance.decision.request',
  );
  expect(() => eventWorkflow('toString')).toThrow('no workflow is registered');
  expect(await failure(dispatch('nope', {}, { userId: 'u', groupId: 'g' }))).toEqual({
    code: 'VALIDATION',
    message: expect.stringContaining('known events: calendar.event.create_request'),
  });
  expect(await failure(dispatch('finance.decision.request', {}, { userId: '', groupId: 'g' }))).toEqual({
    code: 'VALIDATION',
    message: 'a user id is required to dispatch an event',
  });
});

it('hashes the payload’s group and invitees (ids of people) and leaves the rest to the workflow', () => {
  expect(hashPayload({ title: 't', group_id: 'eng', invitees: ['bob', 7] }, 's')).toEqual({
    title: 't',
    group_id: hashId('eng', 's'),
    invitees: [hashId('bob', 's'), 7],
  });
  expect(hashPayload('not an object', 's')).toBe('not an object');
});
