/**
 * Where the browsers' stores are found and created, and Firefox's policies.json merged, against
 * real files in temp homes and real certutil. The browser programs on PATH here are stand-ins
 * (empty executables): discovery only looks for them, it never starts them.
 */
import { X509Certificate } from 'node:crypto';
import { commandContext } from '../../src/cli/context.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCa, type LocalCa } from '../../src/certs/ca.js';
import { run as setupSsl } from '../../src/commands/setup-ssl.js';
import { findBrowsers } from '../../src/trust/browsers.js';
import { firefoxPolicyStore, policyTargets, withEntry, withoutEntry } from '../../src/trust/firefox-policy.js';
import { browserReports, discover } from '../../src/trust/index.js';
import { findNssDatabases, pendingChromiumDatabases } from '../../src/trust/nss.js';
import { cli, hasTool, isRoot, removeDir, sh, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));

/** A PATH holding stand-ins for the named browsers, plus node and certutil. */
function binWith(name: string, browsers: string[]): string {
  const bin = join(root, name);
  mkdirSync(bin, { recursive: true });
  for (const b of browsers) {
    writeFileSync(join(bin, b), '#!/bin/sh\nexit 1\n');
    chmodSync(join(bin, b), 0o755);
  }
  symlinkSync(process.execPath, join(bin, 'node'));
  const certutil = execPath('certutil');
  if (certutil) symlinkSync(certutil, join(bin, 'certutil'));
  return bin;
}

function execPath(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) if (existsSync(join(dir, tool))) return join(dir, tool);
  return undefined;
}

async function newDb(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  expect((await sh('certutil', ['-N', '--empty-password', '-d', `sql:${dir}`])).exitCode).toBe(0);
}

