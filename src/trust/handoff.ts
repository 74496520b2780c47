/**
 * What a trust store is handed: the CA's certificate as it was parsed and checked
 * (LocalCa.certPem, re-encoded from the DER of the one certificate rootCA.pem holds), written
 * by richie-dev to a new file in a folder of its own. Never rootCA.pem itself: a store takes
 * every certificate a file holds, and root would read the user's file again after the checks
 * ("time of check to time of use"; STYLE.md, third read, 2).
 */
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCa } from '../certs/ca.js';
import { anchorFileName } from './linux.js';

export interface CertificateCopy {
  /** The file the stores read: <private dir>/richie-dev_<fingerprint>.crt. */
  file: string;
  dir: string;
  remove(): Promise<void>;
}

/** O_EXCL|O_NOFOLLOW: a new file, never one (or a link) already at the name. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** mkdtemp makes the folder 0700 (https://nodejs.org/api/fs.html#fspromisesmkdtempprefix-options): only this user, and root, can reach the file. */
export async function writeCertificateCopy(ca: Pick<LocalCa, 'certPem' | 'fingerprint'>): Promise<CertificateCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'richie-dev-trust-'));
  const file = join(dir, anchorFileName(ca));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const handle = await open(file, CREATE_NEW, 0o644);
    try {
      await handle.writeFile(ca.certPem);
    } finally {
      await handle.close();
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { file, dir, remove };
}
