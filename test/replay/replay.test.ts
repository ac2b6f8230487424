/**
 * Saved histories of real runs replay against today's workflow code; an incompatible change
 * is caught. Fixtures come from `npm run record-fixtures` and are never edited by hand.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { getWorkflowBundle } from '../../src/worker/bundle';
import { installRuntime } from '../../src/cli/worker-process';

const FIXTURES = join(__dirname, 'fixtures');
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
const load = (file: string): unknown => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  installRuntime();
  bundle = await getWorkflowBundle();
});

it('has fixtures to replay', () => {
  expect(fixtures).toEqual(expect.arrayContaining(['example-basic.json']));
});

it.each(fixtures)('%s replays cleanly against the current workflows', async (file) => {
  await expect(Worker.runReplayHistory({ workflowBundle: bundle }, load(file))).resolves.toBeUndefined();
});

it('fails replay when the workflow changed incompatibly', async () => {
  const altered = await bundleWorkflowCode({
    workflowsPath: require.resolve('./altered'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  await expect(Worker.runReplayHistory({ workflowBundle: altered }, load('example-basic.json'))).rejects.toBeInstanceOf(
    DeterminismViolationError,
  );
});
