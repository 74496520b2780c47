import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { ROOT, cli, removeDir, tempDir } from './helpers.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the command line', () => {
  it('prints its version', async () => {
    const result = await cli(['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('has --help on every command, with a description and exit 0', async () => {
    const names = buildProgram().commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['setup-ssl', 'trust']));
    for (const name of names) {
      const result = await cli([name, '--help']);
      expect(result.exitCode, name).toBe(0);
      expect(result.stdout, name).toContain(`Usage: richie-dev ${name}`);
    }
    const top = await cli(['--help']);
    for (const flag of ['--project-dir', '--json', '--quiet', '--no-color', '--version']) expect(top.stdout).toContain(flag);
  });

  it('exits 2 on a usage error, naming the problem', async () => {
    const unknown = await cli(['setup-ssl', '--frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
    const badChoice = await cli(['trust', 'maybe']);
    expect(badChoice.exitCode).toBe(2);
    expect(badChoice.stderr).toContain('Allowed choices are install, uninstall, status');
  });

  it('reports user errors as JSON with --json, and as a message plus fix otherwise', async () => {
    const dir = tempDir();
    try {
      const env = { CAROOT: join(dir, 'none') };
      const json = await cli(['--project-dir', dir, '--json', 'trust', 'status'], { env });
      expect(json.exitCode).toBe(3);
      const parsed = JSON.parse(json.stdout);
      expect(parsed).toMatchObject({ ok: false, error: { exitCode: 3 } });
      expect(parsed.error.message).toContain('There is no CA in');
      expect(parsed.error.fix).toContain('richie-dev setup-ssl');
      const human = await cli(['--project-dir', dir, 'trust', 'status'], { env });
      expect(human.stderr).toMatch(/^✖ There is no CA in .*\n {2}→ Run "richie-dev setup-ssl" first/);
      expect(human.stdout).toBe('');
    } finally {
      removeDir(dir);
    }
  });

  it('prints plain lines without colour when not on a terminal, and nothing with --quiet', async () => {
    const dir = tempDir();
    try {
      const env = { CAROOT: join(dir, 'ca'), TRUST_STORES: 'nss', HOME: dir, NO_COLOR: '' };
      const plain = await cli(['--project-dir', dir, 'setup-ssl'], { env });
      expect(plain.exitCode).toBe(0);
      // eslint-disable-next-line no-control-regex
      expect(plain.stdout + plain.stderr).not.toMatch(/\u001b\[/);
      expect(plain.stderr).toContain('Local certificate authority');
      const quiet = await cli(['--project-dir', dir, '--quiet', 'setup-ssl'], { env });
      expect(quiet.exitCode).toBe(0);
      expect(quiet.stdout + quiet.stderr).toBe('');
    } finally {
      removeDir(dir);
    }
  });
});
