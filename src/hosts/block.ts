/**
 * The managed block, as bytes. Everything here works on Buffers so that every byte outside
 * the block — CRLF, tabs, trailing comments, non-UTF-8 — is copied, never re-encoded.
 *
 * Round trip: the block is appended after the last line. When the file lacks a final newline,
 * the block goes after one inserted EOL and itself ends without one, so removing a block that
 * ends the file without an EOL also removes the EOL before it: add-then-remove gives back the
 * original bytes in every case.
 */

export interface BlockSpec {
  projectDir: string;
  hosts: readonly string[];
  /** Addresses each host maps to: loopback by default, the engine's address when remote. */
  addresses: readonly string[];
}

const BEGIN = '# >>> richie-dev';
const END = '# <<< richie-dev';

export function beginMarker(projectDir: string): string {
  return `${BEGIN} ${projectDir} >>> managed block, remove with "richie-dev hosts remove"`;
}

export function endMarker(projectDir: string): string {
  return `${END} ${projectDir} <<<`;
}

/** The block's lines, without line endings. */
export function blockLines(spec: BlockSpec): string[] {
  const lines = [beginMarker(spec.projectDir)];
  for (const host of spec.hosts) for (const address of spec.addresses) lines.push(`${address}\t${host}`);
  lines.push(endMarker(spec.projectDir));
  return lines;
}

/** CRLF when the file's first line ends with one (Windows hosts files), else LF. */
export function detectEol(file: Buffer): '\r\n' | '\n' {
  const lf = file.indexOf(0x0a);
  return lf > 0 && file[lf - 1] === 0x0d ? '\r\n' : '\n';
}

export interface BlockLocation {
  /** Byte offset of the begin marker line. */
  start: number;
  /** Byte offset just after the end marker line and its EOL (or the end of the file). */
  end: number;
  /** Whether the end marker line has no EOL after it (the block ends the file). */
  unterminated: boolean;
}

function lineEndAt(file: Buffer, from: number): { contentEnd: number; next: number } {
  const lf = file.indexOf(0x0a, from);
  if (lf === -1) return { contentEnd: file.length, next: file.length };
  return { contentEnd: lf > from && file[lf - 1] === 0x0d ? lf - 1 : lf, next: lf + 1 };
}

function lineEnding(file: Buffer, lineStart: number): '\r\n' | '\n' | undefined {
  const { contentEnd, next } = lineEndAt(file, lineStart);
  return next - contentEnd === 2 ? '\r\n' : next - contentEnd === 1 ? '\n' : undefined;
}

/** Find this project's block: a begin marker line and the next matching end marker line. */
export function findBlock(file: Buffer, projectDir: string): BlockLocation | undefined {
  const begin = Buffer.from(beginMarker(projectDir));
  const end = Buffer.from(endMarker(projectDir));
  let at = 0;
  while ((at = file.indexOf(begin, at)) !== -1) {
    const atLineStart = at === 0 || file[at - 1] === 0x0a;
    const beginLine = lineEndAt(file, at);
    if (atLineStart && beginLine.contentEnd === at + begin.length) {
      let search = beginLine.next;
      while ((search = file.indexOf(end, search)) !== -1) {
        const endLine = lineEndAt(file, search);
        if (file[search - 1] === 0x0a && endLine.contentEnd === search + end.length) {
          return { start: at, end: endLine.next, unterminated: endLine.next === endLine.contentEnd };
        }
        search += end.length;
      }
      return undefined; // a begin marker without an end: not ours to guess at
    }
    at += begin.length;
  }
  return undefined;
}

/** The file with the block added or updated, or undefined when nothing would change. */
export function withBlock(file: Buffer, spec: BlockSpec): Buffer | undefined {
  const found = findBlock(file, spec.projectDir);
  // An existing block keeps its own line endings, so a second add compares like with like.
  const eol = found ? (lineEnding(file, found.start) ?? detectEol(file)) : detectEol(file);
  const body = blockLines(spec).join(eol);
  if (found) {
    const replacement = Buffer.from(found.unterminated ? body : body + eol);
    const current = file.subarray(found.start, found.end);
    if (current.equals(replacement)) return undefined;
    return Buffer.concat([file.subarray(0, found.start), replacement, file.subarray(found.end)]);
  }
  const endsWithEol = file.length === 0 || file[file.length - 1] === 0x0a;
  return Buffer.concat([file, Buffer.from(endsWithEol ? body + eol : eol + body)]);
}

/** The file with the block removed, or undefined when there is no block. */
export function withoutBlock(file: Buffer, projectDir: string): Buffer | undefined {
  const found = findBlock(file, projectDir);
  if (!found) return undefined;
  let start = found.start;
  if (found.unterminated && start > 0) {
    // The EOL before the block was ours (the original file did not end with one), and it is
    // the EOL the block's own lines use.
    start -= lineEndAt(file, found.start).next - lineEndAt(file, found.start).contentEnd;
  }
  return Buffer.concat([file.subarray(0, start), file.subarray(found.end)]);
}

/** 1-based line numbers covered by the block, for telling our entries from others. */
export function blockLineRange(file: Buffer, projectDir: string): [number, number] | undefined {
  const found = findBlock(file, projectDir);
  if (!found) return undefined;
  const first = countLines(file, found.start) + 1;
  const last = countLines(file, found.end - (found.unterminated ? 0 : 1)) + 1;
  return [first, last];
}

function countLines(file: Buffer, upTo: number): number {
  let count = 0;
  let at = -1;
  while ((at = file.indexOf(0x0a, at + 1)) !== -1 && at < upTo) count++;
  return count;
}
