/**
 * The command suggested when rights are missing must run as typed under sudo, whose
 * secure_path and reset environment differ from the user's.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { printCommandLine, sudoCommandLine } from '../../src/hosts/sudo.js';
import { removeDir, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));
const script = join(root, 'pkg', 'dist', 'cli.js');
mkdirSync(join(root, 'pkg', 'dist'), { recursive: true });
writeFileSync(script, '#!/usr/bin/env node\n');
chmodSync(script, 0o755);
const bin = join(root, 'bin');
mkdirSync(bin);
symlinkSync(script, join(bin, 'richie-dev'));
const other = join(root, 'other-bin');
mkdirSync(other);
writeFileSync(join(other, 'richie-dev'), '#!/bin/sh\n');
chmodSync(join(other, 'richie-dev'), 0o755);

const args = ['--project-dir', '/home/dev/my richie', 'hosts', 'add', '--json'];
const base = { args, script, execPath: '/usr/bin/node', platform: 'linux' as const, env: { PATH: `${bin}:/usr/bin` } };

describe('the sudo command line', () => {
  it('is "sudo richie-dev ..." when sudo\'s PATH finds this richie-dev and node', () => {
    expect(sudoCommandLine({ ...base, securePath: [bin, '/usr/bin'] })).toBe("sudo richie-dev --project-dir '/home/dev/my richie' hosts add --json");
  });

  it('names node and the script when sudo would not find them (npm prefix in $HOME, nvm)', () => {
    expect(sudoCommandLine({ ...base, securePath: ['/usr/bin'] })).toBe(`sudo /usr/bin/node ${script} --project-dir '/home/dev/my richie' hosts add --json`);
    expect(sudoCommandLine({ ...base, execPath: '/home/dev/.nvm/bin/node', securePath: [bin, '/usr/bin'] })).toBe(
      `sudo /home/dev/.nvm/bin/node ${script} --project-dir '/home/dev/my richie' hosts add --json`,
    );
  });

  it('never names a different richie-dev that comes first on PATH', () => {
    const env = { PATH: `${other}:${bin}` };
    expect(sudoCommandLine({ ...base, env, securePath: [other, bin, '/usr/bin'] })).toBe(`sudo /usr/bin/node ${script} --project-dir '/home/dev/my richie' hosts add --json`);
  });

  it('passes a hosts file that came from RICHIE_DEV_HOSTS_FILE as a flag (sudo resets the environment)', () => {
    const env = { ...base.env, RICHIE_DEV_HOSTS_FILE: '/srv/hosts' };
    expect(sudoCommandLine({ ...base, env, hostsFile: '/srv/hosts', securePath: [bin, '/usr/bin'] })).toBe(
      "sudo richie-dev --project-dir '/home/dev/my richie' hosts add --json --hosts-file /srv/hosts",
    );
    // Given on the command line already: not repeated.
    const typed = { ...base, env, hostsFile: '/x', args: ['hosts', 'add', '--hosts-file=/x'], securePath: [bin, '/usr/bin'] };
    expect(sudoCommandLine(typed)).toBe('sudo richie-dev hosts add --hosts-file=/x');
  });

  it('on Windows, asks for an elevated terminal instead of sudo', () => {
    expect(sudoCommandLine({ ...base, platform: 'win32', securePath: [] })).toMatch(/^\/usr\/bin\/node .* hosts add --json {3}\(in a terminal opened with "Run as administrator"\)$/);
  });

  it('the --print alternative runs as the user, without --json', () => {
    expect(printCommandLine({ ...base, securePath: [] })).toBe("richie-dev --project-dir '/home/dev/my richie' hosts add --print");
    expect(printCommandLine({ ...base, env: { PATH: '/usr/bin' } })).toBe(`/usr/bin/node ${script} --project-dir '/home/dev/my richie' hosts add --print`);
  });
});
