// Example task module: `CASCADENCE_TASK_MODULES=examples/tasks/tasks.js task worker` (and the
// same variable for the CLI) registers these beside the built-in `example` task.
const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('cancelled'))), { once: true });
  });

/** Fetches one source (a stand-in for real I/O). */
const fetchSource = {
  description: 'Fetch one source',
  async run(ctx) {
    await sleep(500, ctx.signal);
    return { source: ctx.input.source, items: ctx.input.source.length };
  },
};

/** Plans one fetch per source, run in parallel, then summarises; verify checks the summary. */
const report = {
  description: 'Fetch sources in parallel and summarise them',
  options: { retry: { maximumAttempts: 3, initialInterval: '1s' }, startToCloseTimeout: '1m' },
  intake: (ctx) => ({ sources: ctx.input?.sources ?? ['alpha', 'beta', 'gamma'] }),
  precheck: (ctx) => (ctx.input?.sources?.length === 0 ? 'nothing to fetch' : true),
  plan: (ctx) => ({
    execution: 'parallel',
    tasks: (ctx.input?.sources ?? ['alpha', 'beta', 'gamma']).map((source) => ({
      task: 'fetch-source',
      input: { source },
    })),
  }),
  async run(ctx) {
    await sleep(2000, ctx.signal); // time to try `task pause` / `task signal`
    return { total: ctx.results.reduce((n, r) => n + r.items, 0), notes: ctx.context.map((c) => c.note ?? c.url) };
  },
  verify: (ctx) => ({ ...ctx.runResult, ok: ctx.runResult.total > 0 }),
};

exports.tasks = { 'fetch-source': fetchSource, report };
