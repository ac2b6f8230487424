/**
 * A YAML file shared by several processes: each change is made under a cross-process file lock
 * to what is on disk at that moment (merge-on-save), then written atomically. Whatever other
 * processes saved since this one last read is kept, a crash never leaves a half-written file,
 * and a file that does not parse, or holds something of the wrong shape, is reported with its
 * path and never overwritten. Node-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { CascadenceError } from '../core/errors';
import { withFileLock, writeAtomic } from '../runtime/locked-file';

/** How one store's document is read, checked and written. */
export interface YamlStoreFormat<T> {
  /** What the store is called in messages (`pointer store`). */
  what: string;
  /** The document of a missing or empty file. */
  empty(): T;
  /**
   * Checks parsed YAML and returns it as the document.
   * @throws Error saying what is wrong (the store reports the file as corrupt).
   */
  check(data: unknown): T;
}

/** Options of a {@link LockedYamlStore}. */
export interface LockedYamlStoreOptions {
  /** Written above the document, as YAML comments (the file says what it is). */
  header?: string;
}

/** A YAML document in a file, changed under a cross-process lock and written atomically. */
export class LockedYamlStore<T> {
  constructor(
    readonly path: string,
    private readonly format: YamlStoreFormat<T>,
    private readonly options: LockedYamlStoreOptions = {},
  ) {}

  /**
   * The document on disk now (the empty document for a missing or empty file). Lock-free: a
   * writer replaces the file atomically, so a reader sees the old or the new document, whole.
   * @throws CascadenceError CONFIG naming the path of a file that is not valid YAML or not of the store's shape.
   */
  read(): T {
    if (!existsSync(this.path)) return this.format.empty();
    return this.decode(readFileSync(this.path, 'utf8')).doc;
  }

  /**
   * Applies `change` to the document as it is on disk, under the lock, and saves the result.
   * `change` mutates the document it gets and returns what the caller should get back; when the
   * document comes out unchanged the file is not rewritten. Changes of concurrent processes
   * (and of other instances in this process) are serialised by the lock, so none is lost.
   * @throws CascadenceError CONFIG for a corrupt file, which is left exactly as it was.
   */
  update<R>(change: (doc: T) => R): Promise<R> {
    return withFileLock(this.path, async () => {
      const before = existsSync(this.path) ? readFileSync(this.path, 'utf8') : undefined;
      const { doc } = before === undefined ? { doc: this.format.empty() } : this.decode(before);
      const snapshot = this.encode(doc);
      const result = change(doc);
      const after = this.encode(doc);
      if (before === undefined || after !== snapshot) await writeAtomic(this.path, after);
      return result;
    });
  }

  private decode(text: string): { doc: T } {
    let data: unknown;
    try {
      data = parse(text);
    } catch (err) {
      throw this.corrupt(`not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
    if (data === null || data === undefined) return { doc: this.format.empty() };
    try {
      return { doc: this.format.check(data) };
    } catch (err) {
      throw this.corrupt((err as Error).message);
    }
  }

  private encode(doc: T): string {
    const header = this.options.header
      ? `${this.options.header
          .split('\n')
          .map((l) => `# ${l}`.trimEnd())
          .join('\n')}\n`
      : '';
    return `${header}${stringify(doc, { lineWidth: 0 })}`;
  }

  private corrupt(why: string): CascadenceError {
    return new CascadenceError('CONFIG', `${this.format.what} ${this.path} is corrupt: ${why}`, {
      hint: 'the file was left untouched; fix it or move it away',
    });
  }
}

/** True for a plain object (a YAML mapping). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A 64-hex id hash, or an empty string where none was given. */
export const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Checks that `value` is a mapping whose keys are all among `required` and `optional` and whose
 * values are strings, and that every `required` key is present.
 * @throws Error naming `where` and what is wrong.
 */
export function checkStringRecord(
  value: unknown,
  where: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, string> {
  if (!isMapping(value)) throw new Error(`${where} is not a mapping`);
  for (const key of required) if (!(key in value)) throw new Error(`${where} has no ${key}`);
  for (const [key, v] of Object.entries(value)) {
    if (!required.includes(key) && !optional.includes(key)) throw new Error(`${where} has an unknown key ${key}`);
    if (typeof v !== 'string') throw new Error(`${where}: ${key} is not a string`);
  }
  return value as Record<string, string>;
}
