/**
 * What `task retry` and `task rerun` share: the run id argument, the flags that choose every
 * failed run instead (`--failed --task --since --limit`), who acts (`--user-id`), and how the
 * outcome of many runs ends the command. Light: loaded with the command modules.
 */
import { Args, Flags } from '@oclif/core';
import type { Actor } from '../backends/backend';
import { CascadenceError, isErrorCode } from '../core/errors';
import type { FailedRunSelection, RecoveryFailure, RecoveryResult } from '../services/recovery';
import { actorFlags, actorOf } from './actor';

/** The run to act on. */
export const recoveryArgs = {
  'run-id': Args.string({ description: 'Run id (or workflow id); leave out with --failed.' }),
};

/** Choosing every failed run instead of one, and who acts. */
export const recoveryFlags = {
  failed: Flags.boolean({
    description: 'Act on every failed run that was not retried since (narrowed by --task and --since).',
    default: false,
  }),
  task: Flags.string({
    description: 'With --failed: only runs of this task (`dag:<name>` for DAG runs).',
    dependsOn: ['failed'],
  }),
  since: Flags.string({
    description: 'With --failed: only runs that failed within this long (e.g. 30m, 1h, 2d).',
    dependsOn: ['failed'],
  }),
  limit: Flags.integer({ description: 'With --failed: most runs to act on.', default: 100, min: 1 }),
  ...actorFlags,
};

/** What the parsed argument and flags ask for: one run, or the failed runs a selection names. */
export function recoveryTarget(
  verb: 'retry' | 'rerun',
  runId: string | undefined,
  flags: {
    failed: boolean;
    task?: string | undefined;
    since?: string | undefined;
    limit: number;
    'user-id'?: string | undefined;
  },
): { actor: Actor } & ({ runId: string } | { selection: FailedRunSelection }) {
  if (!runId === !flags.failed) {
    throw new CascadenceError('USAGE', 'give a run id or --failed, not both or neither', {
      hint: `task ${verb} RUN_ID, or task ${verb} --failed [--task NAME] [--since 1h]`,
    });
  }
  const actor = actorOf(flags);
  if (runId) return { actor, runId };
  return {
    actor,
    selection: {
      limit: flags.limit,
      ...(flags.task ? { task: flags.task } : {}),
      ...(flags.since ? { since: flags.since } : {}),
    },
  };
}

/**
 * The error a command over many runs ends with when some could not be acted on (after each
 * run's line was printed): the first one's code, so the exit code says what went wrong.
 */
export function recoveryFailures<T extends object>(
  verb: 'retried' | 're-run',
  results: Array<RecoveryResult<T>>,
): CascadenceError | undefined {
  const failures = results.filter((r): r is RecoveryFailure => 'error' in r);
  const first = failures[0];
  if (!first) return undefined;
  const code = isErrorCode(first.error.code) ? first.error.code : 'INTERNAL';
  return new CascadenceError(code, `${failures.length} of ${results.length} runs could not be ${verb}`, {
    hint: "each run's line above says why",
  });
}
