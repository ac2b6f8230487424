/**
 * `calendarEventWorkflow`: CalendarEventCreation, the workflow of `calendar.event.create_request`.
 * It validates the request (`title`, `start_time`, the group), researches the travel time while
 * it checks permissions (`calendar:create` for the requester, then for each invitee), stores the
 * event and its INVITED and LAYER edges in UME, adds a "Leave by" event (RELATES_TO the event)
 * when the research found a travel time, schedules `recurrence.cron`, and publishes
 * `calendar.event.created`. Research and publishing failures are recorded and tolerated; any
 * other failure ends the run with the state it reached. A run the recurrence schedule starts
 * creates the occurrence due at its tick. Workflow-safe.
 */
import { CancellationScope } from '@temporalio/workflow';
import {
  CALENDAR_EVENT_CREATED,
  CALENDAR_EVENT_TASK,
  leaveByTime,
  travelDuration,
  travelNote,
  validateCalendarPayload,
  type EventWorkflowRequest,
  type GraphEdge,
} from '../core/event-workflows';
import { CascadenceError } from '../core/errors';
import {
  EventRun,
  checkedRecurrence,
  eventActivities as http,
  publishFollowUp,
  scheduleRecurrence,
  scheduledStartTime,
} from './event-run';

/** What a created event answers. */
export interface CalendarEventResult {
  event_id: string;
  /** The "Leave by" event, when the research found a travel time. */
  related_event_id?: string;
  note: string;
  /** The recurrence schedule, when the request had one. */
  schedule_id?: string;
}

/** What the travel research came to. */
type Research = { info: unknown } | { error: unknown } | { skipped: string };

/** Creates the requested calendar event; answers its id (and the "Leave by" event's). */
export async function calendarEventWorkflow(request: EventWorkflowRequest): Promise<CalendarEventResult> {
  const run = new EventRun(CALENDAR_EVENT_TASK, request);
  const owner = { user_id: request.userHash, group_id: request.groupHash };
  const key = (what: string): string => `${run.workflowId}:${what}`;
  try {
    const payload = await run.step(
      'validate',
      async () => {
        const valid = validateCalendarPayload(request.payload, request.groupHash);
        const recurrence = await checkedRecurrence(request, valid.recurrence);
        // An occurrence of a recurrence starts when its tick was due.
        return { valid: request.scheduledBy ? { ...valid, start_time: scheduledStartTime() } : valid, recurrence };
      },
      ({ valid }) => ({ title: valid.title, start_time: valid.start_time, invitees: valid.invitees.length }),
    );
    const event = payload.valid;

    // The travel research runs while permissions are checked and the event is stored.
    const researchScope = new CancellationScope();
    const research: Promise<Research> = event.location
      ? researchScope
          .run(() =>
            http.researchTravelTime({
              query: `travel time to ${event.location}`,
              task: run.task,
              runId: run.runId,
              userHash: request.userHash,
              groupHash: request.groupHash,
            }),
          )
          .then(
            (info): Research => (info === null ? { skipped: 'no research provider (research_url)' } : { info }),
            (error: unknown): Research => ({ error }),
          )
      : Promise.resolve({ skipped: 'no location' });

    try {
      await run.step(
        'permission',
        async () => {
          const check = { permission: 'calendar:create', userHash: request.userHash, groupHash: request.groupHash };
          if (!(await http.checkPermission(check))) {
            throw new CascadenceError('FORBIDDEN', 'user lacks calendar:create permission');
          }
          const answers = await Promise.all(
            event.invitees.map((invitee) => http.checkPermission({ ...check, invitee })),
          );
          const denied = event.invitees.filter((_invitee, i) => !answers[i]);
          if (denied.length > 0) {
            throw new CascadenceError('FORBIDDEN', `user lacks permission to invite ${denied.join(', ')}`);
          }
          run.reached.permission = 'granted';
        },
        () => ({ requester: 'allowed', invitees: event.invitees.length }),
      );
    } catch (err) {
      researchScope.cancel();
      throw err;
    }

    const eventId = await run.step(
      'persistence',
      async () => {
        const id = await http.createCalendarEvent({ event: { ...event, ...owner }, idempotencyKey: key('event') });
        run.reached.event_id = id;
        const edges: GraphEdge[] = [
          ...event.invitees.map((dst) => ({ src: id, dst, type: 'INVITED', ...owner })),
          ...event.layers.map((dst) => ({ src: id, dst, type: 'LAYER', ...owner })),
        ];
        run.reached.edges = 0;
        for (const [i, edge] of edges.entries()) {
          await http.createCalendarEdge({ edge, idempotencyKey: key(`edge-${i}`) });
          run.reached.edges = i + 1;
        }
        return id;
      },
      (id) => ({ event_id: id, edges: run.reached.edges }),
    );

    const found = await research;
    let duration: string | undefined;
    if ('skipped' in found) run.record('research', 'skipped', { reason: found.skipped });
    else if ('error' in found) run.tolerate('research', found.error);
    else {
      duration = travelDuration(found.info);
      run.record('research', 'success', { output: found.info });
    }
    run.reached.research = 'info' in found ? 'done' : 'error' in found ? 'failed' : 'skipped';

    let relatedId: string | undefined;
    if (duration !== undefined) {
      relatedId = await run.step(
        'persistence',
        async () => {
          const related = await http.createCalendarEvent({
            event: { title: `Leave by ${event.title}`, start_time: leaveByTime(event.start_time, duration), ...owner },
            idempotencyKey: key('leave-by'),
          });
          run.reached.related_event_id = related;
          await http.createCalendarEdge({
            edge: { src: related, dst: eventId, type: 'RELATES_TO', ...owner },
            idempotencyKey: key('leave-by-edge'),
          });
          return related;
        },
        (id) => ({ related_event_id: id }),
      );
    }

    const scheduleId = payload.recurrence ? await scheduleRecurrence(run, payload.recurrence) : undefined;
    const note = travelNote(event.location, duration);
    const result: CalendarEventResult = {
      event_id: eventId,
      ...(relatedId === undefined ? {} : { related_event_id: relatedId }),
      note,
      ...(scheduleId === undefined ? {} : { schedule_id: scheduleId }),
    };
    await publishFollowUp(run, CALENDAR_EVENT_CREATED, {
      event_id: eventId,
      ...(relatedId === undefined ? {} : { related_event_id: relatedId }),
      title: event.title,
      start_time: event.start_time,
      note,
    });
    return run.complete(result);
  } catch (err) {
    throw run.fail(run.stage ?? 'pipeline', err);
  }
}
