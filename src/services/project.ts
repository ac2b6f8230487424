/**
 * Validating a project: every registered task, the schedules file and every DAG file, each
 * checked on its own so one problem never hides another.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CascadenceConfig } from '../config/config';
import { loadDag } from '../dag/load';
import type { TaskRegistry } from '../plugins/registry';
import { parseSchedulesFile } from '../schedules/file';

/** One checked item. */
export interface ProjectCheck {
  kind: 'task' | 'schedules' | 'dag';
  name: string;
  ok: boolean;
  problems: string[];
}

/** Checks the tasks (description, prerequisites), the cron backend's schedules file and the DAGs folder. */
export function validateProject(
  config: Pick<CascadenceConfig, 'schedulesPath' | 'dagsPath' | 'timezone'>,
  registry: TaskRegistry,
): ProjectCheck[] {
  const checks: ProjectCheck[] = [];
  const check = (kind: ProjectCheck['kind'], name: string, fn: () => void): void => {
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
    const files = readdirSync(config.dagsPath)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort();
    for (const file of files) {
      check('dag', join(config.dagsPath, file), () => loadDag(join(config.dagsPath, file), config.dagsPath, known));
    }
  }
  return checks;
}
