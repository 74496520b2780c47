/**
 * The managed block on real files: every byte outside it survives, add-then-remove restores the
 * original exactly, a no-op add does not write, and conflicts are reported with line numbers.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBlock, withBlock, withoutBlock } from '../../src/hosts/block.js';
import { addBlock, removeBlock, type HostsTarget } from '../../src/hosts/index.js';
import { removeDir, tempDir } from '../helpers.js';

const HOSTS = ['richie.local.dev', 'edx.local.dev'];
const PROJECT = '/home/dev/richie';

const NASTY: Record<string, Buffer> = {
  empty: Buffer.from(''),
  lf: Buffer.from('127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n'),
  crlf: Buffer.from('127.0.0.1 localhost\r\n# comment\r\n::1 localhost\r\n'),
  tabs: Buffer.from('127.0.0.1\tlocalhost\t\tmachine\n\t# indented comment\n'),
  'trailing comments': Buffer.from('127.0.0.1 localhost # the machine\n10.1.2.3 intranet # office\n'),
  'no final newline': Buffer.from('127.0.0.1 localhost\n10.0.0.1 box'),
  'crlf, no final newline': Buffer.from('127.0.0.1 localhost\r\n10.0.0.1 box'),
  'lone cr at end': Buffer.from('127.0.0.1 localhost\n10.0.0.1 box\r'),
  'several names': Buffer.from('127.0.0.1 localhost a.test b.test c.test\n'),
  'duplicates and shadowing': Buffer.from('10.0.0.5 edx.local.dev\n127.0.0.1 edx.local.dev\n10.0.0.6 richie.local.dev other.test\n'),
  'non-utf8': Buffer.concat([Buffer.from('127.0.0.1 localhost # caf'), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from('\n')]),
  'blank lines only': Buffer.from('\n\n\n'),
  'another project block': Buffer.from(
    '127.0.0.1 localhost\n# >>> richie-dev /other >>> managed block, remove with "richie-dev hosts remove"\n127.0.0.1\tx.local.dev\n# <<< richie-dev /other <<<\n',
  ),
};

const spec = { projectDir: PROJECT, hosts: HOSTS, addresses: ['127.0.0.1', '::1'] };

describe('the managed block, as bytes', () => {
  it.each(Object.entries(NASTY))('%s: add then remove gives back the original, byte for byte', (_, original) => {
    const added = withBlock(original, spec)!;
    expect(added).toBeDefined();
    // The block is appended: the original bytes are untouched in front of it.
    expect(added.subarray(0, original.length)).toEqual(original);
    expect(findBlock(added, PROJECT)).toBeDefined();
    expect(withBlock(added, spec)).toBeUndefined(); // nothing to change the second time
    expect(withoutBlock(added, PROJECT)).toEqual(original);
    expect(withoutBlock(original, PROJECT)).toBeUndefined();
  });

  it('uses the file\'s line endings for the block', () => {
    const added = withBlock(NASTY.crlf!, spec)!.toString('latin1');
    const block = added.slice(NASTY.crlf!.length);
    expect(block.split('\r\n').filter(Boolean)).toHaveLength(6);
    expect(block.replaceAll('\r\n', '')).not.toContain('\n');
  });

  it('updates a block in place when the hosts change, keeping what follows it', () => {
    const withOld = Buffer.concat([withBlock(NASTY.lf!, { ...spec, hosts: ['richie.local.dev'] })!, Buffer.from('10.9.9.9 after\n')]);
    const updated = withBlock(withOld, spec)!;
    expect(updated.toString()).toContain('127.0.0.1\tedx.local.dev');
    expect(updated.toString().endsWith('10.9.9.9 after\n')).toBe(true);
    expect(withoutBlock(updated, PROJECT)!.toString()).toBe(`${NASTY.lf!.toString()}10.9.9.9 after\n`);
  });

  it('leaves another project\'s block alone', () => {
    const original = NASTY['another project block']!;
    const removed = withoutBlock(withBlock(original, spec)!, PROJECT)!;
    expect(removed).toEqual(original);
    expect(withoutBlock(original, '/other')!.toString()).toBe('127.0.0.1 localhost\n');
  });

  it('property: on random files, add/remove round-trips and add is idempotent', () => {
    const alphabet = Buffer.from(' \t#\r\n\n\n.:abcdefxyz0123456789\x80\xe9\xff');
    for (let run = 0; run < 500; run++) {
      const length = Math.floor(Math.random() * 400);
      const noise = randomBytes(length);
      const file = Buffer.from(noise.map((b) => alphabet[b % alphabet.length]!));
      const added = withBlock(file, spec)!;
      expect(withBlock(added, spec)).toBeUndefined();
      expect(withoutBlock(added, PROJECT)).toEqual(file);
      const text = added.toString('latin1');
      expect(text.split('# >>> richie-dev /home/dev/richie >>>').length).toBe(2);
    }
  });
});

describe('addBlock and removeBlock on files', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  function target(name: string, content: Buffer): HostsTarget {
    const file = join(dir, name.replaceAll(/\W/g, '_'));
    writeFileSync(file, content);
    return { file, projectDir: PROJECT, hosts: HOSTS };
  }

  it.each(Object.entries(NASTY))('%s: the file survives add and remove', async (name, original) => {
    const t = target(name, original);
    const added = await addBlock(t);
    expect(added).toMatchObject({ changed: true, action: 'added', method: 'rename' });
    const again = await addBlock(t);
    expect(again).toMatchObject({ changed: false, action: 'none' });
    const removed = await removeBlock(t);
    expect(removed).toMatchObject({ changed: true, action: 'removed' });
    expect(readFileSync(t.file)).toEqual(original);
  });

  it('a second add does not write the file at all (mtime and inode unchanged)', async () => {
    const t = target('mtime', NASTY.lf!);
    await addBlock(t);
    const before = statSync(t.file);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await addBlock(t);
    const after = statSync(t.file);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  it('keeps the file mode', async () => {
    const t = target('mode', NASTY.lf!);
    const { chmodSync } = await import('node:fs');
    chmodSync(t.file, 0o640);
    await addBlock(t);
    expect(statSync(t.file).mode & 0o777).toBe(0o640);
  });

  it('reports entries outside the block, with their line numbers, and does not touch them', async () => {
    const t = target('conflicts', NASTY['duplicates and shadowing']!);
    const result = await addBlock(t);
    expect(result.conflicts).toEqual([
      { host: 'edx.local.dev', line: 1, address: '10.0.0.5', shadows: true },
      { host: 'edx.local.dev', line: 2, address: '127.0.0.1', shadows: true },
      { host: 'richie.local.dev', line: 3, address: '10.0.0.6', shadows: true },
    ]);
    expect(readFileSync(t.file, 'utf8').startsWith(NASTY['duplicates and shadowing']!.toString())).toBe(true);
  });

  it('a 250,000-line blocklist survives, and has no conflicts to parse', async () => {
    const lines: string[] = ['127.0.0.1 localhost', '::1 localhost'];
    for (let i = 0; i < 250_000; i++) lines.push(`0.0.0.0 ads${i}.tracker${i % 97}.example # list`);
    const original = Buffer.from(`${lines.join('\n')}\n`);
    const t = target('blocklist', original);
    const added = await addBlock(t);
    expect(added.conflicts).toEqual([]);
    await removeBlock(t);
    expect(readFileSync(t.file).equals(original)).toBe(true);
  });

  it('refuses invalid host names before reading anything', async () => {
    await expect(addBlock({ file: join(dir, 'does-not-exist'), projectDir: PROJECT, hosts: ['bad_host.local.dev'] })).rejects.toThrow(
      /"bad_host\.local\.dev" is not a valid host name/,
    );
  });
});
