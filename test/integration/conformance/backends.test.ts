/** The backend conformance suite on the temporal backend (the suite's dev server, an in-process worker). */
import { createDefaultRegistry } from '../../../src/plugins/builtin';
import { backendConformance } from '../../conformance/backend-suite';
import { connect, startTestWorker } from '../../helpers/temporal';

backendConformance('temporal', async () => {
  const conns = await connect();
  const { backend, close } = await startTestWorker(conns, createDefaultRegistry(), {
    prefix: 'backend-conformance',
    hashSecret: 'conformance',
  });
  return {
    backend,
    task: 'example',
    input: { name: 'Ada' },
    expected: { greeting: 'Hello, Ada!', verified: true },
    async close() {
      await close();
      await conns.close();
    },
  };
});
