/**
 * The event ids a run's records get on Temporal (`<workflow id>@<execution>#<seq>.<digest>:<type>`,
 * see `eventIdOf` in src/events/ume.ts), for tests that check which events arrived. The
 * digest is of what a record says; tests compare places (`placeOf`), the id without it.
 */
import type { Client } from '@temporalio/client';
import { eventIdOf } from '../../src/events/ume';

/** The execution part of the event ids of workflow `workflowId`: the start of its first run's id. */
export async function executionOf(client: Client, workflowId: string): Promise<string> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const first = description.raw.workflowExecutionInfo?.firstRunId || description.runId;
  return first.slice(0, 8);
}

/** An event id without its digest: which place in which execution's trail, and which event type. */
export const placeOf = (eventId: string): string => eventId.replace(/\.[0-9a-f]{8}:/, ':');

/**
 * Every event place (`placeOf`) of one run of a five-stage task that succeeded: two per record (its
 * `audit_record`, then `task_spec` for a start or `stage_update` for an end), ten records, then the run's outcome.
 */
export async function fiveStageEventIds(client: Client, workflowId: string): Promise<string[]> {
  const source = { workflowId, execution: await executionOf(client, workflowId) };
  return [
    ...Array.from({ length: 10 }, (_, seq) => [
      eventIdOf({ ...source, seq }, 'audit_record'),
      eventIdOf({ ...source, seq }, seq % 2 === 0 ? 'task_spec' : 'stage_update'),
    ]).flat(),
    eventIdOf({ ...source, seq: 10 }, 'task_run'),
  ];
}
