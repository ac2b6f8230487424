import { BaseCommand } from '../base-command';

/** One checked item. */
interface Check {
  kind: 'task' | 'schedules' | 'dag';
  name: string;
  ok: boolean;
  problems: string[];
}

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = 'Check every registered task, the schedules file and every DAG in the DAGs folder.';
  static override description =
    'Tasks: description and prerequisites (no unknown task, no cycle). Schedules: the cron backend’s schedules.yml (CASCADENCE_SCHEDULES_PATH), if there is one. DAGs: every .yml/.yaml/.json in CASCADENCE_DAGS_PATH. Exit 0 when all are valid, 2 otherwise.';
  static override examples = [
    '<%= config.bin %> validate',
    'CASCADENCE_TASK_MODULES=examples/etl/tasks.js CASCADENCE_DAGS_PATH=examples/etl <%= config.bin %> validate --json',
  ];

  async run(): Promise<void> {
    const [config, registry] = await Promise.all([this.loadConfig(), this.loadRegistry()]);
    const [
      { existsSync, readdirSync, readFileSync },
      { join },
      { parseSchedulesFile },
      { loadDag },
      { CascadenceError },
    ] = await Promise.all([
      import('node:fs'),
      import('node:path'),
      import('../../schedules/file'),
      import('../../dag/load'),
      import('../../core/errors'),
    ]);
    const checks: Check[] = [];
    const check = (kind: Check['kind'], name: string, fn: () => void): void => {
      try {
        fn();
        checks.push({ kind, name, ok: true, problems: [] });
      } catch (err) {
        checks.push({ kind, name, ok: false, problems: (err as Error).message.split('\n') });
      }
    };
    const known = new Set(registry.names());
    for (const name of registry.names()) {
      check('task', name, () => {
        registry.describe(name);
        registry.withPrerequisites(name);
      });
    }
    if (existsSync(config.schedulesPath)) {
      check('schedules', config.schedulesPath, () =>
        parseSchedulesFile(readFileSync(config.schedulesPath, 'utf8'), config.schedulesPath, {
          knownTasks: [...known],
          defaultTimezone: config.timezone,
        }),
      );
    }
    if (existsSync(config.dagsPath)) {
      for (const file of readdirSync(config.dagsPath)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort()) {
        check('dag', join(config.dagsPath, file), () => loadDag(join(config.dagsPath, file), config.dagsPath, known));
      }
    }
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
