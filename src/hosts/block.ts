/**
 * The managed block, as bytes. Everything here works on Buffers so that every byte outside
 * the block — CRLF, tabs, trailing comments, non-UTF-8 — is copied, never decoded.
 *
 * A block is a begin marker line, one line per (host, address), and an end marker line; both
 * markers name the tool and the project dir. An edit is a list of splices on the file, so a
 * caller can write the untouched parts straight from the buffer it read (no copy of a
 * 250,000-line file) and an in-place rewrite can start at the first changed byte.
 *
 * Round trip: a new block goes after the last line and always ends with a line break (so a
 * later `echo ... >> /etc/hosts` lands on a line of its own). When the file lacks a final
 * newline, one is inserted before the block and the end marker says so; removing that block
 * while it still ends the file takes the inserted line break back. add-then-remove therefore
 * gives back the original bytes in every case.
 */

export interface BlockSpec {
  projectDir: string;
  hosts: readonly string[];
  /** Addresses each host maps to: loopback by default, the engine's address when remote. */
  addresses: readonly string[];
}

export type Eol = '\r\n' | '\n';

/** One change: replace bytes [start, end) of the file with `insert`. */
export interface Splice {
  start: number;
  end: number;
  insert: Buffer;
}

/** What to write, or nothing when the file already says it. */
export interface Edit {
  splices: Splice[];
  /** The new file as pieces in order (views of the old buffer and the new bytes). */
  pieces: Buffer[];
  length: number;
  /** Bytes before this offset are the same in the old and the new file. */
  unchangedPrefix: number;
  /** Extra complete blocks of this project that the edit removed (hand-copied duplicates). */
  duplicatesRemoved: number;
}

const TOOL = 'richie-dev';
const NO_FINAL_EOL = '(the file had no final newline)';

/**
 * The project dir as one marker token: bytes outside a conservative set are percent-encoded,
 * so a dir with spaces, `>>>`, a line break or non-ASCII letters cannot break or fake a
 * marker, and the block stays ASCII whatever the file's encoding.
 */
