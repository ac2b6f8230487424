/** The backend conformance suite on the in-process backends: base, cron and dag (temporary files, no server). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseBackend } from '../../../src/backends/base';
import { CronBackend } from '../../../src/backends/cron';
import { TaskStateStore } from '../../../src/runtime/task-state';
import { MemoryAuditStore } from '../../../src/events/audit-store';
import { createDefaultRegistry } from '../../../src/plugins/builtin';
import { backendConformance } from '../../conformance/backend-suite';

const EXAMPLE = { greeting: 'Hello, Ada!', verified: true };

function common() {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-backend-'));
  return {
    dir,
    options: {
      registry: createDefaultRegistry(),
      state: new TaskStateStore(join(dir, 'state.json')),
      hashSecret: 'conformance',
      audit: new MemoryAuditStore(),
    },
  };
}

backendConformance('base', async () => ({
  backend: new BaseBackend(common().options),
  task: 'example',
  input: { name: 'Ada' },
  expected: EXAMPLE,
}));

for (const withDependencies of [false, true]) {
  backendConformance(withDependencies ? 'dag' : 'cron', async () => {
    const { dir, options } = common();
    return {
      backend: new CronBackend({
        ...options,
        schedulesPath: join(dir, 'schedules.yml'),
        timezone: 'UTC',
        withDependencies,
      }),
      task: 'example',
      input: { name: 'Ada' },
      expected: EXAMPLE,
    };
  });
}
