/** The DAG conformance suite in process (the `base` backend). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseBackend } from '../../../src/backends/base';
import { TaskStateStore } from '../../../src/runtime/task-state';
import { dagConformance } from '../../conformance/dag-suite';
import { createTestRegistry } from '../../helpers/tasks';

dagConformance('base', async () => {
  const backend = new BaseBackend({
    registry: createTestRegistry(),
    state: new TaskStateStore(join(mkdtempSync(join(tmpdir(), 'cascadence-dag-')), 'state.json')),
    hashSecret: 'dag-conformance',
  });
  return {
    runDag: (definition) => backend.runDag({ definition, userId: 'dag-user', groupId: 'dag-group' }),
    startDag: (definition) => backend.startDag({ definition, userId: 'dag-user', groupId: 'dag-group' }),
    close: () => backend.close(),
  };
});