export function markerDir(projectDir: string): string {
  let out = '';
  for (const byte of Buffer.from(projectDir, 'utf8')) {
    const safe =
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || '/._~@+,=:\\-'.includes(String.fromCharCode(byte));
    out += safe ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function beginPrefix(projectDir: string): string {
  return `# >>> ${TOOL} ${markerDir(projectDir)} >>>`;
}

function endPrefix(projectDir: string): string {
  return `# <<< ${TOOL} ${markerDir(projectDir)} <<<`;
}

export function beginMarker(projectDir: string): string {
  return `${beginPrefix(projectDir)} managed block, remove with "${TOOL} hosts remove"`;
}

export function endMarker(projectDir: string, noFinalEol = false): string {
  return noFinalEol ? `${endPrefix(projectDir)} ${NO_FINAL_EOL}` : endPrefix(projectDir);
}

/** The block's lines, without line endings. */
export function blockLines(spec: BlockSpec, noFinalEol = false): string[] {
  const lines = [beginMarker(spec.projectDir)];
  for (const host of spec.hosts) for (const address of spec.addresses) lines.push(`${address}\t${host}`);
  lines.push(endMarker(spec.projectDir, noFinalEol));
  return lines;
}

function renderBytes(spec: BlockSpec, eol: Eol, noFinalEol: boolean): Buffer {
  return Buffer.from(blockLines(spec, noFinalEol).join(eol) + eol, 'latin1');
}

/** CRLF when the file's first line ends with one (Windows hosts files), else LF. */
export function detectEol(file: Buffer): Eol {
  const lf = file.indexOf(0x0a);
  return lf > 0 && file[lf - 1] === 0x0d ? '\r\n' : '\n';
}

/** Where a line's content ends (before CR LF or LF) and where the next line starts. */
function lineEndAt(file: Buffer, from: number): { contentEnd: number; next: number } {
  const lf = file.indexOf(0x0a, from);
  if (lf === -1) return { contentEnd: file.length, next: file.length };
  return { contentEnd: lf > from && file[lf - 1] === 0x0d ? lf - 1 : lf, next: lf + 1 };
}

/**
 * Offsets of the lines that start with `prefix` followed by the end of the line, a space, or
 * the end of the file (so project `/a` never matches the marker of project `/a-b`).
 */
function markerLines(file: Buffer, prefix: Buffer): number[] {
  const found: number[] = [];
  let at = 0;
  while ((at = file.indexOf(prefix, at)) !== -1) {
    const after = file[at + prefix.length];
    if ((at === 0 || file[at - 1] === 0x0a) && (after === undefined || after === 0x20 || after === 0x0d || after === 0x0a)) found.push(at);
    at += prefix.length;
  }
  return found;
}

export interface BlockLocation {
  /** Byte offset of the begin marker line. */
  start: number;
  /** Byte offset just after the end marker line and its line break (or the end of the file). */
  end: number;
  /** The line break the block's lines use (the begin marker's). */
  eol: Eol;
  /** The end marker records that a line break was inserted before the block. */
  noFinalEol: boolean;
}

export interface BlockScan {
  /** This project's complete blocks, in file order. */
  blocks: BlockLocation[];
  /** Offsets of marker lines without a partner (a block cut by hand): left alone, reported. */
  strays: number[];
}

// One scan per buffer and project: add, remove and the conflict search all ask for it, and on
// a 250,000-line file each scan is two searches through 9 MB.
const scans = new WeakMap<Buffer, Map<string, BlockScan>>();

/** Find this project's blocks: each begin marker line paired with the next end marker line. */
export function scanBlocks(file: Buffer, projectDir: string): BlockScan {
  let byDir = scans.get(file);
  if (!byDir) scans.set(file, (byDir = new Map()));
  let scan = byDir.get(projectDir);
  if (!scan) byDir.set(projectDir, (scan = scanUncached(file, projectDir)));
  return scan;
}

function scanUncached(file: Buffer, projectDir: string): BlockScan {
  const begins = markerLines(file, Buffer.from(beginPrefix(projectDir), 'latin1'));
  const ends = markerLines(file, Buffer.from(endPrefix(projectDir), 'latin1'));
  const blocks: BlockLocation[] = [];
  const strays: number[] = [];
  const noFinalEol = Buffer.from(` ${NO_FINAL_EOL}`, 'latin1');
  let e = 0;
  for (let b = 0; b < begins.length; b++) {
    const start = begins[b]!;
    while (e < ends.length && ends[e]! < start) strays.push(ends[e++]!);
    const end = ends[e];
    const nextBegin = begins[b + 1];
    if (end === undefined || (nextBegin !== undefined && nextBegin < end)) {
      strays.push(start); // a begin without its end: not ours to guess at
      continue;
    }
    e++;
    const beginLine = lineEndAt(file, start);
    const endLine = lineEndAt(file, end);
    const endText = file.subarray(end, endLine.contentEnd);
    blocks.push({
      start,
      end: endLine.next,
      eol: beginLine.next - beginLine.contentEnd === 2 ? '\r\n' : '\n',
      noFinalEol: endText.length > noFinalEol.length && endText.subarray(endText.length - noFinalEol.length).equals(noFinalEol),
    });
  }
  while (e < ends.length) strays.push(ends[e++]!);
  strays.sort((a, b) => a - b);
  return { blocks, strays };
}

/** The first complete block of this project, if any. */
export function findBlock(file: Buffer, projectDir: string): BlockLocation | undefined {
  return scanBlocks(file, projectDir).blocks[0];
}

function makeEdit(file: Buffer, splices: Splice[], duplicatesRemoved: number): Edit {
  const pieces: Buffer[] = [];
  let at = 0;
  let length = 0;
  for (const s of splices) {
    pieces.push(file.subarray(at, s.start), s.insert);
    length += s.start - at + s.insert.length;
    at = s.end;
  }
  pieces.push(file.subarray(at));
  length += file.length - at;
  return { splices, pieces: pieces.filter((p) => p.length > 0), length, unchangedPrefix: splices[0]?.start ?? file.length, duplicatesRemoved };
}

/** The edit that adds or updates this project's block, or undefined when nothing would change. */
export function planAdd(file: Buffer, spec: BlockSpec, scan: BlockScan = scanBlocks(file, spec.projectDir)): Edit | undefined {
  const [first, ...duplicates] = scan.blocks;
  const splices: Splice[] = [];
  if (first) {
    // An existing block keeps its own line endings and flag, so a second add compares like with like.
    let replacement = renderBytes(spec, first.eol, first.noFinalEol);
    // A block whose end marker was left without a line break (edited by hand) stays that way.
    if (first.end === file.length && file[file.length - 1] !== 0x0a) replacement = replacement.subarray(0, replacement.length - first.eol.length);
    if (!file.subarray(first.start, first.end).equals(replacement)) splices.push({ start: first.start, end: first.end, insert: replacement });
    for (const dup of duplicates) splices.push({ start: dup.start, end: dup.end, insert: Buffer.alloc(0) });
    return splices.length ? makeEdit(file, splices, duplicates.length) : undefined;
  }
  const eol = detectEol(file);
  const endsWithEol = file.length === 0 || file[file.length - 1] === 0x0a;
  const block = renderBytes(spec, eol, !endsWithEol);
  const insert = endsWithEol ? block : Buffer.concat([Buffer.from(eol, 'latin1'), block]);
  return makeEdit(file, [{ start: file.length, end: file.length, insert }], 0);
}

/** The edit that removes every block of this project, or undefined when there is none. */
export function planRemove(file: Buffer, projectDir: string, scan: BlockScan = scanBlocks(file, projectDir)): Edit | undefined {
  if (scan.blocks.length === 0) return undefined;
  const splices = scan.blocks.map((block): Splice => {
    let start = block.start;
    // The line break before the block was ours: take it back when the block still ends the file.
    if (block.noFinalEol && block.end === file.length && start >= block.eol.length) {
      const before = file.subarray(start - block.eol.length, start);
      if (before.equals(Buffer.from(block.eol, 'latin1'))) start -= block.eol.length;
    }
    return { start, end: block.end, insert: Buffer.alloc(0) };
  });
  return makeEdit(file, splices, scan.blocks.length - 1);
}

/** The new file as one buffer (tests, and the rare paths that need to parse it). */
export function applyEdit(edit: Edit): Buffer {
  return Buffer.concat(edit.pieces, edit.length);
}

/** Convenience for callers that work on whole buffers: the new file, or undefined when unchanged. */
export function withBlock(file: Buffer, spec: BlockSpec): Buffer | undefined {
  const edit = planAdd(file, spec);
  return edit && applyEdit(edit);
}

export function withoutBlock(file: Buffer, projectDir: string): Buffer | undefined {
  const edit = planRemove(file, projectDir);
  return edit && applyEdit(edit);
}

/** 1-based line number of the line holding byte `offset`. */
export function lineNumberAt(file: Buffer, offset: number): number {
  let count = 1;
  let at = -1;
  while ((at = file.indexOf(0x0a, at + 1)) !== -1 && at < offset) count++;
  return count;
}

/** 1-based, inclusive line ranges covered by this project's blocks. */
export function blockLineRanges(file: Buffer, projectDir: string): [number, number][] {
  return scanBlocks(file, projectDir).blocks.map((b) => {
    const first = lineNumberAt(file, b.start);
    // `end` is just past the end marker's line break: the end marker is the line before it.
    const last = lineNumberAt(file, file[b.end - 1] === 0x0a ? b.end - 1 : b.end);
    return [first, last];
  });
}
