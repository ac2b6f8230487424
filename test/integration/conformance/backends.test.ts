/** The backend conformance suite on the temporal backend (the suite's dev server, an in-process worker). */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemporalBackend } from '../../../src/backends/temporal';
import { TaskStateStore } from '../../../src/backends/task-state';
import { createDefaultRegistry } from '../../../src/plugins/builtin';
import { createWorker } from '../../../src/worker/create-worker';
import { backendConformance } from '../../conformance/backend-suite';
import { connect, serverAddress, uniqueQueue } from '../../helpers/temporal';

backendConformance('temporal', async () => {
  const conns = await connect();
  const registry = createDefaultRegistry();
  const taskQueue = uniqueQueue('backend-conformance');
  const worker = await createWorker({ connection: conns.native, taskQueue, registry, shutdownGraceTime: '1s' });
  const running = worker.run();
  const backend = await TemporalBackend.connect({
    address: serverAddress(),
    namespace: 'default',
    taskQueue,
    hashSecret: 'conformance',
    registry,
    state: new TaskStateStore(join(tmpdir(), `cascadence-state-${randomUUID()}.json`)),
  });
  return {
    backend,
    task: 'example',
    input: { name: 'Ada' },
    expected: { greeting: 'Hello, Ada!', verified: true },
    async close() {
      worker.shutdown();
      await running;
      await conns.close();
    },
  };
});
