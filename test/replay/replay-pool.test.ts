/**
 * The replay gate's machinery without a server: saved histories replay in parallel through a
 * ReplayPool, and against a deliberately altered workflow each one that no longer replays is
 * named with the first event it stops at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { getWorkflowBundle } from '../../src/worker/bundle';
import { ReplayPool, type ReplayCheck } from '../../src/worker/replay-pool';
import { installRuntime } from '../../src/cli/worker-process';

const FIXTURES = join(__dirname, 'fixtures');
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

interface JsonHistory {
  events: Array<{ eventId: string; eventType: string; workflowExecutionStartedEventAttributes?: unknown }>;
}
const load = (file: string): JsonHistory => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as JsonHistory;
const typeOf = (history: JsonHistory): string | undefined =>
  (history.events[0]?.workflowExecutionStartedEventAttributes as { workflowType?: { name?: string } } | undefined)
    ?.workflowType?.name;

let current: WorkflowBundleWithSourceMap;
let altered: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  installRuntime();
  [current, altered] = await Promise.all([
    getWorkflowBundle(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./altered'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    }),
  ]);
});

async function replayAll(bundle: WorkflowBundleWithSourceMap, files: string[]): Promise<Map<string, ReplayCheck>> {
  const pool = new ReplayPool({ workflowBundle: bundle, concurrency: 3 });
  try {
    const checks = await Promise.all(files.map((f) => pool.replay({ workflowId: f, history: load(f) })));
    return new Map(files.map((f, i) => [f, checks[i] as ReplayCheck]));
  } finally {
    await pool.close();
  }
}

it('replays every saved history in parallel, as the replay gate does', async () => {
  const checks = await replayAll(current, fixtures);
  expect([...checks.entries()].filter(([, c]) => !c.ok)).toEqual([]);
  expect(checks.size).toBe(fixtures.length);
});

it('names the first mismatching event of each history the altered workflow no longer replays', async () => {
  const pipelines = fixtures.filter((f) => typeOf(load(f)) === 'pipelineWorkflow');
  expect(pipelines).toContain('example-basic.json');
  const checks = await replayAll(altered, pipelines);
  for (const file of pipelines) {
    const history = load(file);
    // The altered workflow starts a timer before anything else: the first command the original
    // recorded, the event right after the first workflow task completed, is where replay breaks.
    const firstCommand = history.events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED') + 1;
    const expected = history.events[firstCommand];
    expect({ file, check: checks.get(file) }).toMatchObject({
      file,
      check: {
        ok: false,
        kind: 'DeterminismViolationError',
        error: expect.stringMatching(/Nondeterminism error/) as unknown,
        event: { id: Number(expected?.eventId) },
      },
    });
  }
  expect(checks.get('example-basic.json')).toMatchObject({
    event: { id: 5, type: 'MarkerRecorded', detail: 'core_local_activity' },
  });
});

it('says why a history of a workflow type the code does not have fails, and a history without events', async () => {
  const pool = new ReplayPool({ workflowBundle: altered, concurrency: 1 });
  try {
    expect(await pool.replay({ workflowId: 'dag', history: load('dag-success.json') })).toMatchObject({
      ok: false,
      kind: 'ReplayError',
      error: expect.stringMatching(/dagWorkflow/) as unknown,
    });
    expect(await pool.replay({ workflowId: 'empty', history: { events: [] } })).toMatchObject({
      ok: false,
      kind: 'InvalidHistory',
    });
    // The pool still replays after both.
    expect(await pool.replay({ workflowId: 'again', history: load('example-basic.json') })).toMatchObject({
      ok: false,
      kind: 'DeterminismViolationError',
    });
  } finally {
    await pool.close();
  }
});
