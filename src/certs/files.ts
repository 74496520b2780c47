/**
 * Writing the CA's and the certificates' files: a new temp file beside the target, created
 * O_EXCL|O_NOFOLLOW with its final mode, synced, then renamed over the target. Synchronous on
 * purpose: a handful of small files, where each asynchronous call is a round trip through the
 * thread pool (write-file-atomic makes about six per file), the better part of a cold
 * setup-ssl's wall time on a busy machine.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * `durable` syncs the file before the rename: for the CA's key and certificate, which nothing
 * can make again once trusted. A certificate's files are not synced (as mkcert, which syncs
 * nothing): after a crash setup-ssl finds them wrong by content and issues them again, and a
 * sync costs milliseconds each on a busy disk.
 */
export function writeFileSafely(path: string, data: string, mode: number, durable: boolean): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, CREATE_NEW, mode);
  try {
    try {
      writeSync(fd, data);
      fchmodSync(fd, mode); // the umask may have narrowed it at open
      if (durable) fsyncSync(fd);
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
