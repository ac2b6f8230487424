/**
 * The built-in research and planning providers (the original's optional `tino_storm` and
 * `ai_plan`), used for tasks without a `research` or `plan` method: research through an HTTP
 * endpoint (`research_url`), planning through a command (`plan_command`) that reads the task's
 * input on stdin and prints a plan as JSON, with the user's ideas (`task ai-idea`) as hints.
 * Only hashed ids leave the process. Node-only.
 */
import { CascadenceError, isCascadenceError } from '../core/errors';
import { normalisePlan } from '../core/plan';
import type { StageContext } from '../core/task';
import type { CascadenceConfig } from '../config/config';
import { IdeaStore, type IdeaFilter, type IdeaSeed } from '../stores/idea-store';
import { postJson, runCommand } from './external';
import type { Providers } from './registry';

/** Most idea seeds offered to the planning command as hints (the latest ones). */
export const MAX_PLAN_HINTS = 20;

/** What the research endpoint receives (JSON): the query, and who asks by hash only. */
export interface ResearchRequest {
  query: string;
  task: string;
  run_id: string;
  user_hash: string;
  group_hash: string;
}

/** What the planning command reads on stdin (JSON). */
export interface PlanRequest {
  task: string;
  run_id: string;
  user_hash: string;
  group_hash: string;
  /** The run's input. */
  input: unknown;
  /** The research stage's result, when there was one. */
  research?: unknown;
  /** Texts of the idea seeds the same user sent (in this group or in none), oldest first. */
  hints: string[];
}

/** Where idea hints come from: the idea store, or anything listing seeds the same way. */
export interface IdeaSource {
  list(filter?: IdeaFilter): readonly IdeaSeed[] | Promise<readonly IdeaSeed[]>;
}

/** Options of the providers. */
export interface ProviderOptions {
  /** Milliseconds per request or command (default 30 s). */
  timeoutMs?: number;
}

type ResearchProvider = NonNullable<Providers['research']>;
type PlanProvider = NonNullable<Providers['plan']>;

/**
 * The query researched for a task without a `research` method: the input's `query`, else the
 * input itself when it is a string, else the task's name.
 */
export function researchQuery(ctx: Pick<StageContext, 'input' | 'task'>): string {
  const input = ctx.input;
  if (typeof input === 'string' && input !== '') return input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const query = (input as { query?: unknown }).query;
    if (typeof query === 'string' && query !== '') return query;
  }
  return ctx.task;
}

/**
 * Research through `POST url` with a {@link ResearchRequest}; the answer (parsed when it is JSON,
 * else its text, trimmed) is the research result handed to `plan`.
 * @throws CascadenceError CONFIG for a URL that is not http(s).
 */
export function httpResearchProvider(url: string, options: ProviderOptions = {}): ResearchProvider {
  checkHttpUrl(url, 'research_url');
  const label = `research POST ${url}`;
  return async (ctx) => {
    const body: ResearchRequest = {
      query: researchQuery(ctx),
      task: ctx.task,
      run_id: ctx.runId,
      user_hash: ctx.userHash,
      group_hash: ctx.groupHash,
    };
    const res = await postJson(url, body, {
      label,
      signal: ctx.signal,
      heartbeat: (d) => ctx.heartbeat(d),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    if (/\bjson\b/i.test(res.contentType) && res.text.trim() !== '') {
      try {
        return JSON.parse(res.text) as unknown;
      } catch {
        throw new CascadenceError('STAGE_FAILED', `${label} answered with invalid JSON`);
      }
    }
    return res.text.trim();
  };
}

/**
 * Planning through a command: `argv` runs without a shell, reads a {@link PlanRequest} as JSON on
 * stdin and prints the plan as JSON on stdout: a list of subtasks, a parallel plan or any value
 * for `run`, validated like the plan of any task (and then checked against the registered tasks).
 * @throws CascadenceError CONFIG for an empty command.
 */
export function commandPlanProvider(
  argv: readonly string[],
  options: ProviderOptions & { ideas?: IdeaSource } = {},
): PlanProvider {
  if (argv.length === 0 || !argv[0]) throw new CascadenceError('CONFIG', 'plan_command names no program');
  const command = [...argv];
  const label = `plan command ${command.join(' ')}`;
  return async (ctx) => {
    const request: PlanRequest = {
      task: ctx.task,
      run_id: ctx.runId,
      user_hash: ctx.userHash,
      group_hash: ctx.groupHash,
      input: ctx.input ?? null,
      ...(ctx.research === undefined ? {} : { research: ctx.research }),
      hints: options.ideas ? await ideaHints(options.ideas, ctx) : [],
    };
    const { stdout } = await runCommand(command, `${JSON.stringify(request)}\n`, {
      label,
      signal: ctx.signal,
      heartbeat: (d) => ctx.heartbeat(d),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    if (stdout.trim() === '') {
      throw new CascadenceError('INVALID_PLAN', `${label} printed no plan`, {
        hint: 'print the plan as JSON on stdout',
      });
    }
    let plan: unknown;
    try {
      plan = JSON.parse(stdout) as unknown;
    } catch (err) {
      throw new CascadenceError(
        'INVALID_PLAN',
        `${label} printed something that is not JSON: ${(err as Error).message}`,
        {
          hint: 'print only the plan, as JSON, on stdout (diagnostics go to stderr)',
        },
      );
    }
    try {
      normalisePlan(plan);
    } catch (err) {
      if (!isCascadenceError(err)) throw err;
      // No cause: clients show the deepest message of a chain, which would drop the command's name.
      throw new CascadenceError(err.code, `${label}: ${err.message}`, err.hint ? { hint: err.hint } : {});
    }
    return plan;
  };
}

/** The texts of the latest idea seeds of the run's user, in its group or in none, oldest first. */
async function ideaHints(ideas: IdeaSource, ctx: Pick<StageContext, 'userHash' | 'groupHash'>): Promise<string[]> {
  const seeds = await ideas.list({ userHash: ctx.userHash });
  return seeds
    .filter((s) => s.user_hash === ctx.userHash && (s.group_hash === undefined || s.group_hash === ctx.groupHash))
    .slice(-MAX_PLAN_HINTS)
    .map((s) => s.text);
}

function checkHttpUrl(url: string, what: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new CascadenceError('CONFIG', `${what} ${JSON.stringify(url)} is not an http(s) URL`, {
      hint: 'e.g. research_url: http://localhost:9000/research',
    });
  }
}

/**
 * The providers the configuration asks for: research through `researchUrl`, planning through
 * `planCommand` with hints from the idea store (`ideasPath`). Unset settings give no provider.
 * @throws CascadenceError CONFIG for a research URL that is not http(s).
 */
export function createProviders(
  config: Pick<CascadenceConfig, 'researchUrl' | 'planCommand' | 'ideasPath'>,
  options: ProviderOptions = {},
): Providers {
  return {
    ...(config.researchUrl ? { research: httpResearchProvider(config.researchUrl, options) } : {}),
    ...(config.planCommand && config.planCommand.length > 0
      ? { plan: commandPlanProvider(config.planCommand, { ...options, ideas: new IdeaStore(config.ideasPath) }) }
      : {}),
  };
}
