/**
 * Workers SIGKILLed at random moments (issue 14, part 5): two `task worker` processes on one task
 * queue, one of them SIGKILLed at seeded random moments and restarted each time, during pipeline
 * runs and then during a DAG of child pipelines and lightweight nodes. What must hold:
 * - every run completes (the DAG with every node succeeded);
 * - each run interrupted by a kill (a stage in progress on the killed worker) starts its next
 *   stage within twice the heartbeat timeout of the kill;
 * - no completed stage runs twice: a stage runs again only when its earlier execution was on a
 *   killed worker, and then only if it had not finished or finished in the instant before the
 *   kill (its result not yet reported); no stage ever starts after a later stage of its run;
 * - each pipeline's audit trail is exactly a start and a success per stage, in order;
 * - every expected event is on NATS once (JetStream, read back message by message).
 * Every stage appends its start and end to a journal (run, node, stage, pid, time). Trimmed in
 * `npm test`; full (20 runs, 200 nodes) with CASCADENCE_RELIABILITY=full. CASCADENCE_KILL_SEED
 * replays a seed. The counts go to the log and to .cascadence/reliability/worker-kill-random.json.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemporalBackend } from '../../src/backends/temporal';
import {
  DEFAULT_HEARTBEAT_TIMEOUT,
  durationMs,
  type DagDefinition,
  type DagNode,
  type DagResult,
} from '../../src/core';
import { dagWorkflowId } from '../../src/core/ids';
import type { AuditRecord } from '../../src/core/pipeline';
import { auditQuery } from '../../src/workflows/messages';
import { NatsServer } from '../helpers/nats';
import { moduleBackend, uniqueQueue } from '../helpers/temporal';
import { mulberry32 } from '../../bench/lib/harness';
import { killHard, readJournal, spawnWorker, stopWorker, type JournalEntry } from '../helpers/workers';

const FULL = process.env.CASCADENCE_RELIABILITY === 'full';
const SIZE = FULL
  ? { runs: 20, pipelineKills: 8, layers: 10, width: 20, dagKills: 8 }
  : { runs: 6, pipelineKills: 2, layers: 5, width: 8, dagKills: 2 };
const HEARTBEAT_MS = durationMs(DEFAULT_HEARTBEAT_TIMEOUT);
/** How long before a kill a stage may have finished without its result reaching the server. */
const UNREPORTED_MS = 1000;
const MODULE = join(__dirname, '..', 'fixtures', 'heartbeat-tasks', 'tasks.js');
const STAGES: Record<string, string[]> = {
  chain: ['intake', 'research', 'plan', 'run', 'verify'],
  node: ['intake', 'run'],
  leaf: ['run'],
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A successful run's audit trail: a start and a success per stage the task has, the others skipped. */
const trailOf = (task: string): string[] =>
  STAGES.chain!.flatMap((s) => (STAGES[task]?.includes(s) ? [`${s}:started`, `${s}:success`] : [`${s}:skipped`]));

const SEED = Number(process.env.CASCADENCE_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = mulberry32(SEED);
const between = (lo: number, hi: number) => lo + random() * (hi - lo);

interface Kill {
  pid: number;
  t: number;
  phase: 'pipelines' | 'dag';
}

let nats: NatsServer;
let backend: TemporalBackend;
let dir: string;
let journal: string;
let taskQueue: string;
let subject: string;
const kills: Kill[] = [];
const workers: { steady?: ChildProcess; victim?: ChildProcess } = {};
const spawned: ChildProcess[] = [];
let startVictim: () => void;

beforeAll(async () => {
  console.log(`worker-kill-random: seed ${SEED} (CASCADENCE_KILL_SEED=${SEED} replays it)`);
  nats = await NatsServer.start();
  dir = mkdtempSync(join(tmpdir(), 'cascadence-kill-'));
  journal = join(dir, 'journal');
  taskQueue = uniqueQueue('kill');
  subject = `kill${randomUUID().slice(0, 8)}`;
  const env = (slot: string): NodeJS.ProcessEnv => {
    mkdirSync(join(dir, `outbox-${slot}`), { recursive: true });
    return {
      CASCADENCE_TASK_MODULES: MODULE,
      CASCADENCE_EVENTS: 'nats',
      UME_NATS_URL: nats.url,
      UME_NATS_SUBJECT: subject,
      // A restarted worker takes over its predecessor's outbox (what it had not published yet).
      CASCADENCE_OUTBOX_PATH: join(dir, `outbox-${slot}`),
      HOME: dir,
      HB_JOURNAL: journal,
    };
  };
  const spawnIn = (slot: 'steady' | 'victim') => {
    const child = spawnWorker(taskQueue, env(slot));
    spawned.push(child);
    workers[slot] = child;
  };
  spawnIn('steady');
  startVictim = () => spawnIn('victim');
  startVictim();
  backend = await moduleBackend(taskQueue, [MODULE]);
});

afterAll(async () => {
  for (const w of spawned) await stopWorker(w);
  await backend?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Kills the victim worker at random moments (1.5 to 5 s apart) until `done` settles or `max` kills. */
async function killAtRandom(phase: Kill['phase'], max: number, done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.finally(() => (settled = true)).catch(() => undefined);
  for (let n = 0; n < max && !settled; n++) {
    const wait = between(1500, 5000);
    const until = Date.now() + wait;
    while (!settled && Date.now() < until) await sleep(50);
    if (settled) break;
    const victim = workers.victim as ChildProcess;
    kills.push({ pid: victim.pid as number, t: Date.now(), phase });
    await killHard(victim);
    startVictim();
  }
}

/** Journal entries of one unit of work (a pipeline run, or a DAG node): `run/node`. */
const unitOf = (e: JournalEntry) => `${e.run}/${e.node ?? ''}`;
const keyOf = (e: JournalEntry) => `${unitOf(e)}/${e.stage}`;

/** The checks on the journal; returns the figures. Fails the test with every violation listed. */
function checkJournal(entries: JournalEntry[], units: Map<string, string>) {
  const killedAt = new Map(kills.map((k) => [k.pid, k.t]));
  const violations: string[] = [];
  const starts = entries.filter((e) => e.ev === 'start');
  const byKey = new Map<string, JournalEntry[]>();
  for (const e of entries) byKey.set(keyOf(e), [...(byKey.get(keyOf(e)) ?? []), e]);
  let unreported = 0;
  // Every stage of every unit ran to its end; an execution before the last was on a killed worker.
  for (const [unit, task] of units) {
    for (const stage of STAGES[task] ?? []) {
      const mine = byKey.get(`${unit}/${stage}`) ?? [];
      const runs = mine.filter((e) => e.ev === 'start');
      const last = runs.at(-1);
      if (!last || !mine.some((e) => e.ev === 'done' && e.pid === last.pid && e.t >= last.t)) {
        violations.push(`${unit} ${stage}: never finished`);
        continue;
      }
      for (const earlier of runs.slice(0, -1)) {
        const kill = killedAt.get(earlier.pid);
        if (kill === undefined) {
          violations.push(`${unit} ${stage}: ran again after an execution on a worker that was not killed`);
          continue;
        }
        const done = mine.find((e) => e.ev === 'done' && e.pid === earlier.pid && e.t >= earlier.t);
        if (done && kill - done.t > UNREPORTED_MS) {
          violations.push(`${unit} ${stage}: completed ${kill - done.t} ms before the kill, then ran again`);
        } else if (done) unreported++;
      }
    }
  }
  // The run never went back: no stage starts after a later stage of the same unit started.
  const order = new Map<string, number>();
  for (const e of [...starts].sort((a, b) => a.t - b.t)) {
    const index = (STAGES[units.get(unitOf(e)) ?? ''] ?? []).indexOf(e.stage);
    const reached = order.get(unitOf(e)) ?? -1;
    if (index < reached) violations.push(`${unitOf(e)} ${e.stage}: started after a later stage`);
    order.set(unitOf(e), Math.max(reached, index));
  }
  // Each unit interrupted by a kill starts its next stage within twice the heartbeat timeout.
  const resumes: number[] = [];
  for (const kill of kills) {
    const interrupted = new Set(
      starts
        .filter((s) => s.pid === kill.pid && s.t <= kill.t)
        .filter((s) => !entries.some((d) => d.ev === 'done' && d.pid === kill.pid && keyOf(d) === keyOf(s)))
        .map(unitOf),
    );
    for (const unit of interrupted) {
      const next = starts.find((s) => unitOf(s) === unit && s.t > kill.t);
      const ms = next ? next.t - kill.t : Infinity;
      resumes.push(ms);
      if (ms > 2 * HEARTBEAT_MS) violations.push(`${unit}: resumed ${ms} ms after the kill at ${kill.t}`);
    }
  }
  expect(violations).toEqual([]);
  const sorted = [...resumes].sort((a, b) => a - b);
  return {
    stages: [...units.values()].reduce((n, task) => n + (STAGES[task]?.length ?? 0), 0),
    executions: starts.length,
    reran: starts.length - byKey.size,
    unreported,
    interrupted: resumes.length,
    resumeMs: {
      min: sorted[0] ?? null,
      median: sorted[Math.floor(sorted.length / 2)] ?? null,
      max: sorted.at(-1) ?? null,
    },
  };
}

/** A pipeline's audit trail is a start and a success per stage, in order (no gap, no duplicate): {@link trailOf}. */
async function checkAudit(workflowId: string, task: string): Promise<number> {
  const records: AuditRecord[] = await backend.client.workflow.getHandle(workflowId).query(auditQuery);
  const trail = records.map((r) => `${r.stage}:${r.status}`);
  expect({ workflowId, trail }).toEqual({
    workflowId,
    trail: trailOf(task),
  });
  return records.length;
}

/** Every expected event of `pipelines` (workflow id to task) is on the stream once; returns how many. */
async function checkEvents(pipelines: Map<string, string>): Promise<number> {
  // Per audit record its `audit_record`, and `task_spec` (a start) or `stage_update` (an end); then `task_run`.
  const expectedOf = (task: string) => {
    const trail = trailOf(task);
    const started = trail.filter((t) => t.endsWith(':started')).length;
    return { audit_record: trail.length, stage_update: trail.length - started, task_run: 1, task_spec: started };
  };
  const total = [...pipelines.values()].reduce((n, task) => n + 2 * trailOf(task).length + 1, 0);
  const stream = subject.toUpperCase();
  const mine = async () => (await nats.messages(stream)).map((m) => m.event);
  const deadline = Date.now() + 120_000;
  let events = await mine();
  const counted = () => events.filter((e) => pipelines.has(String(e.workflow_id))).length;
  while (counted() < total && Date.now() < deadline) {
    await sleep(1000);
    events = await mine();
  }
  const ids = events.map((e) => String(e.event_id));
  expect(ids.length - new Set(ids).size).toBe(0);
  const seen = new Map<string, Record<string, number>>();
  for (const e of events) {
    const wf = String(e.workflow_id);
    if (!pipelines.has(wf)) continue;
    const counts = seen.get(wf) ?? {};
    counts[String(e.event_type)] = (counts[String(e.event_type)] ?? 0) + 1;
    seen.set(wf, counts);
  }
  const wrong = [...pipelines].filter(
    ([wf, task]) => JSON.stringify(sortedKeys(seen.get(wf) ?? {})) !== JSON.stringify(sortedKeys(expectedOf(task))),
  );
  // On a failure, the ids of the first wrong workflow's events say which were repeated or missing.
  const ids0 = wrong[0] && ids.filter((id) => id.startsWith(`${wrong[0]?.[0]}@`) || id.startsWith(`${wrong[0]?.[0]}#`));
  expect({ wrong: wrong.map(([wf]) => ({ wf, got: seen.get(wf) })), firstIds: ids0 }).toEqual({
    wrong: [],
    firstIds: undefined,
  });
  return counted();
}

const sortedKeys = (o: Record<string, number>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

test(`workers SIGKILLed at random during ${SIZE.runs} pipeline runs and a ${SIZE.layers * SIZE.width}-node DAG`, async () => {
  const began = Date.now();
  // Pipelines: started 400 ms apart, stages of 300 to 1,200 ms.
  const runIds: string[] = [];
  const results: Array<Promise<unknown>> = [];
  const starting = (async () => {
    for (let i = 0; i < SIZE.runs; i++) {
      const runId = await backend.start({
        task: 'chain',
        userId: `kill-user-${i}`,
        groupId: 'kill-group',
        input: { ms: Math.round(between(300, 1200)) },
      });
      runIds.push(runId);
      results.push(backend.client.workflow.getHandle(`chain-${runId}`).result());
      await sleep(400);
    }
  })();
  const allPipelines = starting.then(() => Promise.all(results));
  await killAtRandom('pipelines', SIZE.pipelineKills, allPipelines);
  const outputs = (await allPipelines) as unknown[];
  expect(outputs).toEqual(runIds.map((id) => `verify:${id}`));
  const pipelinesMs = Date.now() - began;

  // The DAG: layers of `width` nodes, each on two nodes of the layer before; every fourth node lightweight.
  const nodes: DagNode[] = [];
  for (let layer = 0; layer < SIZE.layers; layer++) {
    for (let i = 0; i < SIZE.width; i++) {
      const id = `n${layer}-${i}`;
      const lightweight = (layer * SIZE.width + i) % 4 === 3;
      const deps =
        layer === 0 ? [] : [...new Set([0, 1].map(() => `n${layer - 1}-${Math.floor(random() * SIZE.width)}`))].sort();
      nodes.push({
        id,
        task: lightweight ? 'leaf' : 'node',
        input: { node: id, ms: Math.round(between(200, 600)) },
        ...(deps.length ? { dependsOn: deps } : {}),
        ...(lightweight ? { lightweight: true } : {}),
      });
    }
  }
  const definition: DagDefinition = { name: 'killed', nodes };
  const dagBegan = Date.now();
  const handle = await backend.startDagWorkflow({ definition, userId: 'kill-user-dag', groupId: 'kill-group' });
  const dagResult = handle.result() as Promise<DagResult>;
  await killAtRandom('dag', SIZE.dagKills, dagResult);
  const dag = await dagResult;
  expect(dag.state).toBe('completed');
  expect(Object.values(dag.nodes).filter((s) => s.state !== 'success')).toEqual([]);
  const dagMs = Date.now() - dagBegan;
  const dagRunId = dag.runId;

  // The journal: completions, reruns, resumes.
  const units = new Map<string, string>([
    ...runIds.map((id): [string, string] => [`${id}/`, 'chain']),
    ...nodes.map((n): [string, string] => [`${dagRunId}/${n.id}`, n.task]),
  ]);
  const figures = checkJournal(readJournal(journal), units);

  // Audit trails and events of every pipeline (the runs and the DAG's child pipelines).
  const pipelines = new Map<string, string>([
    ...runIds.map((id): [string, string] => [`chain-${id}`, 'chain']),
    ...nodes
      .filter((n) => !n.lightweight)
      .map((n): [string, string] => [`${dagWorkflowId('killed', dagRunId)}/${n.id}`, n.task]),
  ]);
  let auditRecords = 0;
  for (const [wf, task] of pipelines) auditRecords += await checkAudit(wf, task);
  const events = await checkEvents(pipelines);

  const report = {
    date: new Date().toISOString(),
    mode: FULL ? 'full' : 'trimmed',
    seed: SEED,
    heartbeatTimeoutMs: HEARTBEAT_MS,
    pipelineRuns: SIZE.runs,
    dagNodes: nodes.length,
    dagLightweightNodes: nodes.filter((n) => n.lightweight).length,
    kills: kills.length,
    killsDuringPipelines: kills.filter((k) => k.phase === 'pipelines').length,
    killsDuringDag: kills.filter((k) => k.phase === 'dag').length,
    ...figures,
    auditRecordsChecked: auditRecords,
    eventsChecked: events,
    pipelinesMs,
    dagMs,
  };
  mkdirSync(join(process.cwd(), '.cascadence', 'reliability'), { recursive: true });
  writeFileSync(
    join(process.cwd(), '.cascadence', 'reliability', 'worker-kill-random.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  console.log(`worker-kill-random: ${JSON.stringify(report)}`);
}, 900_000);
