/**
 * A small, deterministic tar writer (POSIX ustar), streaming: image layers and the archives
 * `POST /images/load` and `POST /build` take are tar files, and writing them ourselves means
 * no copy of the Node runtime in a temp folder (nothing to leave behind on Ctrl-C) and the
 * same bytes for the same inputs (so the same layer id, and an identical image when two runs
 * build it at once).
 *
 * Format: POSIX.1-1988 ustar as GNU tar documents it
 * (https://www.gnu.org/software/tar/manual/html_node/Standard.html): 512-byte headers, file
 * data padded to 512 bytes, two zero blocks at the end. Every entry is owned by root with
 * mtime 0 (the reproducible-builds convention, https://reproducible-builds.org/docs/archives/).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

const BLOCK = 512;

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; mode?: number; data: Buffer }
  /** A file streamed from disk: its size is taken when the entry is made, and checked while reading. */
  | { type: 'file'; path: string; mode?: number; source: string; size: number };

function octal(value: number, width: number): string {
  // width - 1 digits and a NUL, as GNU tar writes them.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** Split a path between ustar's 100-byte name and 155-byte prefix (at a slash). */
function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let at = path.indexOf('/'); at !== -1; at = path.indexOf('/', at + 1)) {
    const prefix = path.slice(0, at);
    const name = path.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return { name, prefix };
  }
  throw new Error(`tar: the path ${path} is too long for a ustar header`);
}

export function tarHeader(entry: TarEntry): Buffer {
  const header = Buffer.alloc(BLOCK);
  const path = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { name, prefix } = splitName(path.replace(/^\/+/, ''));
  const size = entry.type === 'dir' ? 0 : 'data' in entry ? entry.data.length : entry.size;
  const mode = entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100, 8, 'ascii');
  header.write(octal(0, 8), 108, 8, 'ascii'); // uid
  header.write(octal(0, 8), 116, 8, 'ascii'); // gid
  header.write(octal(size, 12), 124, 12, 'ascii');
  header.write(octal(0, 12), 136, 12, 'ascii'); // mtime
  header.write('        ', 148, 8, 'ascii'); // checksum: spaces while summing
  header.write(entry.type === 'dir' ? '5' : '0', 156, 1, 'ascii');
  header.write('ustar\u000000', 257, 8, 'ascii');
  header.write('root', 265, 32, 'ascii');
  header.write('root', 297, 32, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}

function entrySize(entry: TarEntry): number {
  const size = entry.type === 'dir' ? 0 : 'data' in entry ? entry.data.length : entry.size;
  return BLOCK + Math.ceil(size / BLOCK) * BLOCK;
}

/** The exact byte length of the archive `tarStream(entries)` writes. */
export function tarSize(entries: readonly TarEntry[]): number {
  return entries.reduce((total, entry) => total + entrySize(entry), 2 * BLOCK);
}

async function* chunks(entries: readonly TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    yield tarHeader(entry);
    if (entry.type === 'dir') continue;
    let written = 0;
    if ('data' in entry) {
      yield entry.data;
      written = entry.data.length;
    } else {
      for await (const chunk of createReadStream(entry.source)) {
        written += (chunk as Buffer).length;
        if (written > entry.size) break;
        yield chunk as Buffer;
      }
      // A file that changed size since it was listed would shift every later header.
      if (written !== entry.size) throw new Error(`tar: ${entry.source} changed while it was being read (${entry.size} bytes expected, ${written} read)`);
    }
    const pad = (BLOCK - (written % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** The archive as a stream, in the order given (callers sort, so the bytes are reproducible). */
export function tarStream(entries: readonly TarEntry[]): Readable {
  return Readable.from(chunks(entries), { objectMode: false });
}

/** The archive's chunks, for a caller that wraps them (hashing, an outer archive). */
export function tarChunks(entries: readonly TarEntry[]): AsyncGenerator<Buffer> {
  return chunks(entries);
}

/**
 * Yield the chunks of an archive while hashing them: the digest is ready once the last chunk
 * has been read, so a layer can be sent before the config that names its diff id.
 */
export function hashing(source: AsyncIterable<Buffer>): { chunks: AsyncGenerator<Buffer>; digest: () => string } {
  const hash = createHash('sha256');
  let digest: string | undefined;
  async function* pass(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
    digest = `sha256:${hash.digest('hex')}`;
  }
  return {
    chunks: pass(),
    digest: () => {
      if (digest === undefined) throw new Error('tar: the digest is read before the archive was');
      return digest;
    },
  };
}

/** An outer archive whose members are produced lazily, in order (`docker save` layout). */
export type LazyMember = { path: string; size: number; body: () => AsyncIterable<Buffer> } | { path: string; data: () => Buffer };

export function lazyTarStream(members: readonly LazyMember[]): Readable {
  async function* all(): AsyncGenerator<Buffer> {
    for (const member of members) {
      if ('data' in member) {
        const data = member.data();
        yield tarHeader({ type: 'file', path: member.path, data });
        yield data;
        const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
        if (pad) yield Buffer.alloc(pad);
        continue;
      }
      yield tarHeader({ type: 'file', path: member.path, source: '', size: member.size });
      let written = 0;
      for await (const chunk of member.body()) {
        written += chunk.length;
        yield chunk;
      }
      if (written !== member.size) throw new Error(`tar: ${member.path} came out at ${written} bytes, ${member.size} announced`);
      const pad = (BLOCK - (written % BLOCK)) % BLOCK;
      if (pad) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(2 * BLOCK);
  }
  return Readable.from(all(), { objectMode: false });
}

