/**
 * Reading and replacing a system file safely: a temp file beside it, fsync, rename — owner
 * and mode kept — and, when rename cannot replace the file (a bind-mounted /etc/hosts in a
 * container or WSL gives EBUSY or EXDEV), an in-place rewrite after a backup.
 *
 * write-file-atomic does the first half, but it cannot write from pieces of the old buffer,
 * does not fall back on EBUSY, and silently changes the owner when chown is refused; the
 * steps are few enough to own here.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { isRunning } from '../lock.js';

export interface WriteOutcome {
  method: 'rename' | 'in-place';
  /** Set for in-place rewrites: where the previous content was saved first. */
  backup?: string;
  /** Why rename was not used (the error code), for in-place rewrites. */
  reason?: string;
}

/** The whole file in one read of its known size (fs.promises.readFile reads 512 KiB chunks). */
export async function readWhole(path: string): Promise<Buffer> {
  return (await readWithStamp(path)).content;
}

/**
 * What identifies one version of a file: a rename gives a new inode, any write changes the
 * size or the change time. Read it from the same open file as the content.
 */
export interface Stamp {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

export async function stampOf(path: string): Promise<Stamp> {
  const { ino, size, mtimeNs, ctimeNs } = await stat(path, { bigint: true });
  return { ino, size, mtimeNs, ctimeNs };
}

export async function readWithStamp(path: string): Promise<{ content: Buffer; stamp: Stamp }> {
  const handle = await open(path, 'r');
  try {
    const { ino, size: bigSize, mtimeNs, ctimeNs } = await handle.stat({ bigint: true });
    const stamp = { ino, size: bigSize, mtimeNs, ctimeNs };
    const size = Number(bigSize);
    const buffer = Buffer.allocUnsafe(size);
    let length = 0;
    while (length < size) {
      const { bytesRead } = await handle.read(buffer, length, size - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length < size) return { content: buffer.subarray(0, length), stamp };
    // The file grew since stat (or reports size 0, like /proc files): read what follows.
    const more: Buffer[] = [buffer];
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, length);
      if (bytesRead === 0) break;
      more.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
    }
    return { content: more.length === 1 ? buffer : Buffer.concat(more, length), stamp };
  } finally {
    await handle.close();
  }
}

/**
 * How files beside a system file are created (temp files, the backup): O_EXCL and O_NOFOLLOW,
 * so a file or symbolic link planted at that name makes the open fail instead of being
 * written through, as root, to wherever it points.
 */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export function backupPath(target: string): string {
  return `${target}.richie-dev.bak`;
}

const TEMP = /^\.(.+)\.richie-dev-(\d+)-[0-9a-f]+\.tmp$/;

function tempPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.richie-dev-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Replace `target` (a real path, not a symlink) with `pieces` concatenated. Call it holding
 * the lock. `unchangedPrefix` bytes at the start are known to be the same as on disk, so an
 * in-place rewrite can start after them.
 */
export async function replaceFile(target: string, pieces: readonly Buffer[], length: number, unchangedPrefix: number): Promise<WriteOutcome> {
  const info = await stat(target);
  const mode = info.mode & 0o7777;
  await removeStaleTemps(target);
  const tmp = tempPath(target);
  const handle = await open(tmp, CREATE_NEW, mode);
  let keepsOwner = true;
  try {
    await writeAll(handle, pieces, 0);
    const [uid, gid] = [process.getuid?.(), process.getgid?.()];
    if (uid !== undefined && gid !== undefined && (info.uid !== uid || info.gid !== gid)) {
      // Root can give the file back to its owner; anyone else can only write it in place.
      await handle.chown(info.uid, info.gid).catch(() => (keepsOwner = false));
    }
    await handle.chmod(mode); // the umask may have narrowed it at open
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  let reason = 'EPERM (chown)';
  if (keepsOwner) {
    try {
      await rename(tmp, target);
      await syncDir(dirname(target));
      return { method: 'rename' };
    } catch (error) {
      reason = (error as NodeJS.ErrnoException).code ?? String(error);
      // A mount point cannot be renamed over: EBUSY (bind mount), EXDEV (some overlay setups).
      // Windows refuses to replace a file another process holds open (EPERM).
      const inPlace = reason === 'EBUSY' || reason === 'EXDEV' || (process.platform === 'win32' && reason === 'EPERM');
      if (!inPlace) {
        await unlink(tmp).catch(() => undefined);
        throw error;
      }
    }
  }
  await unlink(tmp).catch(() => undefined);
  const backup = await rewriteInPlace(target, pieces, length, unchangedPrefix, mode);
  return { method: 'in-place', backup, reason };
}

/**
 * Save the current content to the backup (synced), then write only what changed: adding a
 * block appends, removing the last block truncates, so even a crash mid-write leaves every
 * line before the block intact — and the backup has the rest.
 */
async function rewriteInPlace(target: string, pieces: readonly Buffer[], length: number, unchangedPrefix: number, mode: number): Promise<string> {
  const backup = backupPath(target);
  await refuseUnsafeBackup(backup);
  await removeStaleTemps(backup);
  const current = await readWhole(target);
  // A new file (O_EXCL|O_NOFOLLOW) renamed over the previous backup: rename replaces a name,
  // it never writes through a symbolic link that appeared there since the check.
  const tmp = tempPath(backup);
  const copy = await open(tmp, CREATE_NEW, mode);
  try {
    await copy.writeFile(current);
    await copy.sync();
  } catch (error) {
    await copy.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await copy.close();
  try {
    await refuseUnsafeBackup(backup);
    await rename(tmp, backup);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  const handle = await open(target, 'r+');
  try {
    await writeAll(handle, pieces, unchangedPrefix);
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return backup;
}

/** A previous backup may be replaced only if it is a plain file: anything else was put there by someone else. */
async function refuseUnsafeBackup(backup: string): Promise<void> {
  const info = await lstat(backup).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info && !info.isFile()) {
    const what = info.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
    throw new UserError(`${backup} is ${what}; richie-dev writes its backup there and will not write through it. Nothing was changed.`, {
      fix: `Look at ${backup} (ls -l ${backup}); remove it if nobody should have put it there, then run the command again.`,
    });
  }
}

/** Write the concatenation of `pieces`, skipping its first `from` bytes, at file offset `from`. */
async function writeAll(handle: FileHandle, pieces: readonly Buffer[], from: number): Promise<void> {
  let skip = from;
  const rest: Buffer[] = [];
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    rest.push(skip ? piece.subarray(skip) : piece);
    skip = 0;
  }
  let position = from;
  while (rest.length) {
    // writev may write less than asked (and takes at most IOV_MAX buffers): loop on the rest.
    const batch = rest.slice(0, 512);
    const { bytesWritten } = await handle.writev(batch, position);
    position += bytesWritten;
    let done = bytesWritten;
    while (done > 0 && rest.length) {
      const first = rest[0]!;
      if (done >= first.length) {
        done -= first.length;
        rest.shift();
      } else {
        rest[0] = first.subarray(done);
        done = 0;
      }
    }
  }
}

/** Temp files left beside the target by runs that were killed before their rename. */
export async function removeStaleTemps(target: string): Promise<void> {
  const name = basename(target);
  const entries = await readdir(dirname(target)).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = TEMP.exec(entry);
    if (match && match[1] === name && !isRunning(Number(match[2]))) await unlink(join(dirname(target), entry)).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; some file systems refuse fsync on a directory, which is fine.
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}
