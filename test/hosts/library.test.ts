/**
 * addBlock, removeBlock and checkHosts on real files in a temp dir: bytes, mode, owner and
 * symlinks kept; no write when nothing changes; conflicts found through hostile with their
 * line numbers; bad input refused before the file is read.
 */
import { chmodSync, chownSync, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addBlock, checkHosts, isLoopback, removeBlock, renderBlock, resolveHost, type HostsTarget } from '../../src/hosts/index.js';
import { isRoot, removeDir, tempDir } from '../helpers.js';
import { NASTY, blocklist } from './fixtures.js';

const HOSTS = ['richie.local.dev', 'edx.local.dev'];
const PROJECT = '/home/dev/richie';

const dir = tempDir();
afterAll(() => removeDir(dir));
let n = 0;

function target(content: Buffer | string, extra: Partial<HostsTarget> = {}): HostsTarget {
  const file = join(dir, `hosts-${n++}`);
  writeFileSync(file, content);
  return { file, projectDir: PROJECT, hosts: HOSTS, ...extra };
}

describe('addBlock and removeBlock on files', () => {
  it.each(Object.entries(NASTY))('%s: the file survives add and remove, byte for byte', async (_, original) => {
    const t = target(original);
    const added = await addBlock(t);
    expect(added).toMatchObject({ changed: true, action: 'added', method: 'rename' });
    expect(readFileSync(t.file).subarray(0, original.length)).toEqual(original);
    expect(await addBlock(t)).toMatchObject({ changed: false, action: 'none' });
    expect(await removeBlock(t)).toMatchObject({ changed: true, action: 'removed' });
    expect(readFileSync(t.file)).toEqual(original);
    expect(await removeBlock(t)).toMatchObject({ changed: false, action: 'none' });
  });

  it('a second add does not write the file at all: same mtime, same inode, no lock or temp file', async () => {
    const t = target(NASTY.lf!);
    await addBlock(t);
    const before = statSync(t.file);
    const files = readdirSync(dir).length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await addBlock(t);
    const after = statSync(t.file);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(readdirSync(dir)).toHaveLength(files);
  });

  it('updates the block when the hosts change ("updated"), and only then', async () => {
    const t = target(NASTY.lf!, { hosts: ['richie.local.dev'] });
    await addBlock(t);
    const result = await addBlock({ ...t, hosts: HOSTS });
    expect(result).toMatchObject({ changed: true, action: 'updated' });
    expect(readFileSync(t.file, 'utf8')).toContain('::1\tedx.local.dev');
  });

  it('maps to other addresses when asked (a remote Docker engine), and refuses a non-address', async () => {
    const t = target(NASTY.lf!, { addresses: ['192.168.1.20'] });
    await addBlock(t);
    expect(readFileSync(t.file, 'utf8')).toContain('192.168.1.20\tedx.local.dev\n');
    expect(readFileSync(t.file, 'utf8')).not.toContain('127.0.0.1\tedx');
    await expect(addBlock({ ...t, addresses: ['docker.host'] })).rejects.toThrow('"docker.host" is not an IP address');
  });

  it('keeps mode and owner', async () => {
    expect(isRoot).toBe(true);
    const t = target(NASTY.lf!);
    chmodSync(t.file, 0o640);
    chownSync(t.file, 65534, 65534);
    await addBlock(t);
    const info = statSync(t.file);
    expect(info.mode & 0o7777).toBe(0o640);
    expect([info.uid, info.gid]).toEqual([65534, 65534]);
  });

  it('follows a symlink: the link stays a link and its target gets the block', async () => {
    const t = target(NASTY.lf!);
    const link = join(dir, 'link-to-hosts');
    symlinkSync(t.file, link);
    const result = await addBlock({ ...t, file: link });
    expect(result.changed).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(t.file);
    expect(readFileSync(t.file, 'utf8')).toContain('# >>> richie-dev');
  });

  it('reports entries for our hosts outside the block with their line numbers, case-blind, and leaves them alone', async () => {
    const original = [
      '10.0.0.5 edx.local.dev', // 1: before the block
      '127.0.0.1 localhost RICHIE.Local.Dev', // 2: several names, other case
      '# 10.0.0.9 edx.local.dev', // 3: a comment, not an entry
      '10.0.0.7 ads.edx.local.dev edx.local.dev.example', // 4: other names that contain ours
      '',
    ].join('\r\n');
    const t = target(original);
    const result = await addBlock(t);
    expect(result.conflicts).toEqual([
      { host: 'edx.local.dev', line: 1, address: '10.0.0.5', shadows: true },
      { host: 'richie.local.dev', line: 2, address: '127.0.0.1', shadows: true },
    ]);
    writeFileSync(t.file, `${readFileSync(t.file, 'latin1')}10.0.0.8 edx.local.dev # after\r\n`, 'latin1');
    const after = await addBlock(t);
    expect(after.changed).toBe(false);
    expect(after.conflicts.at(-1)).toEqual({ host: 'edx.local.dev', line: 11, address: '10.0.0.8', shadows: false });
    await removeBlock(t);
    expect(readFileSync(t.file, 'latin1')).toBe(`${original}10.0.0.8 edx.local.dev # after\r\n`);
  });

  it('a 250,000-line blocklist survives; a conflict on its last line is found with the right number', async () => {
    const original = blocklist(250_000, '0.0.0.0 edx.local.dev\n');
    const t = target(original);
    const added = await addBlock(t);
    expect(added.conflicts).toEqual([{ host: 'edx.local.dev', line: 250_003, address: '0.0.0.0', shadows: true }]);
    await removeBlock(t);
    expect(readFileSync(t.file).equals(original)).toBe(true);
  });

  it('refuses invalid host names and addresses before reading anything', async () => {
    const missing = join(dir, 'does-not-exist');
    await expect(addBlock({ file: missing, projectDir: PROJECT, hosts: ['bad_host.local.dev'] })).rejects.toThrow(/"bad_host\.local\.dev" is not a valid host name/);
    await expect(removeBlock({ file: missing, projectDir: PROJECT, hosts: ['Upper.local.dev'] })).rejects.toThrow(/upper-case/);
    await expect(addBlock({ file: missing, projectDir: PROJECT, hosts: HOSTS, addresses: ['localhost'] })).rejects.toThrow(/not an IP address/);
    await expect(addBlock({ file: missing, projectDir: PROJECT, hosts: HOSTS })).rejects.toThrow(`The hosts file ${missing} does not exist.`);
  });

  it('refuses a UTF-16 file, which resolvers cannot read, and changes nothing', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('127.0.0.1 localhost\r\n', 'utf16le')]);
    const t = target(utf16);
    await expect(addBlock(t)).rejects.toThrow('is UTF-16 text');
    expect(readFileSync(t.file)).toEqual(utf16);
  });

  it('warns that WSL regenerates its /etc/hosts, and points at the Windows file', async () => {
    const t = target('# This file was automatically generated by WSL. To stop automatic generation of this file, add the following entry to /etc/wsl.conf:\n# [network]\n# generateHosts = false\n127.0.0.1\tlocalhost\n');
    const result = await addBlock(t);
    expect(result.warnings.join('\n')).toContain('generateHosts = false');
    expect(result.warnings.join('\n')).toContain('--hosts-file /mnt/c/Windows/System32/drivers/etc/hosts');
  });

  it('warns about a marker left without its partner, and leaves it', async () => {
    const cut = '127.0.0.1 localhost\n# <<< richie-dev /home/dev/richie <<<\n';
    const t = target(cut);
    const result = await addBlock(t);
    expect(result.warnings[0]).toBe(`${t.file} line 2: a richie-dev marker for ${PROJECT} without its partner (edited by hand?); left as it is.`);
    await removeBlock(t);
    expect(readFileSync(t.file, 'utf8')).toBe(cut);
  });

  it('renders the block for manual editing without touching any file', () => {
    expect(renderBlock({ file: '/nonexistent', projectDir: PROJECT, hosts: ['edx.local.dev'] })).toBe(
      `# >>> richie-dev ${PROJECT} >>> managed block, remove with "richie-dev hosts remove"\n127.0.0.1\tedx.local.dev\n::1\tedx.local.dev\n# <<< richie-dev ${PROJECT} <<<\n`,
    );
  });
});

