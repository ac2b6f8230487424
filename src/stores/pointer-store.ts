/**
 * The pointer store: for each PointerTask, the runs of other instances it points at, by hashed
 * user (and group). Pointers are de-duplicated (an exactly equal pointer is stored once) and the
 * file is shared safely by every process of the machine (`CASCADENCE_POINTERS_PATH`). Node-only.
 *
 * ```yaml
 * demo_pointer:
 *   - run_id: run42
 *     user_hash: 2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90
 * ```
 */
import { CascadenceError } from '../core/errors';
import type { PointerFilter, PointerSource, TaskPointer } from '../core/kinds';
import { checkStringRecord, HASH_PATTERN, isMapping, LockedYamlStore } from './locked-yaml-store';

export type { PointerFilter, TaskPointer };

/** The document: task name → its pointers, oldest first. */
export type PointerDocument = Record<string, TaskPointer[]>;

/** A pointer of a task, as a pointer update carries it. */
export interface PointerUpdate extends TaskPointer {
  task: string;
}

function checkPointer(value: unknown, where: string): TaskPointer {
  const p = checkStringRecord(value, where, ['run_id', 'user_hash'], ['group_hash']);
  if (!p.run_id) throw new Error(`${where} has an empty run_id`);
  if (!HASH_PATTERN.test(p.user_hash ?? '')) throw new Error(`${where}: user_hash is not a 64-hex hash`);
  if (p.group_hash !== undefined && !HASH_PATTERN.test(p.group_hash)) {
    throw new Error(`${where}: group_hash is not a 64-hex hash`);
  }
  return normalise(p as unknown as TaskPointer);
}

/** The pointer with its keys in file order and no empty group hash. */
function normalise(p: TaskPointer): TaskPointer {
  return { run_id: p.run_id, user_hash: p.user_hash, ...(p.group_hash ? { group_hash: p.group_hash } : {}) };
}

const same = (a: TaskPointer, b: TaskPointer): boolean =>
  a.run_id === b.run_id && a.user_hash === b.user_hash && (a.group_hash ?? '') === (b.group_hash ?? '');

const matches = (p: TaskPointer, filter: PointerFilter): boolean =>
  (filter.userHash === undefined || p.user_hash === filter.userHash) &&
  (filter.groupHash === undefined || (p.group_hash ?? '') === filter.groupHash);

/**
 * The pointer store. Every change is made under the file's lock to what is on disk then, so
 * several processes adding pointers at once lose none; a corrupt file is reported
 * (CascadenceError CONFIG, naming the path) and left untouched.
 */
export class PointerStore implements PointerSource {
  private readonly file: LockedYamlStore<PointerDocument>;

  constructor(readonly path: string) {
    this.file = new LockedYamlStore<PointerDocument>(
      path,
      {
        what: 'pointer store',
        empty: () => ({}),
        check(data) {
          if (!isMapping(data)) throw new Error('the top level is not a mapping of task names to pointer lists');
          const doc: PointerDocument = {};
          for (const [task, list] of Object.entries(data)) {
            if (!Array.isArray(list)) throw new Error(`the pointers of ${task} are not a list`);
            doc[task] = list.map((p, i) => checkPointer(p, `pointer ${i + 1} of ${task}`));
          }
          return doc;
        },
      },
      { header: 'Cascadence pointer store: task -> pointers to runs of other instances (hashed ids only).' },
    );
  }

  /**
   * Adds a pointer of `task` unless an exactly equal one is stored; true when it was new.
   * @throws CascadenceError CONFIG for a corrupt file, VALIDATION for a malformed pointer (not a hash, no run id).
   */
  async add(task: string, pointer: TaskPointer): Promise<boolean> {
    let entry: TaskPointer;
    try {
      if (!task) throw new Error('a pointer needs a task name');
      entry = checkPointer(pointer, `the new pointer of ${task}`);
    } catch (err) {
      throw new CascadenceError('VALIDATION', (err as Error).message);
    }
    return this.file.update((doc) => {
      const list = (doc[task] ??= []);
      if (list.some((p) => same(p, entry))) return false;
      list.push(entry);
      return true;
    });
  }

  /**
   * Stores a pointer received from another instance (a pointer update); true when it was new.
   * The store never emits anything itself: re-broadcasting is the caller's decision.
   */
  applyUpdate(update: PointerUpdate): Promise<boolean> {
    const { task, ...pointer } = update;
    return this.add(task, pointer);
  }

  /**
   * The pointers of `task`, oldest first, keeping those whose user (and group) hash equal the
   * filter's. `groupHash: ''` keeps the pointers without a group.
   * @throws CascadenceError CONFIG for a corrupt file.
   */
  list(task: string, filter: PointerFilter = {}): TaskPointer[] {
    return (this.file.read()[task] ?? []).filter((p) => matches(p, filter));
  }

  /** Every task with pointers, sorted. */
  tasks(): string[] {
    return Object.keys(this.file.read()).sort();
  }

  /** The whole document (task → pointers). */
  all(): PointerDocument {
    return this.file.read();
  }
}
