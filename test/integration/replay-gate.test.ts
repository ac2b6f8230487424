/**
 * The replay gate (`task replay --recent N`, the built CLI as a subprocess) on the suite's dev
 * server: the runs made here (pipelines, a DAG and its child pipelines) replay against today's
 * workflow code (exit 0), and against the deliberately altered workflow of test/replay/altered
 * every run that no longer replays is named with its first mismatching event (exit 5). The
 * global teardown runs the same gate over every closed run the whole suite produced.
 */
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import type { ReplayGateReport } from '../../src/services/replay-gate';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { runCli } from '../helpers/cli';
import { connect, serverAddress, startTestWorker, type TestConnections } from '../helpers/temporal';

const ALTERED = join(__dirname, '..', 'replay', 'altered', 'index.ts');
const IDS = { userId: 'replay-gate-user', groupId: 'replay-gate-group' };

let conns: TestConnections;
let backend: TemporalBackend;
let taskQueue: string;
let stop: () => Promise<void>;
/** Workflow ids of the runs of `example` made here: the first pipeline, the last one, the DAG's two nodes. */
const pipelines: string[] = [];
let dag = '';
let closedRuns = 0;

beforeAll(async () => {
  conns = await connect();
  ({
    backend,
    taskQueue,
    close: stop,
  } = await startTestWorker(conns, createDefaultRegistry(), { prefix: 'replay-gate' }));
  const first = await backend.run({ task: 'example', ...IDS, input: { name: 'Ada' } });
  pipelines.push(`example-${first.runId}`);
  const handle = await backend.startDagWorkflow({
    definition: {
      name: 'replay-gate',
      nodes: [
        { id: 'a', task: 'example', input: { name: 'A' } },
        { id: 'b', task: 'example', input: { name: 'B' }, dependsOn: ['a'] },
      ],
    },
    ...IDS,
  });
  await handle.result();
  dag = handle.workflowId;
  const last = await backend.run({ task: 'example', ...IDS, input: { name: 'Grace' } });
  pipelines.push(`example-${last.runId}`, `${dag}/a`, `${dag}/b`);
  // Two pipelines, the DAG and its two nodes, and the task queue's catalogue (still running).
  closedRuns = 5;
  // Visibility indexes a closed run a moment after it closes.
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'`;
  for (let i = 0; i < 100 && (await conns.client.workflow.count(query)).count < closedRuns; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  await stop();
  await conns.close();
});

const task = (args: string[]) =>
  runCli(['replay', ...args, '--task-queue', taskQueue], { TEMPORAL_ADDRESS: serverAddress() }, 120_000);

/** The first event after the first workflow task completed: the first command the run recorded. */
async function firstCommandEvent(workflowId: string): Promise<number> {
  const events = (await conns.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const completed = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  return Number(events[completed + 1]?.eventId);
}

it('replays the recent closed runs against today’s workflows: a summary, exit 0', async () => {
  const text = await task(['--recent', '20']);
  expect(text).toMatchObject({ code: 0, stderr: '' });
  expect(text.stdout.trim().split('\n')).toEqual([
    `replayed ${closedRuns} closed runs (dagWorkflow 1, pipelineWorkflow 4), 4 at a time: ${closedRuns} ok, 0 no longer replay`,
  ]);

  const json = await task(['--recent', '20', '--json', '--since', '1h']);
  expect(json).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(json.stdout) as ReplayGateReport).toMatchObject({
    replayed: closedRuns,
    ok: closedRuns,
    failed: 0,
    types: { pipelineWorkflow: 4, dagWorkflow: 1 },
    failures: [],
  });
});

it('after a deliberately altered workflow: exit 5, naming every run and its first mismatching event', async () => {
  // The altered pipeline workflow: the DAG's nodes are runs of `example` too.
  const result = await task(['--recent', '20', '--task', 'example', '--workflows', ALTERED]);
  expect(result.code).toBe(5);
  const [summary, ...lines] = result.stdout.trim().split('\n');
  expect(summary).toBe('replayed 4 closed runs (pipelineWorkflow 4), 4 at a time: 0 ok, 4 no longer replay');
  const named = lines.map((line) => /^FAIL (\S+) /.exec(line)?.[1]);
  expect([...named].sort()).toEqual([...pipelines].sort());
  expect(named[0]).toBe(pipelines[1]); // most recently closed first
  for (const [i, workflowId] of named.entries()) {
    const event = await firstCommandEvent(workflowId as string);
    expect(lines[i]).toMatch(
      new RegExp(
        `^FAIL ${workflowId} \\(run [0-9a-f-]{36}, pipelineWorkflow, completed \\S+\\): event ${event} \\w+( \\(.+\\))?: \\[TMPRL1100\\] Nondeterminism error: `,
      ),
    );
  }
  expect(result.stderr).toMatch(
    new RegExp(
      `^error: 4 of 4 closed runs no longer replay against this workflow code: ${pipelines[1]} at event \\d+ .* and 3 more \\(guard the change with patched\\(\\)`,
    ),
  );

  const json = await task(['--recent', '1', '--workflows', ALTERED, '--json']);
  expect(json.code).toBe(5);
  const report = JSON.parse(json.stdout) as ReplayGateReport;
  expect(report).toMatchObject({ replayed: 1, ok: 0, failed: 1 });
  expect(report.failures).toEqual([
    expect.objectContaining({
      workflow_id: pipelines[1],
      task: 'example',
      type: 'pipelineWorkflow',
      status: 'completed',
      kind: 'DeterminismViolationError',
      event: expect.objectContaining({ id: await firstCommandEvent(pipelines[1] as string) }) as unknown,
    }),
  ]);
});

it('--since narrows to recently closed runs; --task and --since need --recent; a bad duration exits 2', async () => {
  const none = await task(['--recent', '20', '--since', '1ms']);
  expect(none).toMatchObject({ code: 0, stdout: 'no closed runs to replay\n' });
  expect(await task(['--task', 'example'])).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/give either a run id or --file or --recent N/) as unknown,
  });
  expect(await task(['--file', 'x.json', '--since', '1h'])).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/--task and --since go with --recent N/) as unknown,
  });
  expect(await task(['--recent', '5', '--since', 'soon'])).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/invalid duration "soon"/) as unknown,
  });
});
