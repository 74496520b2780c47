/**
 * Small file helpers shared by the modules that write generated files.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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
