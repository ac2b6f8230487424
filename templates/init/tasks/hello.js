// A task module: `exports.tasks = { name: task }`. Name it in `task_modules` (cascadence.yml) or
// CASCADENCE_TASK_MODULES, for the worker and for the CLI alike.
//
// A task is an object with some of the stages intake → research → plan → precheck → run → verify;
// each gets a context (`ctx.input`, `ctx.plan`, `ctx.runResult`, `ctx.signal`, ...) and may be
// async. Stages run in activities, so they may do any I/O; what they return must be JSON.

/** Errors of this type are not retried (see `nonRetryableErrorTypes` below). */
class BadInput extends Error {
  name = 'BadInput';
}

const hello = {
  description: 'Greets someone: a starting point for your own tasks',
  options: {
    retry: { maximumAttempts: 3, initialInterval: '1s', nonRetryableErrorTypes: ['BadInput'] },
    startToCloseTimeout: '30s',
  },

  // Checks the input; what it returns is kept in the audit trail (`task audit hello`).
  intake(ctx) {
    const name = ctx.input?.name ?? 'world';
    if (typeof name !== 'string' || name.trim() === '') throw new BadInput('input.name must be a non-empty string');
    return { name: name.trim() };
  },

  // Decides what to do. A plain object reaches `run` as ctx.plan; a list would be read as
  // subtasks to run first ([{ task: 'other', input: {...} }]).
  plan: (ctx) => ({ name: (ctx.input?.name ?? 'world').trim(), punctuation: ctx.input?.excited ? '!!!' : '!' }),

  // Does the work.
  run: (ctx) => `Hello, ${ctx.plan.name}${ctx.plan.punctuation}`,

  // Checks the result; what it returns is the run's result.
  verify: (ctx) => ({ greeting: ctx.runResult, verified: ctx.runResult.startsWith('Hello, ') }),
};

exports.tasks = { hello };
