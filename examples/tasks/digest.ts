/**
 * A typed task module (compile it, then name the .js in CASCADENCE_TASK_MODULES): `digest`
 * lists a GitHub repository's recent commits, summarises each in a parallel subtask and
 * joins the summaries.
 */
import { ParallelPlan, type Task } from '../../src';

const digest: Task<{ repo: string }> = {
  description: 'Summarise recent commits of a repository',
  options: {
    retry: { maximumAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: ['BadInput'] },
    startToCloseTimeout: '2m',
    heartbeatTimeout: '30s',
    fallback: { research: [] }, // used when research finally fails
    circuitBreaker: { failureThreshold: 5, recoveryTime: '1m' }, // per task stage, shared by the worker's runs
  },
  intake: (ctx) => ({ repo: ctx.input.repo }),
  research: async (ctx) => {
    const res = await fetch(`https://api.github.com/repos/${ctx.input.repo}/commits?per_page=5`, {
      signal: ctx.signal,
    });
    if (!res.ok) throw new Error(`GitHub answered ${res.status}`);
    return ((await res.json()) as Array<{ sha: string }>).map((c) => c.sha);
  },
  precheck: (ctx) => ((ctx.research as string[]).length > 0 ? true : 'nothing changed'),
  plan: (ctx) => new ParallelPlan((ctx.research as string[]).map((sha) => ({ task: 'summarise', input: { sha } }))),
  run: (ctx) => (ctx.results as string[]).join('\n'),
  verify: (ctx) => ({ digest: ctx.runResult, commits: ctx.results?.length }),
};

const summarise: Task<{ sha: string }> = {
  run: (ctx) => `commit ${ctx.input.sha.slice(0, 7)}`,
};

export const tasks = { digest, summarise };
