import { BaseCommand } from '../../base-command';
import { CascadenceError } from '../../../core/errors';

export default class CronRun extends BaseCommand<typeof CronRun> {
  static override summary = 'Run the cron backend’s scheduler in the foreground.';
  static override description =
    'Runs every schedule in schedules.yml (CASCADENCE_SCHEDULES_PATH) in this process, re-reading the file when it changes (`task schedule ... --backend cron` from another shell takes effect within a second). Runs are in-process pipelines audited to CASCADENCE_AUDIT_PATH. Ctrl+C or SIGTERM stops after runs in flight finish.';
  static override examples = [
    '<%= config.bin %> cron run --backend cron',
    'CASCADENCE_SCHEDULER=dag <%= config.bin %> cron run',
  ];

  async run(): Promise<void> {
    const config = await this.loadConfig();
    if (config.backend !== 'cron' && config.backend !== 'cron-deps') {
      throw new CascadenceError('USAGE', `task cron run needs the cron or cron-deps backend, not ${config.backend}`, {
        hint: 'pass --backend cron or set CASCADENCE_SCHEDULER=cron',
      });
    }
    const registry = await this.loadRegistry();
    await this.withBackend(async (backend) => {
      const { CronScheduler, isScheduledRunner } = await import('../../../schedules/scheduler');
      if (!isScheduledRunner(backend))
        throw new CascadenceError('INTERNAL', `the ${backend.name} backend keeps no local schedules`);
      const scheduler = new CronScheduler(
        backend,
        (line) => this.log(`${new Date().toISOString()} ${line}`),
        new Set(registry.names()),
      );
      scheduler.start();
      this.log(`cron scheduler on ${config.schedulesPath}; Ctrl+C to stop`);
      // `on`, not `once`: a listener that stays registered keeps signal-exit (loaded with the file
      // lock) from re-raising the signal and killing the process before the runs in flight end.
      let stopRequested!: () => void;
      const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
      const onSignal = (): void => stopRequested();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      await stopped;
      await scheduler.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      this.log('cron scheduler stopped');
    });
  }
}
