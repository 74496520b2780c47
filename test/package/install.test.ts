/**
 * The package as a user installs it (issue 21, item 4): `npm pack` of this checkout, then
 * `npm install -g --prefix <empty folder> --offline` of the tarball — one package, nothing to
 * fetch, no npm warning — and its bin run from a folder outside the checkout, with a home of
 * its own: setup-ssl, then run-ssl, whose catalog serves the demo app's built front end from
 * the installed package. Not timed (bench/install times it). The stack goes down after.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool, isolatedEnv, removeDir, sh, tempDir } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CATALOG_PORT = 18670;
const LMS_PORT = 18673;

describe('the packed package, installed into an empty prefix', () => {
  const root = tempDir();
  const prefix = join(root, 'prefix');
  const project = join(root, 'elsewhere', 'pkgproject');
  const home = join(root, 'home');
  const env = isolatedEnv({
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    CAROOT: join(root, 'ca'),
    TRUST_STORES: 'nss',
    NO_COLOR: '1',
  });
  // npm's own npm_* variables (when the suite runs under `npm test`) would be a nested npm's config.
  const npmEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))), npm_config_update_notifier: 'false' };
  let installed: { stdout: string; stderr: string };
  const bin = join(prefix, 'bin', 'richie-dev');
  const richieDev = (args: string[]) => execa(bin, args, { env, extendEnv: false, cwd: project, reject: false, stdin: 'ignore' });

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    expect(hasTool('npm')).toBe(true);
    const tarball = execFileSync('npm', ['pack', '--pack-destination', root, '--loglevel', 'error', '--no-update-notifier'], { cwd: ROOT, env: npmEnv, encoding: 'utf8' }).trim().split('\n').pop()!;
    // Offline: a package with dependencies to fetch would fail here, not fall back to the network.
    const result = await execa('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--no-update-notifier', join(root, tarball)], { cwd: root, env: npmEnv, extendEnv: false, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    installed = { stdout: String(result.stdout), stderr: String(result.stderr) };
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: CATALOG_PORT }, lms: { port: LMS_PORT } }));
    writeFileSync(join(project, 'hosts'), '127.0.0.1 localhost\n');
  }, 300_000);
  afterAll(async () => {
    if (existsSync(bin)) await richieDev(['down', '--volumes']);
    removeDir(root);
  });

  it('installs as one package with no dependencies, nothing built, and no npm warning', () => {
    expect(installed.stdout).toMatch(/added 1 package\b/);
    expect(installed.stderr).not.toMatch(/npm warn/i);
    const pkg = join(prefix, 'lib', 'node_modules', 'richie-dev');
    expect(existsSync(join(pkg, 'node_modules'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { dependencies?: object; scripts: Record<string, string> };
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.scripts).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))).toEqual([]);
    // The checkout's package.json is as it was: the pack's strip was undone.
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.prepare).toBe('npm run build');
    const bytes = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? bytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
    expect(bytes(pkg)).toBeLessThan(5 * 1024 * 1024);
    // The demo app's front end, built and git-ignored, is in the package.
    expect(readdirSync(join(pkg, 'templates', 'images', 'demo-catalog', 'static')).sort()).toEqual(['richie-frontend.LICENSES.txt', 'richie-frontend.js', 'richie.css']);
  });

  it('setup-ssl, then run-ssl, from a folder outside the checkout: the catalog serves the installed front end over TLS', async () => {
    const setup = await richieDev(['setup-ssl', '--no-trust']);
    expect(setup.exitCode, String(setup.stderr)).toBe(0);
    expect(existsSync(join(project, '.richie-dev', 'ssl', 'richie.local.dev.pem'))).toBe(true);
    const run = await richieDev(['--json', 'run-ssl', '--hosts-file', join(project, 'hosts')]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const result = JSON.parse(String(run.stdout)) as { services: { name: string; state: string }[] };
    expect(result.services.map((s) => [s.name, s.state])).toEqual([
      ['catalog', 'healthy'],
      ['lms', 'healthy'],
      ['nginx', 'healthy'],
    ]);
    const served = join(root, 'served.js');
    const asset = await sh('curl', ['-sS', '--fail', '-o', served, '--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', `richie.local.dev:${CATALOG_PORT}:127.0.0.1`, `https://richie.local.dev:${CATALOG_PORT}/static/richie/js/build/index.js`]);
    expect(asset.exitCode, asset.stderr).toBe(0);
    expect(readFileSync(served).equals(readFileSync(join(prefix, 'lib', 'node_modules', 'richie-dev', 'templates', 'images', 'demo-catalog', 'static', 'richie-frontend.js')))).toBe(true);
  });
});
