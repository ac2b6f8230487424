/**
 * Tasks advertised by a CronyxServer (`CRONYX_BASE_URL`), registered beside the others when the
 * backend is not `cronyx` itself: each becomes a task whose `run` stage asks the server to run it
 * (`POST /jobs` with the hashed ids), so a Temporal worker runs Cronyx tasks as durable pipelines
 * with every other stage feature. Long-lived processes refresh the list periodically (unless
 * `CASCADENCE_CRONYX_REFRESH` is off): new tasks join, withdrawn ones leave. Node-only.
 */
import { createHash } from 'node:crypto';
import type { StageContext, Task } from '../core';
import { rootMessage } from '../core/errors';
import { postJson } from './external';
import type { PluginLoader } from './loader';

/** One task as a CronyxServer lists it (`GET /tasks`). */
interface RemoteTask {
  id: string;
  description?: string;
}

/** Where the server is and how long a request may take. */
export interface CronyxSource {
  baseUrl: string;
  /** Seconds per request. */
  timeoutSeconds: number;
}

/** How often long-lived processes look for new or withdrawn tasks. */
export const CRONYX_REFRESH_MS = 60_000;

/** A Cronyx task as a Cascadence task: its `run` is one job on the server. */
export function cronyxTask(source: CronyxSource, remote: RemoteTask): Task {
  const base = source.baseUrl.replace(/\/+$/, '');
  return {
    kind: 'task',
    ...(remote.description ? { description: remote.description } : {}),
    async run(ctx: StageContext) {
      const res = await postJson(
        `${base}/jobs`,
        {
          task: remote.id,
          user_id: ctx.userHash,
          group_id: ctx.groupHash,
          ...(ctx.input === undefined || ctx.input === null ? {} : { input: ctx.input }),
        },
        {
          label: `POST ${base}/jobs (Cronyx task ${remote.id})`,
          timeoutMs: source.timeoutSeconds * 1000,
          signal: ctx.signal,
        },
      );
      const job = JSON.parse(res.text) as { result?: unknown };
      return job.result;
    },
  };
}

/**
 * Registers (or refreshes) the server's tasks in `loader`'s registry, as one plugin named by
 * the server's URL. An unreachable server or a bad answer is reported once and leaves the last
 * list in place.
 */
export async function loadCronyxTasks(loader: PluginLoader, source: CronyxSource): Promise<string[]> {
  const base = source.baseUrl.replace(/\/+$/, '');
  let list: RemoteTask[];
  try {
    const res = await fetch(`${base}/tasks`, { signal: AbortSignal.timeout(source.timeoutSeconds * 1000) });
    if (!res.ok) throw new Error(`GET /tasks answered ${res.status}`);
    const json = (await res.json()) as unknown;
    if (!Array.isArray(json)) throw new Error('GET /tasks did not answer a list');
    list = json.filter((t): t is RemoteTask => typeof (t as RemoteTask)?.id === 'string');
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    const why = typeof code === 'string' ? code : rootMessage(err);
    loader.problem({ plugin: 'cronyx', path: base, error: `cannot list the Cronyx tasks: ${why}` });
    return [];
  }
  const tasks = new Map(list.map((t) => [t.id, cronyxTask(source, t)] as const));
  return loader.install(`cronyx:${base}`, 'cronyx', base, tasks, { kind: 'cronyx', source: base }, listRevision(list))
    .registered;
}

/** Keeps the registry in step with the server until stopped (long-lived processes). */
export function refreshCronyxTasks(
  loader: PluginLoader,
  source: CronyxSource,
  everyMs = CRONYX_REFRESH_MS,
): () => void {
  const timer = setInterval(() => void loadCronyxTasks(loader, source), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

const listRevision = (list: RemoteTask[]): string =>
  createHash('sha256')
    .update(JSON.stringify(list.map((t) => [t.id, t.description ?? '']).sort()))
    .digest('hex')
    .slice(0, 12);
