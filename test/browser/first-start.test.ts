/**
 * Browsers as they are right after installing them: Debian's chromium and firefox-esr started
 * with a HOME and XDG dirs in which nothing was prepared (no NSS database, no profile). The
 * stack comes up with `run-ssl`, `trust install` runs as the user would, and each browser loads
 * https://richie.local.dev (port 19070 here) with no certificate error. Also a Chromium that already ran
 * (its database at the new path) and one with only the old ~/.pki/nssdb; doctor fails before
 * trust install, naming Chromium, and passes after.
 *
 * Everything that writes the system (the system store's anchors and /etc/ssl, /etc/hosts,
 * Firefox's policies.json in /etc/firefox/policies or the install's distribution dir) happens
 * in a private mount namespace over copies; the machine's own files are compared before and after.
 *
 * Firefox is Debian's firefox-esr itself (Playwright drives only its own patched Firefox):
 * `--headless --screenshot <url>`, and the page counts as loaded when nginx logged that GET
 * with a 200 — a certificate error stops Firefox before any request is sent.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, hasTool, inMountNamespace, removeDir, sh, tempDir } from '../helpers.js';
import { hasChromium, launchChromium } from './chromium.js';

// The README's https://richie.local.dev:8070 on ports of this test's own: 8070 may be the developer's stack.
const CATALOG = 'https://richie.local.dev:19070/';
const FIREFOX_DIST = '/usr/share/firefox-esr/distribution';

/**
 * A home with nothing in it, and XDG dirs pointing inside it (the data dir not at its default,
 * to prove it is followed). Only richie-dev's own record that this user created the CA is
 * copied in (from the home that ran run-ssl), as it would be for the one user.
 */
function emptyHome(root: string, name: string): { home: string; env: Record<string, string> } {
  const home = join(root, name);
  mkdirSync(home, { recursive: true });
  const record = join(root, 'stack-home', 'xdg-data', 'richie-dev', 'created-cas');
  if (existsSync(record)) cpSync(record, join(home, 'xdg-data', 'richie-dev', 'created-cas'));
  return {
    home,
    env: {
      HOME: home,
      XDG_DATA_HOME: join(home, 'xdg-data'),
      XDG_CONFIG_HOME: join(home, 'xdg-config'),
      XDG_CACHE_HOME: join(home, 'xdg-cache'),
    },
  };
}

/** What the machine's own Firefox policy files and trust anchors hold, to compare after the test. */
function machineState(): string {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '(none)');
  return JSON.stringify({
    etcPolicies: read('/etc/firefox/policies/policies.json'),
    distPolicies: read(join(FIREFOX_DIST, 'policies.json')),
    dist: existsSync(FIREFOX_DIST) ? readdirSync(FIREFOX_DIST) : [],
    anchors: readdirSync('/usr/local/share/ca-certificates'),
  });
}

async function loadInChromium(home: string, env: Record<string, string>): Promise<string> {
  const { context } = await launchChromium({ home, env, resolverRules: 'MAP richie.local.dev 127.0.0.1, MAP edx.local.dev 127.0.0.1' });
  try {
    const page = await context.newPage();
    return await page.goto(CATALOG).then(
      (response) => `loaded ${response?.status()}`,
      (error: Error) => error.message,
    );
  } finally {
    await context.close();
  }
}

