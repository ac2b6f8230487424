/**
 * The workflow sandbox, checked by bundling: src/workflows bundles, and workflow code that
 * imports something the sandbox refuses fails with a message naming the import.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCascadenceError } from '../../src/core/errors';
import { WORKFLOWS_PATH, bundleWorkflows } from '../../src/worker/bundle';

it('bundles src/workflows with every workflow the worker registers', async () => {
  const { code } = await bundleWorkflows(WORKFLOWS_PATH);
  for (const name of [
    'pipelineWorkflow',
    'dagWorkflow',
    'calendarScheduleWorkflow',
    'catalogueWorkflow',
    'calendarEventWorkflow',
    'financeDecisionWorkflow',
  ]) {
    expect(code).toContain(name);
  }
});

it.each([
  [
    'node:fs',
    "import { readFileSync } from 'node:fs';\nexport async function bad(): Promise<string> { return readFileSync('/x', 'utf8'); }\n",
  ],
  [
    'child_process',
    "import { execSync } from 'child_process';\nexport async function bad(): Promise<string> { return String(execSync('true')); }\n",
  ],
])('names the refused import %s', async (name, source) => {
  // Inside the project, so the probe resolves @temporalio/workflow like src/workflows does.
  const dir = join(__dirname, '..', '..', '.cascadence', `sandbox-probe-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.ts'), source);
  let error: unknown;
  try {
    await bundleWorkflows(join(dir, 'index.ts'));
  } catch (err) {
    error = err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(isCascadenceError(error)).toBe(true);
  expect((error as Error).message).toContain(`'${name}'`);
  expect((error as Error).message).toContain('which the workflow sandbox refuses');
});
