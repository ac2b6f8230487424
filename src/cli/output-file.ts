/**
 * Writing a file a command was asked to produce (`--out`, `--export`): atomically, creating
 * its folder, with a one-line usage error when it cannot be written.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { CascadenceError } from '../core/errors';

/** Writes `text` to `path` atomically. @throws CascadenceError USAGE naming the file. */
export async function writeOutputFile(path: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, text);
  } catch (err) {
    throw new CascadenceError('USAGE', `cannot write ${path}: ${(err as Error).message}`);
  }
}
