/**
 * Small file helpers shared by the modules that write generated files.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Replace `path` through a new temp file beside it: created O_EXCL|O_NOFOLLOW with its final
 * mode (nothing already there is written through), given to `owner` when set, synced when
 * `durable`, then renamed over the target. Synchronous: a handful of small files, where each
 * asynchronous call is a round trip through the thread pool.
 */
export function replaceFileSync(path: string, data: string, options: { mode: number; durable: boolean; owner?: { uid: number; gid: number } | undefined }): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, CREATE_NEW, options.mode);
  try {
    try {
      writeSync(fd, data);
      fchmodSync(fd, options.mode); // the umask may have narrowed it at open
      if (options.owner) fchownSync(fd, options.owner.uid, options.owner.gid);
      if (options.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never made
    }
    throw error;
  }
}

/** Write a file atomically (temp file + fsync + rename) with the given mode. */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // write-file-atomic is loaded lazily; it handles the temp name, fsync and rename.
  const { default: write } = await import('write-file-atomic');
  await write(path, data, { mode });
}

/** Read a file, or undefined when it does not exist. Other errors (EACCES...) propagate. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
