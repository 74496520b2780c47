/**
 * Hashes of what is on disk, for deciding whether something must be redone: a container
 * whose bind-mounted config changed, a run whose inputs changed.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Inputs } from '../inputs.js';

/**
 * The content of files and folders (a folder: its files, one level down, as nginx reads
 * conf.d). A path that does not exist hashes as missing, so creating it changes the hash.
 */
export async function contentHash(paths: readonly string[], inputs?: Inputs): Promise<string> {
  const hash = createHash('sha256');
  for (const path of [...paths].sort()) {
    const info = await stat(path).catch(() => undefined);
    if (!info) {
      inputs?.looked(path);
      hash.update(`${path}\0missing\n`);
      continue;
    }
    if (info.isDirectory()) inputs?.dir(path);
    const files = info.isDirectory() ? (await readdir(path)).sort().map((f) => join(path, f)) : [path];
    for (const file of files) {
      const s = await stat(file).catch(() => undefined);
      if (s?.isFile()) {
        inputs?.file(file);
        hash.update(`${file}\n`).update(await readFile(file));
      } else inputs?.looked(file);
    }
  }
  return hash.digest('hex');
}

/** Size and modification time only: for large binaries whose identity is enough (node, nginx). */
export async function stampHash(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    hash.update(info ? `${path}:${info.size}:${info.mtimeMs}\n` : `${path}\0missing\n`);
  }
  return hash.digest('hex');
}
