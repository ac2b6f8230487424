// The SDK's floor for bench/worker-memory.ts: a bare Temporal worker, `Worker.create` on the
// prebuilt workflow bundle with no activities, sinks or interceptors, and nothing else loaded.
//   node bench/lib/bare-worker.js ADDRESS TASK_QUEUE BUNDLE_PATH
const { NativeConnection, Worker } = require('@temporalio/worker');

async function main() {
  const [address, taskQueue, codePath] = process.argv.slice(2);
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: { codePath } });
  process.once('SIGTERM', () => worker.shutdown());
  process.stdout.write(`worker polling task queue ${taskQueue}\n`);
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
