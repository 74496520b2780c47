/**
 * The secret test (issue 19): a random value in the environment, under a secret-looking name
 * and a plain one, and every command run as the user runs it (the built CLI, its own HOME and
 * XDG dirs, CAROOT), the first run on a machine included: the cache starts empty, so the
 * built-in images' check runs ldd (which once made every variable of the environment count as
 * read by the up record, and state.json kept them all with their values). Afterwards the value
 * is in no file under the project, the cache, data and config dirs or the CA root, and in no
 * output of a `--json` run; the project's sync secret is in no `--json` output either, unless
 * asked for with `stack config --show-secrets`.
 *
 * Real Docker (run it under the shared lock); run-ssl writes its hosts entries to a hosts file
 * of the test's own (--hosts-file), and the trust stores looked at are the NSS ones under the
 * test's HOME (TRUST_STORES=nss): nothing outside the temp folder changes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, hasTool, removeDir, tempDir, type CliResult } from './helpers.js';

/** Every regular file under `dir` (links are not followed: what they point at is not ours). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('a secret in the environment goes nowhere', () => {
  const root = tempDir('richie-dev-secrets-');
  const dir = join(root, 'secretproj');
  const hostsFile = join(root, 'hosts');
  const secret = `leak-${randomBytes(16).toString('hex')}`;
  const env = {
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'data'),
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_CACHE_HOME: join(root, 'cache'),
    XDG_STATE_HOME: join(root, 'state'),
    CAROOT: join(root, 'ca'),
    TRUST_STORES: 'nss',
    MY_SECRET_TOKEN: secret,
    RICHIE_TEST_PLAIN_VALUE: secret,
  };
  /** Every file of the project and the user dirs now (a dir no command made yet has none). */
  const allFiles = () =>
    [dir, env.HOME, env.XDG_DATA_HOME, env.XDG_CONFIG_HOME, env.XDG_CACHE_HOME, env.XDG_STATE_HOME, env.CAROOT].flatMap((d) => {
      try {
        return filesUnder(d);
      } catch {
        return [];
      }
    });
  /** Every run, with what it printed and the files holding the value right after it (a later run may rewrite one). */
  const runs: { args: string[]; result: CliResult; leaks: string[] }[] = [];
  const richieDev = async (...args: string[]) => {
    const full = ['--project-dir', dir, '--json', ...args];
    const result = await cli(full, { env });
    runs.push({ args: full, result, leaks: allFiles().filter((file) => readFileSync(file).includes(secret)) });
    return result;
  };

  beforeAll(() => {
    expect(hasTool('docker')).toBe(true);
    mkdirSync(dir, { recursive: true });
    mkdirSync(env.HOME, { recursive: true });
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 19570 }, lms: { port: 19573 } }));
    writeFileSync(hostsFile, '127.0.0.1 localhost\n');
  });
  afterAll(async () => {
    await cli(['--project-dir', dir, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it('every command, first run on the machine included: the value is in no file and no --json output', { timeout: 600_000 }, async () => {
    const ok = (result: CliResult, what: string) => expect(result.exitCode, `${what}: ${result.stdout}${result.stderr}`).toBe(0);
    ok(await richieDev('setup-ssl', '--no-trust'), 'setup-ssl');
    ok(await richieDev('render'), 'render');
    ok(await richieDev('render', '--ssl'), 'render --ssl');
    await richieDev('trust', 'status'); // exit 0 or "not trusted": either way, what it printed is checked
    await richieDev('hosts', 'check', '--hosts-file', hostsFile);
    ok(await richieDev('stack', 'config'), 'stack config');
    const first = await richieDev('run');
    ok(first, 'run');
    expect(JSON.parse(first.stdout).path).toBe('full');
    // The cache was empty: the full path listed this machine's runtime libraries with ldd.
    expect(filesUnder(env.XDG_CACHE_HOME).map((f) => f.slice(env.XDG_CACHE_HOME.length))).toContain('/richie-dev/runtime-libraries.json');
    ok(await richieDev('run'), 'run again');
    ok(await richieDev('status'), 'status');
    ok(await richieDev('lms'), 'lms');
    ok(await richieDev('lms', 'fake'), 'lms fake');
    await richieDev('doctor'); // checks may fail on this machine (no trusted CA): its output is what matters here
    ok(await richieDev('run-ssl', '--hosts-file', hostsFile), 'run-ssl');
    ok(await richieDev('status'), 'status over TLS');
    ok(await richieDev('stop'), 'stop');
    ok(await richieDev('down', '--volumes'), 'down');

    for (const { args, result, leaks } of runs) {
      expect(result.stdout, args.join(' ')).not.toContain(secret);
      expect(result.stderr, args.join(' ')).not.toContain(secret);
      expect(leaks, `files holding the value after ${args.join(' ')}`).toEqual([]);
    }
    expect(allFiles()).toContain(join(dir, '.richie-dev', 'state.json'));

    // The record knows the variables by name and hash: the stack file and richie-dev read these, not the test's.
    const state = JSON.parse(readFileSync(join(dir, '.richie-dev', 'state.json'), 'utf8')) as { up: { env: { salt: string; hashes: Record<string, string | null> } } };
    expect(Object.keys(state.up.env.hashes)).not.toContain('MY_SECRET_TOKEN');
    expect(Object.keys(state.up.env.hashes)).not.toContain('RICHIE_TEST_PLAIN_VALUE');
    for (const hash of Object.values(state.up.env.hashes)) if (hash !== null) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the project's sync secret is in no --json output, unless stack config is asked for it", async () => {
    const sync = (JSON.parse(readFileSync(join(dir, '.richie-dev', 'secrets.json'), 'utf8')) as { courseRunSync: string }).courseRunSync;
    expect(sync).toMatch(/^[0-9a-f]{64}$/);
    for (const { args, result } of runs) {
      expect(result.stdout, args.join(' ')).not.toContain(sync);
      expect(result.stderr, args.join(' ')).not.toContain(sync);
    }
    const masked = JSON.parse((await cli(['--project-dir', dir, '--json', 'stack', 'config'], { env })).stdout) as { masked: number; config: { services: Record<string, { environment?: Record<string, string> }> } };
    expect(masked.masked).toBeGreaterThan(0);
    expect(masked.config.services.catalog?.environment?.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS).toBe('********');
    // The project's other secrets (src/lms/secret.ts: the LMS's EDX_API_KEY, Fonzie's signing key, the LMS's Keycloak client secret): in no output either.
    const all = Object.values(JSON.parse(readFileSync(join(dir, '.richie-dev', 'secrets.json'), 'utf8')) as Record<string, string>);
    expect(all).toHaveLength(4);
    for (const value of all) {
      for (const { args, result } of runs) expect(result.stdout + result.stderr, args.join(' ')).not.toContain(value);
      expect(JSON.stringify(masked)).not.toContain(value);
    }
    expect(masked.config.services.lms?.environment?.EDX_API_KEY).toBe('********');
    // Asked: the values as the containers get them.
    const shown = await cli(['--project-dir', dir, '--json', 'stack', 'config', '--show-secrets'], { env });
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).config.services.catalog.environment.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS).toBe(sync);
    expect(shown.stdout).toContain(sync);
    // The YAML printed for a terminal is masked as well.
    const yaml = await cli(['--project-dir', dir, 'stack', 'config'], { env });
    expect(yaml.stdout).toMatch(/DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS: ["']?\*{8}["']?\n/);
    expect(yaml.stdout).not.toContain(sync);
  });
});
