import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import type { AnyUmeEvent } from '../../events/ume';

/** One line of an event: time, type, task, run, then what it says. */
export function eventLine(e: AnyUmeEvent): string {
  const detail = (() => {
    switch (e.event_type) {
      case 'task_spec':
        return `${e.stage} started`;
      case 'stage_update':
        return `${e.stage} ${e.status}${e.reason ? `: ${e.reason}` : ''}`;
      case 'audit_record':
        return `${e.record.stage} ${e.record.status}${e.record.reason ? `: ${e.record.reason}` : ''}`;
      case 'task_note':
        return `${e.stage} note ${e.note}`;
      case 'task_run':
        return `${e.state}${e.duration_ms === undefined ? '' : ` in ${e.duration_ms} ms`}${e.reason ? `: ${e.reason}` : ''}`;
      case 'pointer_update':
        return `pointer ${e.pointer_run_id}`;
      case 'idea_seed':
        return `idea ${JSON.stringify(e.text)}`;
      case 'workflow_event':
        return `${e.name} ${JSON.stringify(e.payload)}`;
    }
  })();
  return `${e.time}  ${e.event_type.padEnd(14)} ${e.task}${e.run_id ? ` run=${e.run_id}` : ''}  ${detail}`;
}

export default class Events extends BaseCommand<typeof Events> {
  static override summary = 'Print live events from the event stream, one line each, until Ctrl+C.';
  static override description =
    'Reads the configured transport (UME_TRANSPORT / --transport: nats or grpc). With NATS, --all starts from the first stored event instead of now. --json prints each raw event.';
  static override examples = [
    '<%= config.bin %> events --transport nats',
    '<%= config.bin %> events --transport nats --task example --json',
    '<%= config.bin %> events --transport nats --run-id 6584aac0-d4c9-4a9d-8983-925f08f49bd2 --all',
  ];
  static override flags = {
    task: Flags.string({ description: 'Only events of this task.' }),
    'run-id': Flags.string({ description: 'Only events of this run.' }),
    all: Flags.boolean({ description: 'Start from the first stored event (NATS), not from now.', default: false }),
    count: Flags.integer({ description: 'Stop after this many events.', min: 1 }),
  };

  async run(): Promise<void> {
    const config = await this.loadConfig();
    const { subscribeEvents } = await import('../../services/subscribe');
    const runId = this.flags['run-id'];
    let seen = 0;
    let stop: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const sub = await subscribeEvents(
      config,
      { ...(this.flags.task ? { task: this.flags.task } : {}), from: this.flags.all ? 'all' : 'new' },
      (event, raw) => {
        // Past --count, what the consumer already fetched is not printed.
        if (this.flags.count !== undefined && seen >= this.flags.count) return;
        if (runId && event?.run_id !== runId) return;
        if (this.flags.json) this.log(event ? JSON.stringify(event) : raw.text);
        else this.log(event ? eventLine(event) : `(not an event) ${raw.text.slice(0, 200)}`);
        seen += 1;
        if (this.flags.count !== undefined && seen >= this.flags.count) stop?.();
      },
    );
    const { untilStopped } = await import('../until-stopped');
    await untilStopped(sub, `events: reading ${config.events}${this.flags.all ? ' from the start' : ''}`, stopped);
  }
}
