// The part of tar-fs 2 (no types of its own) that Engine.build uses: https://github.com/mafintosh/tar-fs
declare module 'tar-fs' {
  import type { Readable } from 'node:stream';
  export function pack(cwd: string, options?: { ignore?: (path: string) => boolean; entries?: string[] }): Readable;
}
