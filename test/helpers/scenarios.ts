/**
 * Scenarios whose real runs are saved as replay fixtures (scripts/record-fixtures.ts), and the
 * registry of test tasks they use.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { pipelineWorkflowId } from '../../src/core/ids';
import type { PipelineRequest } from '../../src/core';
import { hashId } from '../../src/events/hash';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import type { TaskRegistry } from '../../src/plugins/registry';
import { pipelineWorkflow } from '../../src/workflows/pipeline';

/** The registry the fixtures were recorded with: built-ins plus the test tasks. */
export function createTestRegistry(): TaskRegistry {
  return createDefaultRegistry();
}

/** A pipeline request with hashed ids. */
export function request(task: string, input?: unknown): PipelineRequest {
  return {
    task,
    runId: randomUUID(),
    userHash: hashId('fixture-user', 'fixture-secret'),
    groupHash: hashId('fixture-group', 'fixture-secret'),
    ...(input === undefined ? {} : { input }),
  };
}

export interface Scenario {
  name: string;
  /** Runs the scenario to its end and returns the workflow id whose history is the fixture. */
  run(client: Client, taskQueue: string): Promise<string>;
}

async function runToEnd(client: Client, taskQueue: string, req: PipelineRequest): Promise<string> {
  const workflowId = pipelineWorkflowId(req.task, req.runId);
  const handle = await client.workflow.start(pipelineWorkflow, { taskQueue, workflowId, args: [req] });
  await handle.result().catch(() => undefined);
  return workflowId;
}

export const SCENARIOS: Scenario[] = [
  { name: 'example-basic', run: (client, q) => runToEnd(client, q, request('example', { name: 'Ada' })) },
];