describe('browsers that never ran trust the CA after `trust install`', () => {
  const root = tempDir();
  const project = join(root, 'firststart');
  const caRoot = join(root, 'ca');
  const before = machineState();

  beforeAll(async () => {
    expect(hasChromium()).toBe(true);
    expect(hasTool('firefox-esr')).toBe(true);
    expect(hasTool('docker')).toBe(true);
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 19070 }, lms: { port: 19073 } }));
    writeFileSync(join(project, 'hosts'), '127.0.0.1 localhost\n');
    // The stack's own user: a home apart, so the browsers' homes below stay untouched.
    const { env } = emptyHome(root, 'stack-home');
    const up = await cli(['--project-dir', project, 'run-ssl', '--hosts-file', join(project, 'hosts')], { env: { ...env, CAROOT: caRoot, TRUST_STORES: 'nss' } });
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env: { CAROOT: caRoot, HOME: join(root, 'stack-home') } });
    expect(machineState()).toBe(before);
    removeDir(root);
  });

  it('Chromium and Firefox ESR, from empty homes: doctor fails naming Chromium, trust install, both load the catalog, doctor passes', async () => {
    const { home, env } = emptyHome(root, 'user');
    const out = join(root, 'out');
    mkdirSync(out);
    const rd = `node "${CLI}" --project-dir "${project}"`;
    const result = await inMountNamespace(
      `
      cp -a /etc "${root}/etc" && mount --bind "${root}/etc" /etc
      cp -a /usr/local/share/ca-certificates "${root}/anchors" && mount --bind "${root}/anchors" /usr/local/share/ca-certificates
      if [ -d "${FIREFOX_DIST}" ]; then cp -a "${FIREFOX_DIST}" "${root}/dist" && mount --bind "${root}/dist" "${FIREFOX_DIST}"; fi
      ${rd} hosts add >&2
      # A Firefox started before trust install: the negative control for the nginx log below.
      mkdir -p "${root}/ff-before"
      HOME="${root}/ff-before" XDG_CONFIG_HOME="${root}/ff-before/.config" timeout 90 firefox-esr --headless --screenshot "${out}/before.png" "${CATALOG}?firefox-before" >&2 2>&1 || true
      ${rd} --json doctor > "${out}/doctor-before.json" || true
      ${rd} --json trust install > "${out}/install.json"
      ${rd} --json trust status > "${out}/status.json" || true
      ${rd} --json doctor > "${out}/doctor-after.json" || true
      timeout 90 firefox-esr --headless --screenshot "${out}/firefox.png" "${CATALOG}?firefox-first-start" >&2 2>&1 || true
      cat /etc/firefox/policies/policies.json > "${out}/policies.json"
      stat -c '%U %a %n' /etc/firefox/policies/* > "${out}/policy-files.txt"
      `,
      { ...env, CAROOT: caRoot },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    if (process.env.RICHIE_DEV_DEBUG) console.error(result.stderr);
    const json = (name: string) => JSON.parse(readFileSync(join(out, name), 'utf8'));

    // Before: doctor's trust check fails and names Chromium (and Firefox), with the fix.
    const trustBefore = json('doctor-before.json').checks.find((c: { id: string }) => c.id === 'trust');
    expect(trustBefore).toMatchObject({ status: 'fail', fix: 'richie-dev trust install' });
    expect(trustBefore.seen).toContain('Chromium does not trust the CA');

    // The install created Chromium's database at the new path (under XDG_DATA_HOME), never the legacy one.
    const install = json('install.json');
    expect(install.ok, JSON.stringify(install)).toBe(true);
    const nssdb = join(env.XDG_DATA_HOME!, 'pki', 'nssdb');
    expect(install.stores).toContainEqual(expect.objectContaining({ id: `nss:${nssdb}`, before: 'not-trusted', after: 'trusted', action: 'installed' }));
    expect(existsSync(join(nssdb, 'cert9.db'))).toBe(true);
    expect(existsSync(join(home, '.pki'))).toBe(false);
    expect((await sh('stat', ['-c', '%a', nssdb])).stdout.trim()).toBe('700');
    expect(install.stores).toContainEqual(expect.objectContaining({ kind: 'policy', after: 'trusted', action: 'installed' }));

    // Firefox's policy names a root-owned copy richie-dev wrote, not the user's rootCA.pem.
    const policies = json('policies.json');
    const [certPath] = policies.policies.Certificates.Install as string[];
    expect(certPath).toMatch(/^\/etc\/firefox\/policies\/richie-dev_[0-9a-f]{64}\.pem$/);
    expect(readFileSync(join(out, 'policy-files.txt'), 'utf8')).toMatch(/^root 644 \/etc\/firefox\/policies\/richie-dev_[0-9a-f]{64}\.pem$/m);

    // trust status lists the browsers found, each trusting the CA.
    const status = json('status.json');
    expect(status.browsers).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'Chromium', trusted: 'trusted' }),
      expect.objectContaining({ name: 'Firefox ESR', trusted: 'trusted' }),
    ]));

    // After: doctor passes (trust named by the stores it checked).
    const after = json('doctor-after.json');
    const failed = after.checks.filter((c: { status: string }) => c.status === 'fail');
    expect(failed, JSON.stringify(failed)).toEqual([]);
    const trustAfter = after.checks.find((c: { id: string }) => c.id === 'trust');
    expect(trustAfter.status).toBe('pass');
    expect(trustAfter.seen).toContain(nssdb);

    // Firefox loaded the page: nginx served it, while the run before trust install got nowhere.
    const logs = await sh('docker', ['logs', 'firststart_nginx_1']);
    const log = logs.stdout + logs.stderr;
    expect(log).toMatch(/"GET \/\?firefox-first-start HTTP\/[\d.]+" 200 .*Firefox/);
    expect(log).not.toContain('firefox-before');
    // It made its profile where a fresh Firefox does (XDG_CONFIG_HOME), and the policy put the CA in it.
    const profiles = join(env.XDG_CONFIG_HOME!, 'mozilla', 'firefox');
    const profile = readdirSync(profiles).find((d) => existsSync(join(profiles, d, 'cert9.db')));
    expect(profile).toBeTruthy();
    expect((await sh('certutil', ['-L', '-d', `sql:${join(profiles, profile!)}`])).stdout).toContain('richie-dev development CA');

    // Chromium, started for the first time now, loads the catalog with no certificate error.
    expect(await loadInChromium(home, env)).toBe('loaded 200');
  }, 300_000);

  it('a Chromium that already ran (its database at the new path): trust install uses that database', async () => {
    const { home, env } = emptyHome(root, 'ran');
    expect(await loadInChromium(home, env)).toContain('net::ERR_CERT_AUTHORITY_INVALID');
    const nssdb = join(env.XDG_DATA_HOME!, 'pki', 'nssdb');
    expect(existsSync(join(nssdb, 'cert9.db'))).toBe(true);
    const install = await cli(['--project-dir', project, '--json', 'trust', 'install'], { env: { ...env, CAROOT: caRoot, TRUST_STORES: 'nss' } });
    expect(install.exitCode, install.stdout + install.stderr).toBe(0);
    expect(JSON.parse(install.stdout).stores).toContainEqual(expect.objectContaining({ id: `nss:${nssdb}`, action: 'installed' }));
    expect(existsSync(join(home, '.pki'))).toBe(false);
    expect(await loadInChromium(home, env)).toBe('loaded 200');
  });

  it('a Chromium with only the old ~/.pki/nssdb: trust install uses it and creates no other', async () => {
    const { home, env } = emptyHome(root, 'legacy');
    const legacy = join(home, '.pki', 'nssdb');
    mkdirSync(legacy, { recursive: true });
    expect((await sh('certutil', ['-N', '--empty-password', '-d', `sql:${legacy}`])).exitCode).toBe(0);
    const install = await cli(['--project-dir', project, '--json', 'trust', 'install'], { env: { ...env, CAROOT: caRoot, TRUST_STORES: 'nss' } });
    expect(install.exitCode, install.stdout + install.stderr).toBe(0);
    const stores = JSON.parse(install.stdout).stores as { id: string }[];
    expect(stores.map((s) => s.id)).toContain(`nss:${legacy}`);
    expect(existsSync(join(env.XDG_DATA_HOME!, 'pki'))).toBe(false);
    expect(await loadInChromium(home, env)).toBe('loaded 200');
  });
});
