/**
 * The managed block as bytes: every byte outside it survives, add-then-remove restores the
 * original exactly, a second add changes nothing, and markers cannot be faked or confused.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyEdit, blockLineRanges, markerDir, planAdd, planRemove, scanBlocks, withBlock, withoutBlock } from '../../src/hosts/block.js';
import { NASTY } from './fixtures.js';

const HOSTS = ['richie.local.dev', 'edx.local.dev'];
const PROJECT = '/home/dev/richie';
const spec = { projectDir: PROJECT, hosts: HOSTS, addresses: ['127.0.0.1', '::1'] };

function count(haystack: Buffer, needle: string): number {
  return haystack.toString('latin1').split(needle).length - 1;
}

describe('the managed block, as bytes', () => {
  it.each(Object.entries(NASTY))('%s: add then remove gives back the original, byte for byte', (_, original) => {
    const added = withBlock(original, spec)!;
    expect(added).toBeDefined();
    // The block is appended: the original bytes are untouched in front of it.
    expect(added.subarray(0, original.length)).toEqual(original);
    expect(scanBlocks(added, PROJECT).blocks).toHaveLength(1);
    // It always ends with a line break, so `echo ... >> hosts` starts a line of its own.
    expect(added[added.length - 1]).toBe(0x0a);
    expect(withBlock(added, spec)).toBeUndefined(); // nothing to change the second time
    expect(withoutBlock(added, PROJECT)).toEqual(original);
    expect(withoutBlock(original, PROJECT)).toBeUndefined();
  });

  it('maps every host to 127.0.0.1 and ::1 between markers naming the tool and the project dir', () => {
    const text = withBlock(Buffer.from('127.0.0.1 localhost\n'), spec)!.toString();
    expect(text).toBe(
      '127.0.0.1 localhost\n' +
        '# >>> richie-dev /home/dev/richie >>> managed block, remove with "richie-dev hosts remove"\n' +
        '127.0.0.1\trichie.local.dev\n::1\trichie.local.dev\n127.0.0.1\tedx.local.dev\n::1\tedx.local.dev\n' +
        '# <<< richie-dev /home/dev/richie <<<\n',
    );
  });

  it("uses the file's line endings for the block", () => {
    const original = NASTY.crlf!;
    const block = withBlock(original, spec)!.subarray(original.length).toString('latin1');
    expect(block.split('\r\n')).toHaveLength(7); // six lines, each ending in CR LF
    expect(block.replaceAll('\r\n', '')).not.toContain('\n');
  });

  it('a file without a final newline: the inserted line break is recorded, and only taken back while the block ends the file', () => {
    const original = Buffer.from('127.0.0.1 localhost\n10.0.0.1 box');
    const added = withBlock(original, spec)!;
    expect(added.toString()).toContain('\n10.0.0.1 box\n# >>> richie-dev');
    expect(added.toString()).toMatch(/# <<< richie-dev \/home\/dev\/richie <<< \(the file had no final newline\)\n$/);
    // The user appends a line after our block: removing it must not glue that line onto "box".
    const appended = Buffer.concat([added, Buffer.from('10.0.0.2 later\n')]);
    expect(withoutBlock(appended, PROJECT)!.toString()).toBe('127.0.0.1 localhost\n10.0.0.1 box\n10.0.0.2 later\n');
    expect(withBlock(appended, spec)).toBeUndefined();
  });

  it('updates a block where it stands when the hosts change, keeping what follows it', () => {
    const withOld = Buffer.concat([withBlock(NASTY.lf!, { ...spec, hosts: ['richie.local.dev'] })!, Buffer.from('10.9.9.9 after\n')]);
    const edit = planAdd(withOld, spec)!;
    expect(edit.unchangedPrefix).toBe(NASTY.lf!.length); // an in-place rewrite starts at the block
    const updated = applyEdit(edit);
    expect(updated.toString()).toContain('127.0.0.1\tedx.local.dev');
    expect(updated.toString().endsWith('10.9.9.9 after\n')).toBe(true);
    expect(withoutBlock(updated, PROJECT)!.toString()).toBe(`${NASTY.lf!.toString()}10.9.9.9 after\n`);
  });

  it("leaves another project's block alone, even one whose dir starts with ours", () => {
    const other = withBlock(NASTY.lf!, { ...spec, projectDir: `${PROJECT}-old`, hosts: ['x.local.dev'] })!;
    const both = withBlock(other, spec)!;
    expect(scanBlocks(both, PROJECT).blocks).toHaveLength(1);
    expect(withoutBlock(both, PROJECT)).toEqual(other);
    expect(withoutBlock(both, `${PROJECT}-old`)!.toString()).toBe(`${NASTY.lf!.toString()}${both.subarray(other.length).toString()}`);
  });

  it.each([
    ['spaces', '/home/dev/my richie'],
    ['marker text', '/srv/a >>> b'],
    ['a line break', '/srv/evil\n127.0.0.1 google.com'],
    ['non-ASCII', '/home/josé/richie'],
    ['a Windows path', 'C:\\Users\\Dev\\richie'],
  ])('a project dir with %s becomes one ASCII token that cannot break the block', (_, dir) => {
    const token = markerDir(dir);
    expect(token).toMatch(/^[\x21-\x7e]+$/);
    const added = withBlock(NASTY.lf!, { ...spec, projectDir: dir })!;
    expect(added.toString('latin1').split(/\n/).filter((l) => l.startsWith('#'))).toHaveLength(2);
    expect(withoutBlock(added, dir)).toEqual(NASTY.lf!);
    // Another dir never matches it.
    expect(withoutBlock(added, '/srv/a')).toBeUndefined();
  });

  it('a begin marker without its end is left alone and reported; a new block is added after it', () => {
    const cut = Buffer.from('127.0.0.1 localhost\n# >>> richie-dev /home/dev/richie >>> managed block\n127.0.0.1\trichie.local.dev\n10.0.0.1 user\n');
    expect(scanBlocks(cut, PROJECT)).toEqual({ blocks: [], strays: [20] });
    const added = withBlock(cut, spec)!;
    expect(added.subarray(0, cut.length)).toEqual(cut);
    expect(scanBlocks(added, PROJECT)).toMatchObject({ blocks: [{ start: cut.length }], strays: [20] });
    expect(withoutBlock(added, PROJECT)).toEqual(cut);
  });

  it('two copies of the block (pasted by hand): add keeps the first and drops the copy, remove drops both', () => {
    const once = withBlock(NASTY.lf!, spec)!;
    const twice = Buffer.concat([once, Buffer.from('10.0.0.1 middle\n'), once.subarray(NASTY.lf!.length)]);
    const edit = planAdd(twice, spec)!;
    expect(edit.duplicatesRemoved).toBe(1);
    expect(applyEdit(edit)).toEqual(Buffer.concat([once, Buffer.from('10.0.0.1 middle\n')]));
    expect(applyEdit(planRemove(twice, PROJECT)!).toString()).toBe(`${NASTY.lf!.toString()}10.0.0.1 middle\n`);
  });

  it('line ranges of the block, counted as hostile counts lines', () => {
    const added = withBlock(NASTY.crlf!, spec)!;
    expect(blockLineRanges(added, PROJECT)).toEqual([[4, 9]]);
  });

  it('property: on random files, add/remove round-trips, add is idempotent, appended lines survive', () => {
    const alphabet = Buffer.from(' \t#\r\n\n\n.:abcdefxyz0123456789>< \x80\xe9\xff', 'latin1');
    const dirs = [PROJECT, '/p', '/p q', 'C:\\x'];
    for (let run = 0; run < 1000; run++) {
      const length = Math.floor(Math.random() * 400);
      const file = Buffer.from(randomBytes(length).map((b) => alphabet[b % alphabet.length]!));
      const projectDir = dirs[run % dirs.length]!;
      const s = { ...spec, projectDir };
      const added = withBlock(file, s)!;
      expect(added.subarray(0, file.length)).toEqual(file);
      expect(withBlock(added, s)).toBeUndefined();
      expect(withoutBlock(added, projectDir)).toEqual(file);
      expect(count(added, `# >>> richie-dev ${markerDir(projectDir)} >>>`)).toBe(1);
      // A later append, then remove: the file is what it was plus the appended line.
      const later = Buffer.concat([added, Buffer.from('10.1.1.1 later\n')]);
      const removed = withoutBlock(later, projectDir)!;
      expect(removed.subarray(0, file.length)).toEqual(file);
      expect(removed.toString('latin1').endsWith('10.1.1.1 later\n')).toBe(true);
      expect(scanBlocks(removed, projectDir).blocks).toHaveLength(0);
    }
  });
});