describe('finding browsers and their NSS databases', () => {
  it('finds each browser program once, and none on an empty PATH', async () => {
    const bin = binWith('bin-all', ['chromium', 'firefox-esr', 'google-chrome-stable']);
    const found = await findBrowsers({ PATH: bin });
    expect(found.map((b) => [b.name, b.family])).toEqual([
      ['Chromium', 'chromium'],
      ['Google Chrome', 'chromium'],
      ['Firefox ESR', 'firefox'],
    ]);
    expect(await findBrowsers({ PATH: binWith('bin-none', []) })).toEqual([]);
  });

  it("Debian's /usr/bin/firefox wrapper (exec firefox-esr) is the ESR, not a second browser", async () => {
    const bin = binWith('bin-wrapper', ['firefox-esr']);
    writeFileSync(join(bin, 'firefox'), '#!/bin/sh\n\nFIREFOX="$(command -v firefox)"\n[ -x "$FIREFOX.real" ] && exec "$FIREFOX.real" "$@"\n\nexec firefox-esr "$@"\n');
    chmodSync(join(bin, 'firefox'), 0o755);
    expect((await findBrowsers({ PATH: bin })).map((b) => b.name)).toEqual(['Firefox ESR']);
  });

  it("finds Chromium's database at $XDG_DATA_HOME/pki/nssdb and at ~/.pki/nssdb, and Firefox profiles under $XDG_CONFIG_HOME and the snap", async () => {
    expect(hasTool('certutil')).toBe(true);
    const home = join(root, 'h-find');
    const env = { HOME: home, XDG_DATA_HOME: join(root, 'h-find-data'), XDG_CONFIG_HOME: join(root, 'h-find-config') };
    await newDb(join(env.XDG_DATA_HOME, 'pki', 'nssdb'));
    await newDb(join(home, '.pki', 'nssdb'));
    await newDb(join(env.XDG_CONFIG_HOME, 'mozilla', 'firefox', 'x.default-esr'));
    await newDb(join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox', 'y.default'));
    await newDb(join(home, 'snap', 'chromium', 'current', '.local', 'share', 'pki', 'nssdb'));
    const dirs = (await findNssDatabases(env)).map((d) => d.dir);
    expect(dirs).toEqual(
      expect.arrayContaining([
        join(env.XDG_DATA_HOME, 'pki', 'nssdb'),
        join(home, '.pki', 'nssdb'),
        join(env.XDG_CONFIG_HOME, 'mozilla', 'firefox', 'x.default-esr'),
        join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox', 'y.default'),
        join(home, 'snap', 'chromium', 'current', '.local', 'share', 'pki', 'nssdb'),
      ]),
    );
  });

  it("a Chromium that never ran: its database is to be created at the new path; with ~/.pki/nssdb there, none is (the legacy one is used, never created)", async () => {
    const browsers = await findBrowsers({ PATH: binWith('bin-chromium', ['chromium']) });
    const fresh = { HOME: join(root, 'h-fresh') };
    expect(await pendingChromiumDatabases(fresh, browsers)).toEqual([
      expect.objectContaining({ dir: join(root, 'h-fresh', '.local', 'share', 'pki', 'nssdb'), create: true }),
    ]);
    const legacyHome = join(root, 'h-legacy');
    await newDb(join(legacyHome, '.pki', 'nssdb'));
    expect(await pendingChromiumDatabases({ HOME: legacyHome }, browsers)).toEqual([]);
    // An existing, empty ~/.pki/nssdb is still the one Chromium 156 opens (it made cert9.db there when
    // tried): the database is created in it, nothing beside it.
    const emptyLegacy = join(root, 'h-empty-legacy');
    mkdirSync(join(emptyLegacy, '.pki', 'nssdb'), { recursive: true });
    expect(await pendingChromiumDatabases({ HOME: emptyLegacy }, browsers)).toEqual([
      expect.objectContaining({ dir: join(emptyLegacy, '.pki', 'nssdb'), create: true }),
    ]);
  });
});

describe("Firefox's policies.json", () => {
  const ours = '/etc/firefox/policies/richie-dev_ab.pem';

  it('merges our entry with the policies already there, and removes only ours', () => {
    const theirs = { policies: { DisableAppUpdate: true, Certificates: { ImportEnterpriseRoots: true, Install: ['/opt/corp.pem'] } }, comment: 'kept' };
    const merged = withEntry(theirs, ours);
    expect(merged).toEqual({ policies: { DisableAppUpdate: true, Certificates: { ImportEnterpriseRoots: true, Install: ['/opt/corp.pem', ours] } }, comment: 'kept' });
    expect(withEntry(merged, ours)).toEqual(merged);
    expect(withoutEntry(merged, ours)).toEqual(theirs);
    expect(withoutEntry(withEntry(undefined, ours), ours)).toEqual({ policies: {} });
  });

  it('writes where Firefox reads: /etc/firefox/policies unless only an install has a file of its own', async () => {
    const etc = join(root, 'pol-etc', 'policies.json');
    const install = join(root, 'pol-install');
    const browsers = [{ name: 'Firefox ESR', family: 'firefox' as const, path: '/x', snap: false, installDir: install }];
    expect(await policyTargets(browsers, etc)).toEqual([etc]);
    mkdirSync(join(install, 'distribution'), { recursive: true });
    writeFileSync(join(install, 'distribution', 'policies.json'), '{"policies":{}}');
    expect(await policyTargets(browsers, etc)).toEqual([join(install, 'distribution', 'policies.json')]);
    mkdirSync(join(root, 'pol-etc'), { recursive: true });
    writeFileSync(etc, '{"policies":{}}');
    // Firefox reads SysConfD/policies/policies.json first when it exists.
    expect(await policyTargets(browsers, etc)).toEqual([etc]);
  });

  describe('the store, against files in a temp dir', () => {
    let ca: LocalCa;
    beforeAll(async () => {
      const projectDir = join(root, 'pol-project');
      mkdirSync(projectDir, { recursive: true });
      await setupSsl(commandContext({ projectDir, env: { CAROOT: join(root, 'pol-ca'), HOME: join(root, 'pol-home'), TRUST_STORES: 'nss' } }), { trust: 'report' });
      ca = (await readCa(join(root, 'pol-ca')))!;
    });

    it("installs a root-owned copy of the CA and its path, keeps the user's policies, and uninstalls only ours", async () => {
      expect(isRoot).toBe(true);
      const file = join(root, 'store-etc', 'policies.json');
      mkdirSync(join(root, 'store-etc'));
      writeFileSync(file, JSON.stringify({ policies: { DisableTelemetry: true } }));
      const store = firefoxPolicyStore([{ name: 'Firefox', family: 'firefox', path: '/x', snap: false }], file);
      expect(await store.status(ca)).toBe('not-trusted');
      await store.install(ca, ca.certFile);
      expect(await store.status(ca)).toBe('trusted');
      const written = JSON.parse(readFileSync(file, 'utf8'));
      const [copy] = written.policies.Certificates.Install as string[];
      expect(written.policies.DisableTelemetry).toBe(true);
      expect(copy).toBe(join(root, 'store-etc', `richie-dev_${ca.fingerprint.replaceAll(':', '').toLowerCase()}.pem`));
      expect(new X509Certificate(readFileSync(copy!)).fingerprint256).toBe(ca.fingerprint);
      expect(statSync(copy!).uid).toBe(0);
      expect(statSync(copy!).mode & 0o777).toBe(0o644);
      await store.uninstall(ca);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ policies: { DisableTelemetry: true } });
      expect(existsSync(copy!)).toBe(false);
      expect(await store.status(ca)).toBe('not-trusted');
    });

    it('removes the policies file it leaves empty (an empty one in /etc would hide the distribution file)', async () => {
      const file = join(root, 'store-empty', 'policies.json');
      const store = firefoxPolicyStore([{ name: 'Firefox', family: 'firefox', path: '/x', snap: false }], file);
      await store.install(ca, ca.certFile);
      expect(existsSync(file)).toBe(true);
      await store.uninstall(ca);
      expect(existsSync(file)).toBe(false);
    });

    it('refuses to touch a policies.json that is not JSON', async () => {
      const file = join(root, 'store-bad', 'policies.json');
      mkdirSync(join(root, 'store-bad'));
      writeFileSync(file, '{ not json');
      const store = firefoxPolicyStore([{ name: 'Firefox', family: 'firefox', path: '/x', snap: false }], file);
      await expect(store.install(ca, ca.certFile)).rejects.toThrow('is not a JSON object');
      expect(readFileSync(file, 'utf8')).toBe('{ not json');
    });

    it("reports each browser's trust from the stores it reads: a Chromium that never ran does not trust the CA", async () => {
      const env = { HOME: join(root, 'rep-home'), PATH: binWith('bin-rep', ['chromium']), TRUST_STORES: 'nss' };
      const found = await discover(env, 'linux');
      const store = found.stores.find((s) => s.id === `nss:${join(root, 'rep-home', '.local', 'share', 'pki', 'nssdb')}`)!;
      const report = { id: store.id, kind: store.kind, label: store.label, before: 'not-trusted' as const, after: await store.status(ca), action: 'none' as const };
      expect(browserReports(found.browsers, [report])).toEqual([expect.objectContaining({ name: 'Chromium', trusted: 'not-trusted' })]);
      // Reading created nothing.
      expect(existsSync(join(root, 'rep-home'))).toBe(false);
    });
  });
});

