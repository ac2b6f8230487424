/**
 * `task run` on a terminal (a real pseudo-terminal through tmux): live progress of a multi-stage
 * run, and Ctrl+C detaching without cancelling, with the commands to reattach or cancel.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createDefaultRegistry, loadTaskModules } from '../../src/plugins';
import { eventually } from '../conformance/pipeline-suite';
import { BIN, runCli } from '../helpers/cli';
import { connect, serverAddress, uniqueQueue, withWorker, type TestConnections } from '../helpers/temporal';

const MODULE = join(__dirname, '..', '..', 'examples', 'tasks', 'tasks.js');
let conns: TestConnections;
beforeAll(async () => {
  conns = await connect();
});
afterAll(async () => {
  await conns.close();
});

const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });

it('shows live progress on a terminal, and Ctrl+C detaches without cancelling', async () => {
  const queue = uniqueQueue('tty');
  const session = `cascadence-${randomUUID().slice(0, 8)}`;
  const env = `CASCADENCE_TASK_MODULES=${MODULE} CASCADENCE_STATE_PATH=/tmp/${session}.json`;
  const command = `${env} ${process.execPath} ${BIN} run report --user-id a --group-id b --address ${serverAddress()} --task-queue ${queue}`;
  await withWorker(conns, loadTaskModules(createDefaultRegistry(), [MODULE]), queue, async () => {
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', `${command}; echo EXIT=$?; sleep 30`);
    try {
      const screen = (): string => tmux('capture-pane', '-p', '-t', session);
      // Progress while it runs: stages as they finish, then the parallel subtasks.
      await eventually(() => /run\s+running/.test(screen()), 'the run stage to start');
      const shown = screen();
      expect(shown).toMatch(/^run-id\s+[0-9a-f-]{36}/m);
      expect(shown).toMatch(/intake\s+success \d+ms/);
      expect(shown).toMatch(/plan\s+success \d+ms/);
      // The stages in pipeline order (a skipped research before plan, not after run), in aligned columns.
      const lines = shown.split('\n');
      const row = (stage: string): number => lines.findIndex((l) => new RegExp(`^\\s+${stage}\\s`).test(l));
      const order = ['intake', 'research', 'plan', 'precheck', 'run'].map(row);
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((x, y) => x - y)).toEqual(order);
      const column = (stage: string): number => (lines[row(stage)] ?? '').search(/(success|skipped|running)/);
      expect(new Set(['intake', 'research', 'plan', 'precheck', 'run'].map(column)).size).toBe(1);
      expect(lines[row('research')]).toMatch(/skipped\s+no research method/);
      // The subtask counts on their own line, and the running stage's time going up in place.
      await eventually(() => /^\s+subtasks\s+\d\/3 done/m.test(screen()), 'the subtask counts');
      const elapsed = (): number => Number(/run\s+running (\d+\.\d)s/.exec(screen())?.[1] ?? NaN);
      const first = elapsed();
      await eventually(() => elapsed() > first, 'the elapsed time to go up');
      expect(screen().match(/run\s+running/g)).toHaveLength(1);
      tmux('send-keys', '-t', session, 'C-c');
      await eventually(() => screen().includes('EXIT='), 'the CLI to exit');
      const final = screen();
      const runId = /run-id\s+([0-9a-f-]{36})/.exec(final)?.[1] as string;
      expect(final).toContain(
        `detached: run ${runId} goes on; follow it with \`task watch ${runId}\`, stop it with \`task cancel ${runId}\``,
      );
      expect(final).toContain('EXIT=0');
      // Not cancelled: it finishes, and `task watch` reattaches to print its result.
      const watched = await runCli(['watch', runId, '--address', serverAddress()], { CASCADENCE_TASK_MODULES: MODULE });
      expect(watched.code).toBe(0);
      expect(watched.stdout).toMatch(/result\t\{"total":14,"notes":\[\],"ok":true\}\n$/);
    } finally {
      tmux('kill-session', '-t', session);
    }
  });
});