describe('checkHosts and the resolver', () => {
  it('says whether the block is missing, outdated or current, and lists every entry with its line', async () => {
    const t = target('10.0.0.5 edx.local.dev\n');
    expect((await checkHosts(t)).block).toBe('missing');
    await addBlock({ ...t, hosts: ['edx.local.dev'] });
    expect((await checkHosts(t)).block).toBe('outdated');
    await addBlock(t);
    const report = await checkHosts(t, { timeoutMs: 3_000 });
    expect(report.block).toBe('current');
    const edx = report.hosts.find((h) => h.host === 'edx.local.dev')!;
    expect(edx.entries).toEqual([
      { line: 1, address: '10.0.0.5', inBlock: false },
      { line: 5, address: '127.0.0.1', inBlock: true },
      { line: 6, address: '::1', inBlock: true },
    ]);
    expect(report.conflicts).toEqual([{ host: 'edx.local.dev', line: 1, address: '10.0.0.5', shadows: true }]);
    // This temp file is not what the system resolver reads: the names do not resolve, and it says so.
    expect(edx.ok).toBe(false);
    expect(edx.resolved).toEqual([]);
    expect(report.warnings).toContain(`The system resolver reads /etc/hosts, not ${t.file}: what it returns does not come from this file.`);
  });

  it('resolveHost asks getaddrinfo: localhost is loopback, a missing name is an error code', async () => {
    const local = await resolveHost('localhost');
    expect(local.addresses.length).toBeGreaterThan(0);
    expect(local.addresses.every(isLoopback)).toBe(true);
    const missing = await resolveHost('no-such-host.richie-dev.invalid', { timeoutMs: 3_000 });
    expect(missing.addresses).toEqual([]);
    expect(missing.error).toMatch(/^(ENOTFOUND|EAI_AGAIN|TIMEOUT)$/);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['0.0.0.0', false],
    ['1270.0.0.1', false],
  ])('isLoopback(%s) is %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

it('leaves no file behind in the temp dir but the hosts files and the link', () => {
  expect(readdirSync(dir).filter((f) => !/^hosts-\d+$/.test(f) && f !== 'link-to-hosts')).toEqual([]);
  expect(existsSync(join(dir, 'link-to-hosts'))).toBe(true);
});
