/**
 * Crash detection in seconds: two workers on one task queue, the one running a long stage
 * SIGKILLed. The stage's default heartbeat timeout (`DEFAULT_HEARTBEAT_TIMEOUT`) notices the
 * dead worker, so its retry starts on the other worker within about that time (bounded here at
 * twice it: a check of the feature, not a speed target), and the retry finds the heartbeat
 * details the stage had reported before the kill (the 1-second keep-alive must not erase them).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HEARTBEAT_TIMEOUT, durationMs } from '../../src/core';
import { eventually } from '../conformance/pipeline-suite';
import { moduleBackend, uniqueQueue } from '../helpers/temporal';
import { killHard, readJournal, spawnWorker, stopWorker } from '../helpers/workers';

const MODULE = join(__dirname, '..', 'fixtures', 'heartbeat-tasks', 'tasks.js');
const HEARTBEAT_MS = durationMs(DEFAULT_HEARTBEAT_TIMEOUT);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a stage on a SIGKILLed worker resumes on the other within the heartbeat timeout, with its details', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-heartbeat-'));
  const env = { CASCADENCE_TASK_MODULES: MODULE, HB_JOURNAL: join(dir, 'journal'), HB_BLOCK: join(dir, 'block') };
  writeFileSync(env.HB_BLOCK, '');
  const queue = uniqueQueue('heartbeat');
  const backend = await moduleBackend(queue, [MODULE]);
  const workers: ChildProcess[] = [spawnWorker(queue, env), spawnWorker(queue, env)];
  try {
    const runId = await backend.start({ task: 'longhaul', userId: 'u', groupId: 'g' });
    const mine = () => readJournal(env.HB_JOURNAL).filter((e) => e.run === runId && e.stage === 'run');
    await eventually(() => mine().some((e) => e.ev === 'checkpoint'), 'the run stage to report its checkpoint', 60_000);
    // Past the worker's 2 s heartbeat throttle, so the server has the details.
    await sleep(3000);
    const first = mine()[0];
    const victim = workers.find((w) => w.pid === first?.pid);
    expect(victim).toBeDefined();
    const killedAt = Date.now();
    await killHard(victim as ChildProcess);

    await eventually(() => mine().filter((e) => e.ev === 'start').length >= 2, 'the retry', 4 * HEARTBEAT_MS);
    const retry = mine().filter((e) => e.ev === 'start')[1];
    const resumedMs = (retry?.t ?? Infinity) - killedAt;
    console.log(`worker-heartbeat: the stage resumed ${resumedMs} ms after its worker was killed`);
    expect(retry?.pid).not.toBe(first?.pid);
    expect(retry?.attempt).toBe(2);
    expect(retry?.details).toEqual({ checkpoint: 'rows', done: 3 });
    expect(resumedMs).toBeLessThanOrEqual(2 * HEARTBEAT_MS);

    rmSync(env.HB_BLOCK);
    const result = await backend.client.workflow.getHandle(`longhaul-${runId}`).result();
    expect(result).toEqual({ resumedFrom: { checkpoint: 'rows', done: 3 } });
    // intake ran once: it had completed before the kill.
    const intakes = readJournal(env.HB_JOURNAL).filter((e) => e.run === runId && e.stage === 'intake');
    expect(intakes).toHaveLength(1);
  } finally {
    for (const w of workers) await stopWorker(w);
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
