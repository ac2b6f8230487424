/**
 * Stage modes: whether a task's stage runs as a Temporal activity or as a local activity, and
 * the check of those options when a task is registered. Workflow-safe (the pipeline workflow
 * reads a stage's mode from the task description its run already has, so replay takes the
 * same branch).
 */
import { CascadenceError } from './errors';
import { STEPS, type StageMode, type StepName, type TaskOptions } from './task';

/** Every stage mode. */
export const STAGE_MODES: readonly StageMode[] = ['activity', 'local'];

const isStageMode = (value: unknown): value is StageMode => STAGE_MODES.includes(value as StageMode);

/** How `step` runs under `options`: its `stageModes` entry, else the task's `stageMode`, else `'activity'`. */
export function stageModeOf(options: TaskOptions, step: StepName): StageMode {
  return options.stageModes?.[step] ?? options.stageMode ?? 'activity';
}

/**
 * Checks a task's `stageMode` and `stageModes`: known modes and step names only, and no
 * `heartbeatTimeout` when every stage is local (a local activity cannot heartbeat, so the
 * timeout would be silently ignored).
 * @throws CascadenceError VALIDATION naming the task and the offending option.
 */
export function validateStageModes(task: string, options: TaskOptions | undefined): void {
  if (!options) return;
  const fail = (message: string, hint: string): never => {
    throw new CascadenceError('VALIDATION', `task ${task}: ${message}`, { hint });
  };
  const modes = `one of ${STAGE_MODES.map((m) => `'${m}'`).join(', ')}`;
  const { stageMode, stageModes, heartbeatTimeout } = options;
  if (stageMode !== undefined && !isStageMode(stageMode)) {
    fail(`options.stageMode must be ${modes}, not ${JSON.stringify(stageMode)}`, "use 'local' for short stages");
  }
  if (stageModes !== undefined) {
    if (typeof stageModes !== 'object' || stageModes === null || Array.isArray(stageModes)) {
      fail('options.stageModes must be an object of stage names to modes', "for example { run: 'activity' }");
    }
    for (const [step, mode] of Object.entries(stageModes)) {
      if (!STEPS.includes(step as StepName)) {
        fail(`options.stageModes names an unknown stage ${JSON.stringify(step)}`, `stages: ${STEPS.join(', ')}`);
      }
      if (!isStageMode(mode)) {
        fail(`options.stageModes.${step} must be ${modes}, not ${JSON.stringify(mode)}`, "use 'local' or 'activity'");
      }
    }
  }
  if (heartbeatTimeout !== undefined && STEPS.every((step) => stageModeOf(options, step) === 'local')) {
    fail(
      'options.heartbeatTimeout has no effect when every stage is local (local activities cannot heartbeat)',
      "drop heartbeatTimeout, or keep the stages that heartbeat as activities (stageModes: { run: 'activity' })",
    );
  }
}
