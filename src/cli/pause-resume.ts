/**
 * `task pause` and `task resume` share their arguments, their flags and their output.
 */
import { Args, Flags } from '@oclif/core';
import type { PauseTarget } from '../backends/backend';
import { actorFlags, actorOf } from './actor';
import { BaseCommand } from './base-command';

/** Base of `task pause` and `task resume`. */
export abstract class PauseResumeCommand extends BaseCommand<typeof PauseResumeCommand> {
  static override args = { name: Args.string({ description: 'Registered task name.', required: true }) };
  static override flags = {
    'run-id': Flags.string({ description: 'The run to act on (default: the latest running run of the task).' }),
    'group-id': Flags.string({ description: 'Only consider runs of this group (hashed before use).', required: true }),
    ...actorFlags,
  };

  protected abstract readonly verb: 'paused' | 'resumed';

  async run(): Promise<void> {
    // oclif spreads the options object, which drops inherited statics: name them explicitly.
    const { args } = await this.parse({
      args: PauseResumeCommand.args,
      flags: PauseResumeCommand.flags,
      baseFlags: PauseResumeCommand.baseFlags,
    });
    const selector = {
      groupId: this.flags['group-id'],
      ...(this.flags['run-id'] ? { runId: this.flags['run-id'] } : {}),
    };
    const { setTaskPaused } = await import('../services/admin');
    const target = await this.withBackend((b) =>
      setTaskPaused(b, args.name, this.verb === 'paused', selector, actorOf(this.flags)),
    );
    if (this.flags.json) return this.printJson({ task: args.name, action: this.verb, ...target });
    this.log(describeTarget(args.name, this.verb, target));
  }
}

/** The line a pause or resume prints: `<name> paused`, `<name> paused: run <id>`, with `(already ...)` for no-ops. */
export function describeTarget(name: string, verb: 'paused' | 'resumed', target: PauseTarget): string {
  const what = target.target === 'task' ? `${name} ${verb}` : `${name} ${verb}: run ${target.runId}`;
  return target.changed ? what : `${what} (already ${verb === 'paused' ? 'paused' : 'running'})`;
}
