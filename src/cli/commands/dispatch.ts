import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { CascadenceError, isCascadenceError } from '../../core/errors';
import type { TemporalBackend } from '../../backends/temporal';

export default class Dispatch extends BaseCommand<typeof Dispatch> {
  static override summary =
    'Dispatch an event: start the event-driven workflow registered for it and wait for its result.';
  static override description =
    "Built in: calendar.event.create_request (CalendarEventCreation) and finance.decision.request (FinancialDecisionSupport), Temporal workflows whose worker calls UME_BASE_URL, FINANCE_ENGINE_URL and research_url. Prints the run id first; a failed run prints where it stopped, and `task audit <task> --run-id <id>` shows its records. User and group ids (and the payload's group_id and invitees) are hashed before they leave this process.";
  static override examples = [
    '<%= config.bin %> dispatch calendar.event.create_request --payload event.json --user-id alice --group-id engineering',
    '<%= config.bin %> dispatch finance.decision.request --payload decision.json --user-id bob --group-id finance --json',
    '<%= config.bin %> dispatch finance.decision.request --payload decision.json --user-id bob --group-id finance --detach',
  ];
  static override args = {
    event: Args.string({
      description: 'The event (calendar.event.create_request, finance.decision.request).',
      required: true,
    }),
  };
  static override flags = {
    payload: Flags.string({ description: 'JSON file holding the event payload (- for stdin; default {}).' }),
    'user-id': Flags.string({ description: 'Id of the user the event is for (hashed before use).', required: true }),
    'group-id': Flags.string({ description: 'Id of the group the event is for (hashed before use).', required: true }),
    'run-id': Flags.string({ description: 'Run id to use (default: a new UUID).' }),
    detach: Flags.boolean({ description: 'Return as soon as the workflow has started.', default: false }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Dispatch);
    const { eventWorkflow, dispatch } = await import('../../services/dispatch');
    const { task } = eventWorkflow(args.event); // an unknown event fails here, before any connection
    const payload = await readPayload(this.flags.payload);
    await this.withBackend(async (backend, config) => {
      if (backend.name !== 'temporal') {
        throw new CascadenceError(
          'UNSUPPORTED',
          `event-driven workflows run on Temporal, not on the ${backend.name} backend`,
          {
            hint: 'use --backend temporal',
          },
        );
      }
      const options = {
        userId: this.flags['user-id'],
        groupId: this.flags['group-id'],
        runId: this.flags['run-id'] ?? (await import('node:crypto')).randomUUID(),
        client: (backend as TemporalBackend).client,
        taskQueue: config.taskQueue,
        hashSecret: config.hashSecret,
      };
      if (!this.flags.json) this.log(`run-id\t${options.runId}`);
      try {
        const outcome = await dispatch(args.event, payload, { ...options, wait: !this.flags.detach });
        if (this.flags.json) {
          return this.printJson({
            event: outcome.event,
            task: outcome.task,
            run_id: outcome.runId,
            workflow_id: outcome.workflowId,
            ...(this.flags.detach ? {} : { result: outcome.result ?? null }),
          });
        }
        if (!this.flags.detach) this.log(`result\t${JSON.stringify(outcome.result ?? null)}`);
      } catch (err) {
        // A run that failed says where it stopped: its step and what it had done.
        const data = isCascadenceError(err)
          ? (err.data as { step?: string; reached?: unknown } | undefined)
          : undefined;
        if (this.flags.json && isCascadenceError(err)) {
          this.printJson({
            event: args.event,
            task,
            run_id: options.runId,
            error: { code: err.code, message: err.message, ...(data ?? {}) },
          });
        } else if (data?.step) {
          this.log(`failed-at\t${data.step}`);
          this.log(`reached\t${JSON.stringify(data.reached ?? {})}`);
        }
        throw err;
      }
    });
  }
}

/** The payload in `file` (`-`: stdin), parsed. @throws CascadenceError USAGE for a missing file or bad JSON. */
async function readPayload(file: string | undefined): Promise<unknown> {
  if (file === undefined) return {};
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new CascadenceError(
      'USAGE',
      `cannot read --payload ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CascadenceError('USAGE', `--payload ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}