describe('nothing to check is not a pass', () => {
  it('trust install with no store found says nothing was installed, exit 5; doctor fails its trust check', async () => {
    const projectDir = join(root, 'none-project');
    mkdirSync(projectDir, { recursive: true });
    const env = { CAROOT: join(root, 'none-ca'), HOME: join(root, 'none-home'), TRUST_STORES: 'nss', PATH: binWith('bin-nothing', []) };
    const setup = await cli(['--project-dir', projectDir, 'setup-ssl', '--no-trust'], { env });
    expect(setup.exitCode, setup.stdout + setup.stderr).toBe(0);
    const install = await cli(['--project-dir', projectDir, 'trust', 'install'], { env });
    expect(install.exitCode).toBe(5);
    expect(install.stdout).toContain('Nothing was installed: no trust store found among TRUST_STORES=nss');
    expect(install.stdout).toContain('no browser found');
    const doctor = JSON.parse((await cli(['--project-dir', projectDir, '--json', 'doctor'], { env })).stdout) as { checks: { id: string; status: string; seen: string }[] };
    expect(doctor.checks.find((c) => c.id === 'trust')).toMatchObject({ status: 'fail', seen: expect.stringContaining('no trust store found to check') });
  });

  it('doctor: certutil is needed as soon as a browser using NSS is installed, even with no database yet', async () => {
    const projectDir = join(root, 'cu-project');
    mkdirSync(projectDir, { recursive: true });
    const bin = join(root, 'bin-cu');
    mkdirSync(bin);
    writeFileSync(join(bin, 'chromium'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(bin, 'chromium'), 0o755);
    symlinkSync(process.execPath, join(bin, 'node'));
    const doctor = JSON.parse((await cli(['--project-dir', projectDir, '--json', 'doctor'], { env: { CAROOT: join(root, 'cu-ca'), HOME: join(root, 'cu-home'), PATH: bin } })).stdout) as { checks: { id: string; status: string; seen: string }[] };
    expect(doctor.checks.find((c) => c.id === 'certutil')).toMatchObject({ status: 'fail', seen: expect.stringContaining('Chromium') });
  });
});

describe('as a user without root', () => {
  it("creates a never-run Chromium's database owned by the user (0700), and prints the Firefox policy to write instead of writing it (exit 4)", async () => {
    expect(isRoot).toBe(true);
    const projectDir = join(root, 'nobody-project');
    const caDir = join(root, 'nobody-ca');
    const home = join(root, 'nobody-home');
    mkdirSync(projectDir, { recursive: true });
    const bin = binWith('bin-nobody', ['chromium', 'firefox-esr']);
    symlinkSync(execPath('setpriv')!, join(bin, 'setpriv'));
    // The CA is made by nobody, so nobody's own record says richie-dev created it.
    await sh('chown', ['-R', '65534:65534', root]);
    await sh('chmod', ['755', root]);
    const env = { CAROOT: caDir, HOME: home, PATH: bin, TRUST_STORES: 'nss,firefox-policy' };
    const setup = await cli(['--project-dir', projectDir, 'setup-ssl', '--no-trust'], { env, uid: 65534 });
    expect(setup.exitCode, setup.stdout + setup.stderr).toBe(0);
    const install = await cli(['--project-dir', projectDir, '--json', 'trust', 'install'], { env, uid: 65534 });
    expect(install.exitCode, install.stdout + install.stderr).toBe(4);
    const report = JSON.parse(install.stdout) as { stores: { id: string; kind: string; action: string; fix?: string }[] };
    const nssdb = join(home, '.local', 'share', 'pki', 'nssdb');
    expect(report.stores).toContainEqual(expect.objectContaining({ id: `nss:${nssdb}`, action: 'installed' }));
    expect(statSync(nssdb).uid).toBe(65534);
    expect(statSync(nssdb).mode & 0o777).toBe(0o700);
    expect(statSync(join(nssdb, 'cert9.db')).uid).toBe(65534);
    const policy = report.stores.find((s) => s.kind === 'policy');
    expect(policy).toMatchObject({ action: 'blocked', fix: expect.stringContaining('/etc/firefox/policies/policies.json') });
    expect(existsSync('/etc/firefox/policies/richie-dev_')).toBe(false);
  });
});
