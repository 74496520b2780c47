/**
 * Writing a system file safely: a lock beside it, a temp file, fsync, rename — owner and mode
 * kept — and, when rename cannot replace the file (a bind-mounted /etc/hosts in a container or
 * WSL gives EBUSY or EXDEV), an in-place rewrite after a backup.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface WriteOutcome {
  method: 'rename' | 'in-place';
  /** Set for in-place rewrites: where the previous content was saved first. */
  backup?: string;
}

export async function writeSystemFile(target: string, data: Buffer): Promise<WriteOutcome> {
  const info = await stat(target);
  const tmp = join(dirname(target), `.${basename(target)}.richie-dev-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, info.mode & 0o7777);
  try {
    await handle.writeFile(data);
    // Same owner as before (only root can give a file away; as anyone else it is ours anyway).
    if (process.getuid?.() === 0) await handle.chown(info.uid, info.gid);
    await handle.chmod(info.mode & 0o7777);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, target);
    await syncDir(dirname(target));
    return { method: 'rename' };
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EBUSY' && code !== 'EXDEV') throw error;
  }
  // A mount point cannot be renamed over: rewrite in place, after keeping a copy.
  const backup = `${target}.richie-dev.bak`;
  await copyFile(target, backup);
  const inPlace = await open(target, 'r+');
  try {
    await inPlace.write(data, 0, data.length, 0);
    await inPlace.truncate(data.length);
    await inPlace.sync();
  } finally {
    await inPlace.close();
  }
  return { method: 'in-place', backup };
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; some file systems refuse fsync on a directory, which is fine.
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

export interface LockOptions {
  /** How long to wait for another richie-dev before giving up. */
  timeoutMs?: number;
}

/**
 * An exclusive lock file beside the target (O_EXCL), holding the owner's pid. A lock whose pid
 * is no longer running (a killed run) is stale and taken over; a live one is waited for.
 * proper-lockfile judges staleness by mtime instead, which makes a killed run block others for
 * its whole stale period: the pid says at once whether the owner is gone.
 */
export async function withLock<T>(target: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lock = `${target}.richie-dev.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let delay = 5;
  for (;;) {
    try {
      const handle = await open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readFile(lock, 'utf8').catch(() => '');
    const pid = Number(owner);
    // An empty file is a lock being written this instant: wait for it like a live one.
    if (owner !== '' && (!Number.isInteger(pid) || !isRunning(pid))) {
      // Stale: remove it only if it still is the same stale lock.
      if ((await readFile(lock, 'utf8').catch(() => undefined)) === owner) await unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new LockBusyError(lock, pid);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await work();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

export class LockBusyError extends Error {
  constructor(
    readonly lock: string,
    readonly pid: number,
  ) {
    super(`${lock} is held by process ${pid}`);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
