import { BaseCommand } from '../base-command';

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = 'Check every registered task, the schedules file and every DAG in the DAGs folder.';
  static override description =
    'Tasks: description and prerequisites (no unknown task, no cycle). Schedules: the cron backend’s schedules.yml (CASCADENCE_SCHEDULES_PATH), if there is one. DAGs: every .yml/.yaml/.json in CASCADENCE_DAGS_PATH. Exit 0 when all are valid, 2 otherwise.';
  static override examples = [
    '<%= config.bin %> validate',
    'CASCADENCE_TASK_MODULES=examples/etl/tasks.js CASCADENCE_DAGS_PATH=examples/etl <%= config.bin %> validate --json',
  ];

  async run(): Promise<void> {
    const [config, registry, { validateProject }, { CascadenceError }] = await Promise.all([
      this.loadConfig(),
      this.loadRegistry(),
      import('../../services/project'),
      import('../../core/errors'),
    ]);
    const checks = validateProject(config, registry);
    const bad = checks.filter((c) => !c.ok);
    if (this.flags.json) this.printJson({ valid: bad.length === 0, checks });
    else for (const c of checks) this.log(`${c.kind}\t${c.name}\t${c.ok ? 'ok' : c.problems.join('; ')}`);
    if (bad.length > 0) {
      throw new CascadenceError('VALIDATION', `${bad.length} of ${checks.length} item(s) are invalid`, {
        hint: 'see the lines above',
      });
    }
  }
}
