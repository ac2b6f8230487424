/** The DAG conformance suite on Temporal (the suite's dev server, an in-process worker). */
import { dagConformance } from '../../conformance/dag-suite';
import { createTestRegistry } from '../../helpers/tasks';
import { connect, startTestWorker } from '../../helpers/temporal';

dagConformance('temporal', async () => {
  const conns = await connect();
  const { backend, close } = await startTestWorker(conns, createTestRegistry(), { prefix: 'dag-conformance' });
  return {
    runDag: (definition) => backend.runDag({ definition, userId: 'dag-user', groupId: 'dag-group' }),
    startDag: (definition) => backend.startDag({ definition, userId: 'dag-user', groupId: 'dag-group' }),
    async close() {
      await close();
      await conns.close();
    },
  };
});
