/**
 * Calendar-driven schedules on the dev server: the schedule follows a UME calendar event's
 * recurrence cron (fetched from a real HTTP server), is re-checked every poll, and stops
 * following it when unscheduled.
 */
import { createServer, type Server } from 'node:http';
import type { TemporalBackend } from '../../src/backends/temporal';
import { hashId } from '../../src/events/hash';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { eventually } from '../conformance/pipeline-suite';
import { failure } from '../helpers/failure';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';

let conns: TestConnections;
let ume: Server;
let umeUrl: string;
const events = new Map<string, unknown>();
const requests: string[] = [];
let backend: TemporalBackend;
let stop: () => Promise<void>;

beforeAll(async () => {
  conns = await connect();
  ume = createServer((req, res) => {
    requests.push(req.url ?? '');
    const node = decodeURIComponent(/^\/v1\/calendar\/nodes\/([^?]+)/.exec(req.url ?? '')?.[1] ?? '');
    const event = events.get(node);
    res.writeHead(event === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(event ?? { error: 'not found' }));
  });
  await new Promise<void>((r) => ume.listen(0, '127.0.0.1', () => r()));
  umeUrl = `http://127.0.0.1:${(ume.address() as { port: number }).port}`;
  ({ backend, close: stop } = await startTestWorker(conns, createDefaultRegistry(), {
    prefix: 'calendar',
    hashSecret: 'calendar',
    calendar: { client: conns.client, umeBaseUrl: umeUrl },
  }));
});

afterAll(async () => {
  await stop();
  await conns.close();
  ume.closeAllConnections();
  await new Promise((r) => ume.close(r));
});

it('follows the event’s recurrence, re-checking every poll, until unscheduled', async () => {
  events.set('evt1', { id: 'evt1', recurrence: { cron: '*/5 * * * *' } });
  const info = await backend.schedule({
    task: 'example',
    cron: '',
    userId: 'alice',
    groupId: 'team',
    calendar: { node: '/evt1', poll: 1 },
  });
  expect(info.cron).toBe('*/5 * * * *');
  expect(requests.at(-1)).toBe(
    `/v1/calendar/nodes/evt1?user_id=${hashId('alice', 'calendar')}&group_id=${hashId('team', 'calendar')}`,
  );

  events.set('evt1', { id: 'evt1', recurrence: { cron: '0 9 * * MON' } });
  await eventually(
    async () => (await backend.schedules()).find((s) => s.name === 'example')?.cron === '0 9 * * MON',
    'the new recurrence',
  );

  await backend.unschedule('example');
  expect((await backend.schedules()).map((s) => s.name)).not.toContain('example');
  const follower = await conns.client.workflow.getHandle('cascadence-example-calendar').describe();
  expect(follower.status.name).toBe('TERMINATED');
});

it('without poll, fetches once; an event without a recurrence cron is a clear error and schedules nothing', async () => {
  events.set('evt2', { id: 'evt2', recurrence: { cron: '30 6 * * *' } });
  const once = await backend.schedule({
    task: 'example',
    cron: '',
    userId: 'u',
    groupId: 'g',
    calendar: { node: 'evt2' },
    input: { city: 'Paris' },
  });
  expect(once.cron).toBe('30 6 * * *');
  // The entry's input reaches every run of the schedule the event drives.
  expect(once.input).toEqual({ city: 'Paris' });
  await backend.unschedule('example');

  events.set('evt3', { id: 'evt3', title: 'no recurrence here' });
  const err = await failure(
    backend.schedule({ task: 'example', cron: '', userId: 'u', groupId: 'g', calendar: { node: 'evt3' } }),
  );
  expect(err.code).toBe('VALIDATION');
  expect(err.message).toBe('calendar event evt3: event missing recurrence cron');
  expect((await backend.schedules()).map((s) => s.name)).not.toContain('example');
});
