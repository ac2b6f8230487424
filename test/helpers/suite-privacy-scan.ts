/**
 * The privacy scan over every workflow history the integration suite left on its dev server, run
 * by the global teardown: the tests identify users and groups with distinctive raw ids
 * (`raw-user-<uuid>`, `raw-group-…`, `raw-admin-…`, `fuzz-user-…`), which must reach Temporal
 * hashed only, so none may appear in any history (inputs, results, memos, search attributes,
 * failures, signals, updates), payloads decoded.
 */
import { Client, Connection } from '@temporalio/client';
import { historyText } from './history-text';

/** A raw id as the tests make them. */
export const RAW_ID =
  /\b(?:raw|fuzz)-(?:user|group|admin)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/;

/**
 * Scans every history on the server at `address`; prints a summary line and resolves with an
 * error naming each workflow whose history holds a raw id (undefined when none does).
 */
export async function scanSuiteHistories(address: string): Promise<Error | undefined> {
  const started = Date.now();
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const found: string[] = [];
    let scanned = 0;
    for await (const wf of client.workflow.list()) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const hit = RAW_ID.exec(historyText(history));
      if (hit) found.push(`${wf.workflowId} (${wf.runId}): ${hit[0]}`);
      scanned++;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `integration: privacy scan (${seconds} s): ${scanned} histories, ${found.length} with a raw user or group id\n`,
    );
    if (found.length === 0) return undefined;
    const text = [
      `privacy scan (integration global teardown): raw ids in ${found.length} histories`,
      ...found.slice(0, 20).map((l) => `  ${l}`),
    ].join('\n');
    const failure = new Error(text);
    failure.stack = text;
    return failure;
  } finally {
    await connection.close();
  }
}
