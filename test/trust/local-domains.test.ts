/**
 * A cloned project's hosts decide what a new CA may sign for and which names go to loopback.
 * Names outside the domains reserved for local use (src/domains.ts) are trusted or sent to
 * this machine only when the user names them: setup-ssl --trust, trust install, hosts add and
 * run-ssl refuse (exit 3) naming --allow-domain, and the trust question shows the CA, a new one
 * too, and defaults to no. Real certutil (a fresh NSS database); a hosts file of the test's own.
 */
import { X509Certificate } from 'node:crypto';
import { commandContext } from '../../src/cli/context.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createColors } from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustPrompt } from '../../src/cli/setup-ssl.js';
import { run as setupSsl, trustQuestion } from '../../src/commands/setup-ssl.js';
import { CLI, cli, hasTool, removeDir, sh, tempDir } from '../helpers.js';

const root = tempDir();
const home = join(root, 'home');
const nssdb = join(home, '.pki', 'nssdb');
const tmp = join(root, 'tmp');
const base = {
  HOME: home,
  XDG_DATA_HOME: join(home, '.local', 'share'),
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_CACHE_HOME: join(home, '.cache'),
  TMPDIR: tmp,
  TRUST_STORES: 'nss',
};
const GOOGLE = { catalog: { host: 'accounts.google.com' }, lms: { host: 'mail.google.com' } };
const HOSTS = '127.0.0.1 localhost\n::1 localhost\n';

let n = 0;
/** A project with this config, its own CA root and hosts file. */
function project(config?: object) {
  const dir = join(root, `p${++n}`);
  mkdirSync(dir);
  if (config) writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify(config));
  const hostsFile = join(root, `hosts${n}`);
  writeFileSync(hostsFile, HOSTS);
  return { dir, hostsFile, caRoot: join(root, `ca${n}`), env: { ...base, CAROOT: join(root, `ca${n}`), RICHIE_DEV_HOSTS_FILE: hostsFile } };
}

const listNss = async () => (await sh('certutil', ['-L', '-d', `sql:${nssdb}`])).stdout;

beforeAll(async () => {
  expect(hasTool('certutil')).toBe(true);
  mkdirSync(nssdb, { recursive: true });
  mkdirSync(tmp);
  expect((await sh('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password'])).exitCode).toBe(0);
});
afterAll(() => removeDir(root));

describe('setup-ssl --trust for hosts outside local use', () => {
  it('refuses (exit 3) naming --allow-domain google.com, before making anything', async () => {
    const p = project(GOOGLE);
    const result = await cli(['--project-dir', p.dir, 'setup-ssl', '--trust'], { env: p.env });
    expect(result.exitCode, result.stdout + result.stderr).toBe(3);
    expect(result.stderr).toContain('it would be allowed to sign for google.com, outside the domains reserved for local use');
    expect(result.stderr).toContain('"richie-dev setup-ssl --trust" with --allow-domain google.com');
    expect(existsSync(p.caRoot)).toBe(false);
    expect(existsSync(join(p.dir, '.richie-dev'))).toBe(false);
    expect(await listNss()).not.toContain('richie-dev CA');
  });

  it('with --allow-domain google.com: the CA is made and trusted', async () => {
    const p = project(GOOGLE);
    const result = await cli(['--project-dir', p.dir, '--json', 'setup-ssl', '--trust', '--allow-domain', 'google.com'], { env: p.env });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.ca.constraints.dns).toEqual(['google.com', 'localhost']);
    expect(json.trust[0]).toMatchObject({ action: 'installed', after: 'trusted' });
    expect((await cli(['--project-dir', p.dir, 'trust', 'uninstall'], { env: p.env })).exitCode).toBe(0);
  });
});

describe('trust install of a CA that may sign for google.com', () => {
  it('refuses (exit 3) naming the flag, installs with --allow-domain google.com', async () => {
    const p = project(GOOGLE);
    const made = await cli(['--project-dir', p.dir, '--json', 'setup-ssl', '--no-trust'], { env: p.env });
    expect(made.exitCode, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout).warnings.join('\n')).toContain('may sign for google.com, outside the domains reserved for local use; it is installed into trust stores only with --allow-domain google.com');
    const refused = await cli(['--project-dir', p.dir, 'trust', 'install'], { env: p.env });
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain('it may sign for google.com, outside the domains reserved for local use');
    expect(refused.stderr).toContain('the same command with --allow-domain google.com');
    expect(await listNss()).not.toContain('richie-dev CA');
    // Another domain named does not accept this one.
    expect((await cli(['--project-dir', p.dir, 'trust', 'install', '--allow-domain', 'example.org'], { env: p.env })).exitCode).toBe(3);
    const allowed = await cli(['--project-dir', p.dir, '--json', 'trust', 'install', '--allow-domain', 'google.com'], { env: p.env });
    expect(allowed.exitCode, allowed.stdout + allowed.stderr).toBe(0);
    expect(await listNss()).toMatch(/richie-dev CA [0-9a-f]{64}/);
    expect((await cli(['--project-dir', p.dir, 'trust', 'uninstall'], { env: p.env })).exitCode).toBe(0);
    // doctor names it too.
    const doctor = JSON.parse((await cli(['--project-dir', p.dir, '--json', 'doctor'], { env: p.env })).stdout) as { checks: { id: string; status: string; seen: string }[] };
    const check = doctor.checks.find((c) => c.id === 'ca-constraints');
    expect(check?.status).toBe('warn');
    expect(check?.seen).toContain('google.com is outside the domains reserved for local use, so trust install needs --allow-domain google.com');
  });
});

