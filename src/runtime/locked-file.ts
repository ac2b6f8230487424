/**
 * Read-modify-write of a small state file under a cross-process file lock, written atomically,
 * so concurrent processes never lose an update and a crash never leaves a half-written file.
 * Node-only.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Runs `fn` while holding the cross-process lock of `path` (a `<path>.lock` directory beside it).
 * The file itself need not exist: creating it is part of what the lock protects, so two
 * processes racing to create it cannot overwrite each other's first write.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  // Loaded on use: proper-lockfile pulls in signal-exit, whose signal handlers would end a
  // worker on SIGTERM before its graceful shutdown.
  const { lock } = await import('proper-lockfile');
  const release = await lock(path, {
    realpath: false,
    lockfilePath: `${path}.lock`,
    retries: { retries: 200, minTimeout: 5, maxTimeout: 100, randomize: true },
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Writes `text` to `path` atomically (a temporary file renamed over it). */
export async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text);
}

/**
 * Locks `path` (creating it with `initial` if missing, under the lock), then writes what
 * `update` returns. `update` reads the current state itself, under the lock.
 */
export async function lockedUpdate<T>(
  path: string,
  initial: string,
  update: () => { text: string; value: T },
): Promise<T> {
  return withFileLock(path, async () => {
    if (!existsSync(path)) await writeFileAtomic(path, initial);
    const { text, value } = update();
    await writeFileAtomic(path, text);
    return value;
  });
}
