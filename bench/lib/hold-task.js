// Task module of bench/worker-memory.ts, loaded by the worker through CASCADENCE_TASK_MODULES.
// `bench-hold`: intake appends the run id to the file named by BENCH_HOLD_JOURNAL, then waits
// while the file named by BENCH_HOLD_BLOCK exists, so a thousand runs can be held in flight; the
// other stages return at once.
const { appendFileSync, existsSync } = require('node:fs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

exports.tasks = {
  'bench-hold': {
    description: 'benchmark: intake holds while a file exists',
    options: { startToCloseTimeout: '1h' },
    async intake(ctx) {
      appendFileSync(process.env.BENCH_HOLD_JOURNAL, `${ctx.runId}\n`);
      while (existsSync(process.env.BENCH_HOLD_BLOCK)) await sleep(500);
      return 'intake';
    },
    research: () => 'research',
    plan: () => 'plan',
    run: () => 'run',
    verify: () => 'ok',
  },
};
