/**
 * `task cron run` as a real process: it fires a schedule added from another shell, and after a
 * restart it re-creates the schedules from schedules.yml.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../conformance/pipeline-suite';
import { BIN, runCli } from '../helpers/cli';

function startCron(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, 'cron', 'run', '--backend', 'cron'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

it('fires schedules added while it runs, and re-creates them after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-cron-run-'));
  const env = {
    CASCADENCE_SCHEDULES_PATH: join(dir, 'schedules.yml'),
    CASCADENCE_STATE_PATH: join(dir, 'state.json'),
    CASCADENCE_AUDIT_PATH: join(dir, 'audit.jsonl'),
  };
  const first = startCron(env);
  await eventually(() => first.output().includes('cron scheduler on'), 'the scheduler to start');
  const scheduled = await runCli(
    ['schedule', 'example', '* * * * *', '--user-id', 'u', '--group-id', 'g', '--backend', 'cron'],
    env,
  );
  expect(scheduled.stdout).toBe('example scheduled: * * * * *\n');
  await eventually(() => /example: run \S+ completed/.test(first.output()), 'the schedule to fire', 90_000);
  expect(await stop(first.child)).toBe(0);
  expect(first.output()).toMatch(/cron scheduler stopped/);

  const audit = await runCli(['audit', 'example', '--backend', 'cron', '--json'], env);
  const records = JSON.parse(audit.stdout) as Array<{ stage: string; status: string }>;
  expect(records.some((r) => r.stage === 'verify' && r.status === 'success')).toBe(true);

  const second = startCron(env);
  await eventually(
    () => second.output().includes('1 schedule(s) active'),
    'the restarted scheduler to load the schedule',
  );
  expect(await stop(second.child)).toBe(0);
}, 120_000);
