/**
 * The worker's log: one line per entry (`<time> <LEVEL> <message> key=value ...`), expected
 * failures (a stage that failed, a run that failed, was cancelled or stopped at its precheck)
 * as one line naming the task, the run, the stage and the reason, and stack traces only at
 * `debug` (`CASCADENCE_LOG_LEVEL=debug`, or `task worker --debug`). Entries carry workflow ids
 * (`<task>-<runId>`) and hashes only, never a raw user or group id. Node-only.
 */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import { rootMessage } from '../core/errors';

/** The levels, lowest first. */
const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** The level named by `text` (any case), or undefined. */
export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  const level = text?.trim().toUpperCase();
  return LEVELS.find((l) => l === level);
}

/** Meta keys never printed: long or internal. */
const HIDDEN = new Set(['taskToken', 'sdkComponent', 'error', 'namespace', 'taskQueue', 'workflowRunId', 'runId']);

/** `<task>` and `<runId>` of a pipeline or DAG workflow id (`<task>-<runId>[/<child>]`), best effort. */
export function runOf(workflowId: string | undefined): { task?: string; run?: string } {
  if (!workflowId) return {};
  const top = workflowId.split('/')[0] as string;
  const m = /^(.+?)-((?:scheduled-.+)|(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))$/.exec(top);
  return m ? { task: m[1] as string, run: m[2] as string } : { run: top };
}

const value = (v: unknown): string => {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text);
};

/** One line for `entry`; at debug, the error's stack follows on its own lines. */
export function formatLogEntry(entry: LogEntry, debug: boolean): string {
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const error = meta.error as Error | undefined;
  const { task, run } = runOf(meta.workflowId as string | undefined);
  const where = [task ? `task=${value(task)}` : '', run ? `run=${value(run)}` : ''].filter(Boolean);
  let head: string;
  if (entry.message === 'Activity failed' && error) {
    head = `stage failed: ${[...where, `stage=${value(meta.activityType)}`, `attempt=${String(meta.attempt ?? 1)}`].join(' ')}: ${rootMessage(error)}`;
  } else if (entry.message === 'Workflow failed' && error) {
    // The error reaches the log as the workflow's sink saw it: its type may be gone, its message is not.
    const type = (error as { type?: string }).type;
    const precheck = type === 'PRECHECK_FAILED' || /: precheck failed(: |$)/.test(error.message ?? '');
    const what = precheck
      ? 'precheck stopped the run'
      : error.name === 'CancelledFailure'
        ? 'run cancelled'
        : 'run failed';
    head = `${what}: ${where.join(' ')}: ${rootMessage(error)}`;
  } else {
    const rest = Object.entries(meta)
      .filter(([k, v]) => !HIDDEN.has(k) && k !== 'workflowId' && v !== undefined)
      .map(([k, v]) => `${k}=${value(v)}`);
    head = [entry.message, ...where, ...rest].join(' ');
    if (error) head += `: ${rootMessage(error)}`;
  }
  const line = `${time} ${entry.level} ${head.replace(/\s*\n\s*/g, ' ')}`;
  return debug && error?.stack ? `${line}\n${error.stack}` : line;
}

/**
 * The Runtime's logger: `level` (default `$CASCADENCE_LOG_LEVEL`, else WARN) and up, to
 * `write` (default stderr).
 */
export function createWorkerLogger(
  level: LogLevel = parseLogLevel(process.env.CASCADENCE_LOG_LEVEL) ?? 'WARN',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): DefaultLogger {
  const debug = LEVELS.indexOf(level) <= LEVELS.indexOf('DEBUG');
  return new DefaultLogger(level, (entry) => write(formatLogEntry(entry, debug)));
}