describe('hosts add and run-ssl for names outside local use', () => {
  it('hosts add refuses to send accounts.google.com to loopback (exit 3, file unchanged) unless --allow-domain google.com', async () => {
    const p = project(GOOGLE);
    const refused = await cli(['--project-dir', p.dir, 'hosts', 'add'], { env: p.env });
    expect(refused.exitCode, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain('Not adding hosts entries that send to 127.0.0.1 and ::1 accounts.google.com, mail.google.com');
    expect(refused.stderr).toContain('"richie-dev hosts add" with --allow-domain google.com');
    expect(readFileSync(p.hostsFile, 'utf8')).toBe(HOSTS);
    const allowed = await cli(['--project-dir', p.dir, 'hosts', 'add', '--allow-domain', 'google.com'], { env: p.env });
    expect(allowed.exitCode, allowed.stdout + allowed.stderr).toBe(0);
    expect(readFileSync(p.hostsFile, 'utf8')).toContain('127.0.0.1\taccounts.google.com');
  });

  it('the default hosts (local.dev) and .test hosts need no flag', async () => {
    for (const config of [undefined, { catalog: { host: 'richie.dev.test' }, lms: { host: 'edx.dev.test' } }]) {
      const p = project(config);
      const result = await cli(['--project-dir', p.dir, 'hosts', 'add'], { env: p.env });
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    }
  });

  it('run-ssl refuses before changing anything: no CA, no .richie-dev, the hosts file as it was', async () => {
    const p = project(GOOGLE);
    // An engine that cannot be reached: the refusal comes first, and nothing could start if it did not.
    const result = await cli(['--project-dir', p.dir, 'run-ssl'], { env: { ...p.env, DOCKER_HOST: `unix://${join(root, 'no-engine.sock')}` } });
    expect(result.exitCode, result.stdout + result.stderr).toBe(3);
    expect(result.stderr).toContain('"richie-dev run-ssl" with --allow-domain google.com');
    expect(existsSync(p.caRoot)).toBe(false);
    expect(existsSync(join(p.dir, '.richie-dev'))).toBe(false);
    expect(readFileSync(p.hostsFile, 'utf8')).toBe(HOSTS);
  });
});

describe('the trust question', () => {
  const c = createColors(false);

  it('for a new CA: shows the fingerprint of the CA the run then creates and its permitted names; google.com defaults to no', async () => {
    const p = project(GOOGLE);
    const question = await trustQuestion(commandContext({ projectDir: p.dir, env: p.env }));
    expect(question).toMatchObject({ pending: true, outsideDomains: ['google.com'], ca: { created: true, scope: 'limited to google.com, localhost, 127.0.0.0/8, ::1/128' } });
    const prompt = trustPrompt(question, c);
    expect(prompt.defaultYes).toBe(false);
    expect(prompt.text).toContain(`SHA-256 fingerprint: ${question.ca.fingerprint}`);
    expect(prompt.text).toContain('Name constraints: limited to google.com, localhost, 127.0.0.0/8, ::1/128');
    expect(prompt.text).toContain('it may sign for google.com, outside the domains reserved for local use');
    // Nothing was written while asking; the run creates the CA that was shown.
    expect(existsSync(p.caRoot)).toBe(false);
    const result = await setupSsl(commandContext({ projectDir: p.dir, env: p.env }), { preparedCa: question.prepared!, render: false });
    expect(result.ca?.fingerprint).toBe(question.ca.fingerprint);
    expect(new X509Certificate(readFileSync(join(p.caRoot, 'rootCA.pem'))).fingerprint256).toBe(question.ca.fingerprint);
  });

  it('for the default hosts: limited to local.dev and loopback, defaults to yes', async () => {
    const p = project();
    const prompt = trustPrompt(await trustQuestion(commandContext({ projectDir: p.dir, env: p.env })), c);
    expect(prompt.defaultYes).toBe(true);
    expect(prompt.text).toContain('Name constraints: limited to local.dev, localhost, 127.0.0.0/8, ::1/128');
    expect(prompt.text).not.toContain('outside the domains reserved');
  });

  it('on a terminal, Enter installs nothing for google.com ([y/N]), and the fingerprint shown is the CA made', async () => {
    expect(hasTool('script')).toBe(true);
    const p = project(GOOGLE);
    const command = `printf '\\n' | script -qec "${process.execPath} ${CLI} --project-dir ${p.dir} setup-ssl" /dev/null`;
    const result = await sh('sh', ['-c', command], { ...p.env, CI: '', NO_COLOR: '1' });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('Install the CA into the system trust store and browsers where it is missing (may ask for sudo)? [y/N]');
    const fingerprint = new X509Certificate(readFileSync(join(p.caRoot, 'rootCA.pem'))).fingerprint256;
    expect(result.stdout).toContain(`SHA-256 fingerprint: ${fingerprint}`);
    expect(await listNss()).not.toContain('richie-dev CA');
  });
});
