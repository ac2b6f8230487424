/**
 * The registered-task store (`CASCADENCE_TASKS_PATH`): tasks registered at run time rather than
 * in code, such as the follow-ups the capability planner registers for failed runs. One entry
 * per name. Node-only.
 */
import { CascadenceError } from '../core/errors';
import { isValidTaskName } from '../core/ids';
import { isMapping, LockedYamlStore } from './locked-yaml-store';

/** One registered task. */
export interface RegisteredTask {
  /** Registered name (unique in the store). */
  name: string;
  /** The task module that provides it, when it has one. */
  module?: string;
  /** Why it was registered (e.g. `follow-up of failed run <id>`). */
  reason?: string;
  /** What it was registered for: the task and run that caused it, when there is one. */
  source_task?: string;
  source_run_id?: string;
  /** The run started for it (the capability planner's follow-ups), whose own failure starts nothing more. */
  follow_up_run_id?: string;
  /** When it was registered, UTC ISO-8601. */
  registered_at: string;
}

const KEYS = ['name', 'module', 'reason', 'source_task', 'source_run_id', 'follow_up_run_id', 'registered_at'] as const;

function checkEntry(value: unknown, where: string): RegisteredTask {
  if (!isMapping(value)) throw new Error(`${where} is not a mapping`);
  for (const [key, v] of Object.entries(value)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new Error(`${where} has an unknown key ${key}`);
    if (typeof v !== 'string') throw new Error(`${where}: ${key} is not a string`);
  }
  const e = value as Record<string, string | undefined>;
  if (!e.name || !isValidTaskName(e.name)) throw new Error(`${where} has no valid task name`);
  if (!e.registered_at) throw new Error(`${where} has no registered_at`);
  const out: Record<string, string> = {};
  for (const key of KEYS) if (e[key] !== undefined) out[key] = e[key];
  return out as unknown as RegisteredTask;
}

/** The registered-task store, safe to share between processes (merge-on-save under a file lock). */
export class TaskStore {
  private readonly file: LockedYamlStore<RegisteredTask[]>;

  constructor(readonly path: string) {
    this.file = new LockedYamlStore<RegisteredTask[]>(
      path,
      {
        what: 'task store',
        empty: () => [],
        check(data) {
          if (!Array.isArray(data)) throw new Error('the top level is not a list of registered tasks');
          return data.map((e, i) => checkEntry(e, `task ${i + 1}`));
        },
      },
      { header: 'Cascadence task store: tasks registered at run time, one per name.' },
    );
  }

  /**
   * Registers a task unless one of that name is registered already; `added` says which. The
   * existing entry is kept as it was (the first registration wins), and returned.
   * @throws CascadenceError VALIDATION for an unusable name; CONFIG for a corrupt file.
   */
  async register(
    entry: Omit<RegisteredTask, 'registered_at'> & { registered_at?: string },
  ): Promise<{ added: boolean; entry: RegisteredTask }> {
    let fresh: RegisteredTask;
    try {
      fresh = checkEntry({ ...entry, registered_at: entry.registered_at ?? new Date().toISOString() }, 'the new task');
    } catch (err) {
      throw new CascadenceError('VALIDATION', (err as Error).message, {
        hint: 'use letters, digits, ".", "_" or "-", starting with a letter or digit',
      });
    }
    return this.file.update((doc) => {
      const existing = doc.find((e) => e.name === fresh.name);
      if (existing) return { added: false, entry: existing };
      doc.push(fresh);
      return { added: true, entry: fresh };
    });
  }

  /**
   * Every registered task, in registration order.
   * @throws CascadenceError CONFIG for a corrupt file.
   */
  list(): RegisteredTask[] {
    return this.file.read();
  }

  /** The entry of `name`, if registered. */
  get(name: string): RegisteredTask | undefined {
    return this.list().find((e) => e.name === name);
  }
}
