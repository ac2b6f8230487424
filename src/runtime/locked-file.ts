/**
 * Read-modify-write of a small state file under a file lock, written atomically, so concurrent
 * processes never lose an update and a crash never leaves a half-written file.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Locks `path` (creating it with `initial` if missing), then writes what `update` returns.
 * `update` reads the current state itself, under the lock.
 */
export async function lockedUpdate<T>(
  path: string,
  initial: string,
  update: () => { text: string; value: T },
): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) await writeFileAtomic(path, initial);
  // Loaded on use: proper-lockfile pulls in signal-exit, whose signal handlers would end a
  // worker on SIGTERM before its graceful shutdown.
  const { lock } = await import('proper-lockfile');
  const release = await lock(path, { retries: { retries: 100, minTimeout: 10, maxTimeout: 100 } });
  try {
    const { text, value } = update();
    await writeFileAtomic(path, text);
    return value;
  } finally {
    await release();
  }
}
