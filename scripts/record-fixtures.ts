/**
 * Records replay fixtures from real runs: starts a dev server and a worker, runs each scenario,
 * and writes its history to test/replay/fixtures/<name>.json. Fixtures are never edited by
 * hand; a workflow change that breaks one needs `patched()`, not a new fixture.
 *
 *   npm run record-fixtures [-- name ...]
 *
 * One fixture has no scenario here: dag-lightweight-before-batching.json was recorded from the
 * code before lightweight nodes were batched (commit 7454214, three lightweight nodes ready
 * together, each its own `runPipelineInline`), to prove such histories still replay the old path
 * behind the `dag-batched-lightweight` patch; today's code cannot record it again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { DevServer } from '../src/dev/dev-server';
import { installRuntime } from '../src/cli/worker-process';
import { createWorker } from '../src/worker/create-worker';
import { EVENT_SCENARIOS, SCENARIOS, createTestRegistry, request, type Scenario } from '../test/helpers/scenarios';
import { startEventServices } from '../test/helpers/event-services';
import type { DagDefinition, DagNode } from '../src/core';
import { dagWorkflowId } from '../src/core/ids';
import { dagWorkflow } from '../src/workflows/dag';

const OUT = join(__dirname, '..', 'test', 'replay', 'fixtures');

/** A lightweight DAG node running the `node` test task. */
const light = (id: string, extra: Partial<DagNode> & { input?: Record<string, unknown> } = {}): DagNode => {
  const { input, ...rest } = extra;
  return { id, task: 'node', lightweight: true, input: { key: `fixture-dag-${id}`, node: id, ...input }, ...rest };
};

/** Runs a DAG to its end (success or failure) and returns its workflow id. */
const dagRun =
  (definition: DagDefinition): Scenario['run'] =>
  async (client, taskQueue) => {
    const req = request('dag');
    const handle = await client.workflow.start(dagWorkflow, {
      taskQueue,
      workflowId: dagWorkflowId(definition.name, req.runId),
      args: [{ definition, runId: req.runId, userHash: req.userHash, groupHash: req.groupHash }],
    });
    await handle.result().catch(() => undefined);
    return handle.workflowId;
  };

/**
 * DAGs whose lightweight nodes, found ready together, run as one `runPipelinesInline` activity
 * (the `dag-batched-lightweight` patch): under continue with a failing batch-mate, beside a
 * child-pipeline node and a lone lightweight node; and under fail-fast, the batch-mates cancelled.
 */
const DAG_BATCH_SCENARIOS: Scenario[] = [
  {
    name: 'dag-batched-lightweight',
    run: dagRun({
      name: 'batched',
      failurePolicy: 'continue',
      nodes: [
        light('a'),
        light('b', { input: { fail: true } }),
        light('c'),
        { id: 'child', task: 'node', input: { key: 'fixture-dag-child', node: 'child' } },
        light('after-b', { dependsOn: ['b'] }),
        light('join', { dependsOn: ['a', 'c', 'child'] }),
      ],
    }),
  },
  {
    name: 'dag-batched-fail-fast',
    run: dagRun({
      name: 'batched-fail-fast',
      failurePolicy: 'fail-fast',
      nodes: [
        light('boom', { input: { fail: true, ms: 100 } }),
        light('long', { input: { ms: 5_000 } }),
        light('longer', { input: { ms: 5_000 } }),
        light('later', { dependsOn: ['boom'] }),
      ],
    }),
  },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  installRuntime();
  const server = await DevServer.start({ headless: true });
  try {
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const native = await NativeConnection.connect({ address: server.address });
    const taskQueue = 'fixtures';
    // The event-driven workflows call stand-ins for UME, the finance engine and the research provider.
    const services = await startEventServices();
    const worker = await createWorker({
      connection: native,
      taskQueue,
      registry: createTestRegistry(),
      eventDriven: {
        client,
        umeBaseUrl: services.umeUrl,
        financeEngineUrl: services.engineUrl,
        researchUrl: services.researchUrl,
      },
    });
    mkdirSync(OUT, { recursive: true });
    const scenarios = [
      ...SCENARIOS,
      ...DAG_BATCH_SCENARIOS,
      ...EVENT_SCENARIOS.map((s) => ({ name: s.name, run: s.run(services) })),
    ];
    await worker.runUntil(async () => {
      for (const scenario of scenarios.filter((s) => only.length === 0 || only.includes(s.name))) {
        const workflowId = await scenario.run(client, taskQueue);
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        writeFileSync(join(OUT, `${scenario.name}.json`), historyToJSON(history));
        console.log(`recorded ${scenario.name} (${history.events?.length ?? 0} events) from ${workflowId}`);
      }
    });
    await services.close();
    await native.close();
    await connection.close();
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
