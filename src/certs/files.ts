/**
 * Writing the CA's and the certificates' files: a new temp file beside the target, created
 * O_EXCL|O_NOFOLLOW with its final mode, synced, then renamed over the target. Synchronous on
 * purpose: a handful of small files, where each asynchronous call is a round trip through the
 * thread pool (write-file-atomic makes about six per file), the better part of a cold
 * setup-ssl's wall time on a busy machine.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { replaceFileSync } from '../fsutil.js';

/**
 * `durable` syncs the file before the rename: for the CA's key and certificate, which nothing
 * can make again once trusted. A certificate's files are not synced (as mkcert, which syncs
 * nothing): after a crash setup-ssl finds them wrong by content and issues them again, and a
 * sync costs milliseconds each on a busy disk.
 */
export function writeFileSafely(path: string, data: string, mode: number, durable: boolean): void {
  mkdirSync(dirname(path), { recursive: true });
  replaceFileSync(path, data, { mode, durable });
}
