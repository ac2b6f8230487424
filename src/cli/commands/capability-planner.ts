import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class CapabilityPlanner extends BaseCommand<typeof CapabilityPlanner> {
  static override summary = 'Watch run outcomes and register a follow-up task for every failed run.';
  static override description =
    "Reads task_run events from the configured transport (nats: a durable JetStream consumer, so a restarted planner resumes where it stopped and handles no event twice; grpc: the server's live stream). Each failed run registers `follow-up.<task>.<run>` in the task store (CASCADENCE_TASKS_PATH) and records it in the failed task's audit trail (`task audit NAME`). With --start-follow-ups it also starts the follow-up: a new run of the failed task for the same (hashed) user and group, once per failure. Prints a line per follow-up; Ctrl+C or SIGTERM stops it.";
  static override examples = [
    '<%= config.bin %> capability-planner --transport nats',
    '<%= config.bin %> capability-planner --transport nats --start-follow-ups --json',
  ];
  static override flags = {
    durable: Flags.string({ description: 'Name of the durable consumer (default cascadence-capability-planner).' }),
    'start-follow-ups': Flags.boolean({
      description: 'Also start each follow-up as a new run of the failed task.',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const [config, { CascadenceError }, { TaskStore }, { startCapabilityPlanner, PLANNER_CONSUMER }] =
      await Promise.all([
        this.loadConfig(),
        import('../../core/errors'),
        import('../../stores/task-store'),
        import('../../services/planner'),
      ]);
    if (config.events !== 'nats' && config.events !== 'grpc') {
      throw new CascadenceError(
        'CONFIG',
        `the capability planner needs the nats or grpc transport, not ${config.events}`,
        {
          hint: 'pass --transport nats (or grpc), or set UME_TRANSPORT',
        },
      );
    }
    const durable = this.flags.durable ?? PLANNER_CONSUMER;
    if (!/^[A-Za-z0-9_-]+$/.test(durable)) {
      throw new CascadenceError('USAGE', `--durable ${JSON.stringify(durable)} may hold only letters, digits, _ and -`);
    }
    await this.withBackend(async (backend) => {
      const subscription = await startCapabilityPlanner(
        config,
        { store: new TaskStore(config.tasksPath), backend, startFollowUps: this.flags['start-follow-ups'] },
        {
          durable,
          onOutcome: (o) => {
            if (o.status === 'ignored') return;
            if (this.flags.json) return this.printJson(o);
            if (o.status === 'seen') return this.log(`seen\t${o.follow_up}`);
            this.log(
              ['registered', o.follow_up, o.task, o.run_id, ...(o.started ? [`started ${o.started}`] : [])].join('\t'),
            );
          },
        },
      );
      const { untilStopped } = await import('../until-stopped');
      await untilStopped(subscription, `capability-planner: ${config.events} task_run events as ${durable}`);
    });
    process.stderr.write('capability-planner: stopped\n');
  }
}
