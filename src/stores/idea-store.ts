/**
 * The idea store (`CASCADENCE_IDEAS_PATH`): idea seeds users sent (`task ai-idea`), oldest first,
 * with hashed ids only. Repeats are kept (how often a seed recurs is what suggestions look at).
 * Node-only.
 */
import { CascadenceError } from '../core/errors';
import { checkStringRecord, HASH_PATTERN, LockedYamlStore } from './locked-yaml-store';

/** One stored idea seed. */
export interface IdeaSeed {
  text: string;
  /** Hash of the user who sent it. */
  user_hash?: string;
  /** Hash of their group. */
  group_hash?: string;
  /** When it was stored, UTC ISO-8601. */
  time: string;
}

/** Which seeds to keep: those whose hashes equal the given ones. */
export interface IdeaFilter {
  userHash?: string;
  groupHash?: string;
}

function checkSeed(value: unknown, where: string): IdeaSeed {
  const s = checkStringRecord(value, where, ['text', 'time'], ['user_hash', 'group_hash']);
  if (!s.text) throw new Error(`${where} has an empty text`);
  for (const key of ['user_hash', 'group_hash'] as const) {
    if (s[key] !== undefined && !HASH_PATTERN.test(s[key])) throw new Error(`${where}: ${key} is not a 64-hex hash`);
  }
  return {
    text: s.text,
    ...(s.user_hash ? { user_hash: s.user_hash } : {}),
    ...(s.group_hash ? { group_hash: s.group_hash } : {}),
    time: s.time as string,
  };
}

/** The idea store, safe to share between processes (merge-on-save under a file lock). */
export class IdeaStore {
  private readonly file: LockedYamlStore<IdeaSeed[]>;

  constructor(readonly path: string) {
    this.file = new LockedYamlStore<IdeaSeed[]>(
      path,
      {
        what: 'idea store',
        empty: () => [],
        check(data) {
          if (!Array.isArray(data)) throw new Error('the top level is not a list of idea seeds');
          return data.map((s, i) => checkSeed(s, `idea ${i + 1}`));
        },
      },
      { header: 'Cascadence idea store: idea seeds, oldest first (hashed ids only).' },
    );
  }

  /**
   * Appends a seed and returns it as stored.
   * @throws CascadenceError VALIDATION for an empty text or an id that is not a hash; CONFIG for a corrupt file.
   */
  async add(seed: Omit<IdeaSeed, 'time'> & { time?: string }): Promise<IdeaSeed> {
    let entry: IdeaSeed;
    try {
      entry = checkSeed({ ...seed, time: seed.time ?? new Date().toISOString() }, 'the new idea');
    } catch (err) {
      throw new CascadenceError('VALIDATION', (err as Error).message);
    }
    await this.file.update((doc) => void doc.push(entry));
    return entry;
  }

  /**
   * The stored seeds, oldest first, filtered by exact hash equality.
   * @throws CascadenceError CONFIG for a corrupt file.
   */
  list(filter: IdeaFilter = {}): IdeaSeed[] {
    return this.file
      .read()
      .filter(
        (s) =>
          (filter.userHash === undefined || s.user_hash === filter.userHash) &&
          (filter.groupHash === undefined || (s.group_hash ?? '') === filter.groupHash),
      );
  }
}
