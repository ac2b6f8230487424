/**
 * Saved histories of real runs replay against today's workflow code; an incompatible change
 * is caught. Fixtures come from `npm run record-fixtures` and are never edited by hand.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { getWorkflowBundle } from '../../src/worker/bundle';
import { replayHistory } from '../../src/worker/replay';
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

it.each(fixtures)('%s replays cleanly against the current workflows (as `task replay` does)', async (file) => {
  expect(await replayHistory(load(file), { workflowBundle: bundle })).toEqual({ ok: true });
});

it('fails replay when the workflow changed incompatibly', async () => {
  const altered = await bundleWorkflowCode({
    workflowsPath: require.resolve('./altered'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  expect(await replayHistory(load('example-basic.json'), { workflowBundle: altered })).toMatchObject({
    ok: false,
    kind: 'DeterminismViolationError',
  });
});
