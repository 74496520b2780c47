import { cpSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { CLI, ROOT, cli, removeDir, sh, tempDir } from './helpers.js';

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

  it('is one bundle in dist/bin that runs without the modules tsc writes beside it', async () => {
    // The package's bin (build/bundle-cli.mjs): a copy of the package holding dist/bin, the
    // precompiled templates and what the code reads beside them, but none of tsc's dist/**/*.js,
    // must still run a command that loads most of the code (setup-ssl with its render).
    expect(relative(ROOT, CLI)).toBe(join('dist', 'bin', 'richie-dev.js'));
    const dir = tempDir();
    try {
      const pkg = join(dir, 'pkg');
      for (const part of ['package.json', 'templates', 'docker-compose.richie.yml', join('dist', 'bin'), join('dist', 'templates.precompiled.js')]) {
        cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
      expect(readdirSync(join(pkg, 'dist')).sort()).toEqual(['bin', 'templates.precompiled.js']);
      const env = { CAROOT: join(dir, 'ca'), TRUST_STORES: 'nss', HOME: dir, NO_COLOR: '1' };
      const result = await sh(process.execPath, [join(pkg, 'dist', 'bin', 'richie-dev.js'), '--project-dir', join(dir, 'project'), '--json', 'setup-ssl', '--no-trust'], env);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      const parsed = JSON.parse(result.stdout) as { ca: { created: boolean }; rendered: { files: unknown[] } };
      expect(parsed.ca.created).toBe(true);
      expect(parsed.rendered.files.length).toBeGreaterThan(0);
    } finally {
      removeDir(dir);
    }
  });
});
