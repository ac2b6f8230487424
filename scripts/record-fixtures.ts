/**
 * Records replay fixtures from real runs: starts a dev server and a worker, runs each scenario,
 * and writes its history to test/replay/fixtures/<name>.json. Fixtures are never edited by
 * hand; a workflow change that breaks one needs `patched()`, not a new fixture.
 *
 *   npm run record-fixtures [-- name ...]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { DevServer } from '../src/dev/dev-server';
import { installRuntime } from '../src/cli/worker-process';
import { createWorker } from '../src/worker/create-worker';
import { EVENT_SCENARIOS, SCENARIOS, createTestRegistry } from '../test/helpers/scenarios';
import { startEventServices } from '../test/helpers/event-services';

const OUT = join(__dirname, '..', 'test', 'replay', 'fixtures');

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
    const scenarios = [...SCENARIOS, ...EVENT_SCENARIOS.map((s) => ({ name: s.name, run: s.run(services) }))];
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
