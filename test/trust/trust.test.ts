/**
 * trust against the real stores: a fresh NSS database (certutil), and the Debian system store
 * inside a private mount namespace, so the machine's own store is never touched.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { commandContext } from '../../src/cli/context.js';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCa } from '../../src/certs/ca.js';
import { run as setupSsl } from '../../src/commands/setup-ssl.js';
import { commandToString } from '../../src/exec.js';
import { darwinCommands, win32Commands } from '../../src/trust/manual.js';
import { CLI, cli, hasTool, inMountNamespace, isRoot, PRIVATE_SYSTEM_STORE, removeDir, sh, tempDir } from '../helpers.js';

describe('trust', () => {
  const root = tempDir();
  const home = join(root, 'home');
  const nssdb = join(home, '.pki', 'nssdb');
  const projectDir = join(root, 'project');
  const caRoot = join(root, 'ca');
  const env = { CAROOT: caRoot, HOME: home };
  // The machine's own store, compared after each test that could change it: richie-dev may
  // have been used for real here, so it is never assumed empty.
  const systemAnchors = () => readdirSync('/usr/local/share/ca-certificates', { recursive: true, withFileTypes: true }).map((e) => `${join(e.parentPath, e.name)} ${e.isFile() ? readFileSync(join(e.parentPath, e.name)).toString('base64') : e.isSymbolicLink() ? 'link' : 'dir'}`).sort();
  const anchorsBefore = systemAnchors();

  beforeAll(async () => {
    expect(hasTool('certutil')).toBe(true);
    mkdirSync(nssdb, { recursive: true });
    mkdirSync(projectDir);
    const made = await sh('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
    expect(made.exitCode, made.stderr).toBe(0);
    await setupSsl(commandContext({ projectDir, env: { ...env, TRUST_STORES: 'nss' } }));
  });
  afterAll(() => removeDir(root));

  const listNss = async () => (await sh('certutil', ['-L', '-d', `sql:${nssdb}`])).stdout;

  it('installs into a fresh NSS database, idempotently, and uninstalls', async () => {
    const nssEnv = { ...env, TRUST_STORES: 'nss' };
    expect((await cli(['--project-dir', projectDir, 'trust', 'status'], { env: nssEnv })).exitCode).toBe(5);

    const install = await cli(['--project-dir', projectDir, 'trust', 'install', '--json'], { env: nssEnv });
    expect(install.exitCode, install.stdout + install.stderr).toBe(0);
    const report = JSON.parse(install.stdout);
    expect(report.stores).toMatchObject([{ id: `nss:${nssdb}`, before: 'not-trusted', after: 'trusted', action: 'installed' }]);
    expect(await listNss()).toMatch(/richie-dev CA [0-9a-f]{64}\s+C,,/);

    const again = JSON.parse((await cli(['--project-dir', projectDir, 'trust', 'install', '--json'], { env: nssEnv })).stdout);
    expect(again.stores[0].action).toBe('none');
    expect((await listNss()).match(/richie-dev CA/g)).toHaveLength(1);

    const status = await cli(['--project-dir', projectDir, 'trust', 'status'], { env: nssEnv });
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`NSS database, Chromium/Chrome (${nssdb}): trusted`);

    const uninstall = await cli(['--project-dir', projectDir, 'trust', 'uninstall', '--json'], { env: nssEnv });
    expect(JSON.parse(uninstall.stdout).stores[0]).toMatchObject({ action: 'uninstalled', after: 'not-trusted' });
    expect(await listNss()).not.toContain('richie-dev CA');
  });

  it('finds Firefox profiles, including ~/.config/mozilla', async () => {
    const profile = join(home, '.config', 'mozilla', 'firefox', 'abcd.default-release');
    mkdirSync(profile, { recursive: true });
    await sh('certutil', ['-N', '-d', `sql:${profile}`, '--empty-password']);
    const result = await cli(['--project-dir', projectDir, 'trust', 'install', '--json'], { env: { ...env, TRUST_STORES: 'nss' } });
    const ids = JSON.parse(result.stdout).stores.map((s: { id: string }) => s.id);
    expect(ids).toEqual([`nss:${nssdb}`, `nss:${profile}`]);
    expect((await sh('certutil', ['-L', '-d', `sql:${profile}`])).stdout).toContain('richie-dev CA');
    await cli(['--project-dir', projectDir, 'trust', 'uninstall'], { env: { ...env, TRUST_STORES: 'nss' } });
    removeDir(join(home, '.config'));
  });

  it('installs into the system store (Debian layout) so OpenSSL trusts the leaf, then removes it', async () => {
    expect(isRoot).toBe(true);
    expect(hasTool('update-ca-certificates')).toBe(true);
    const leaf = join(projectDir, '.richie-dev', 'ssl', 'richie.local.dev.pem');
    // A private copy of the store: tmpfs over the anchors dir and over /etc/ssl/certs.
    const result = await inMountNamespace(
      `
      ${PRIVATE_SYSTEM_STORE}
      verify() { openssl verify -CApath /etc/ssl/certs "${leaf}" >/dev/null 2>&1 && echo trusted || echo untrusted; }
      echo "before=$(verify)"
      node "${CLI}" --project-dir "${projectDir}" trust install --json > "$copy/install.json"
      echo "install=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.stores[0].action)' "$copy/install.json")"
      echo "anchors=$(ls /usr/local/share/ca-certificates)"
      echo "after=$(verify)"
      node "${CLI}" --project-dir "${projectDir}" trust uninstall >/dev/null
      echo "removed=$(verify)"
      echo "anchors-left=$(ls /usr/local/share/ca-certificates | wc -l)"
      rm -rf "$copy"
      `,
      { ...env, TRUST_STORES: 'system' },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('before=untrusted');
    expect(result.stdout).toContain('install=installed');
    // Named from the fingerprint only (never from the CA's subject), and written O_EXCL|O_NOFOLLOW.
    expect(result.stdout).toMatch(/anchors=richie-dev_[0-9a-f]{64}\.crt/);
    expect(result.stdout).toContain('after=trusted');
    expect(result.stdout).toContain('removed=untrusted');
    expect(result.stdout).toContain('anchors-left=0');
    // The machine's own store was never changed.
    expect(systemAnchors()).toEqual(anchorsBefore);
  });

  it('without certutil: says which package provides it, exit 6, nothing changed', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    const result = await cli(['--project-dir', projectDir, 'trust', 'install'], { env: { ...env, TRUST_STORES: 'nss', PATH: bin } });
    expect(result.exitCode).toBe(6);
    expect(result.stdout).toContain('"certutil" is not installed');
    expect(result.stdout).toContain('sudo apt install libnss3-tools');
    expect(await listNss()).not.toContain('richie-dev CA');
  });

  it('without root rights: the system store is left alone and the exact commands are printed, exit 4', async () => {
    expect(isRoot).toBe(true);
    // nobody cannot write the system store and has no sudo: run the real CLI as nobody.
    const nobodyCa = join(root, 'nobody-ca');
    await sh('cp', ['-a', caRoot, nobodyCa]);
    // The same user's record that richie-dev created this CA, in nobody's data dir.
    const record = join(root, 'nobody-home', '.local', 'share', 'richie-dev');
    mkdirSync(record, { recursive: true });
    await sh('cp', [join(home, '.local', 'share', 'richie-dev', 'created-cas'), record]);
    await sh('chown', ['-R', '65534:65534', nobodyCa, join(root, 'nobody-home')]);
    await sh('chmod', ['755', root]);
    const result = await cli(['--project-dir', projectDir, 'trust', 'install'], { env: { CAROOT: nobodyCa, HOME: join(root, 'nobody-home'), TRUST_STORES: 'system' }, uid: 65534 });
    expect(result.exitCode, result.stdout + result.stderr).toBe(4);
    expect(result.stdout).toContain('needs root');
    // The commands read a copy of the checked certificate that richie-dev wrote, never rootCA.pem.
    const printed = result.stdout.match(/sudo dd if=(\S+) of=\/usr\/local\/share\/ca-certificates\/richie-dev_[0-9a-f]{64}\.crt conv=excl oflag=nofollow status=none/);
    expect(printed, result.stdout).not.toBeNull();
    expect(printed![1]).not.toContain(nobodyCa);
    expect(readFileSync(printed![1]!, 'utf8')).toBe(new X509Certificate(readFileSync(join(nobodyCa, 'rootCA.pem'))).toString());
    expect(result.stdout).toContain(`(${printed![1]} is the checked CA certificate, written for these commands; delete it afterwards)`);
    removeDir(dirname(printed![1]!));
    expect(result.stdout).toContain('sudo update-ca-certificates');
    expect(systemAnchors()).toEqual(anchorsBefore);
  });

  it('refuses an unknown TRUST_STORES value, naming it', async () => {
    const result = await cli(['--project-dir', projectDir, 'trust', 'status'], { env: { ...env, TRUST_STORES: 'nss,keychain' } });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('TRUST_STORES has "keychain"');
  });

  it('asks for setup-ssl first when there is no CA', async () => {
    const result = await cli(['--project-dir', projectDir, 'trust', 'install'], { env: { CAROOT: join(root, 'none'), HOME: home } });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('richie-dev setup-ssl');
  });

  it('setup-ssl --trust installs the CA as part of its steps', async () => {
    const result = await cli(['--project-dir', projectDir, 'setup-ssl', '--trust', '--json'], { env: { ...env, TRUST_STORES: 'nss' } });
    expect(result.exitCode, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.steps.map((s: { id: string; outcome: string }) => `${s.id}:${s.outcome}`)).toEqual(['ca:skipped', 'certificate:skipped', 'trust:applied']);
    expect(json.trust[0]).toMatchObject({ action: 'installed', after: 'trusted' });
    const plain = await cli(['--project-dir', projectDir, 'setup-ssl'], { env: { ...env, TRUST_STORES: 'nss' } });
    expect(plain.stdout).toContain(`NSS database, Chromium/Chrome (${nssdb}): trusted`);
    await cli(['--project-dir', projectDir, 'trust', 'uninstall'], { env: { ...env, TRUST_STORES: 'nss' } });
  });
});

// macOS and Windows stores cannot run on these Linux machines: this only checks the commands
// richie-dev prints for them (a stand-in for the platforms, as the code says).
describe('trust on macOS and Windows (printed commands only)', () => {
  it('prints the security and certutil.exe commands mkcert runs, removing from Windows by thumbprint', async () => {
    const dir = tempDir();
    try {
      await setupSsl(commandContext({ projectDir: dir, env: { CAROOT: join(dir, 'ca'), TRUST_STORES: 'nss', HOME: dir } }));
      const ca = await parseCa(join(dir, 'ca'), readFileSync(join(dir, 'ca', 'rootCA.pem'), 'utf8'), readFileSync(join(dir, 'ca', 'rootCA-key.pem'), 'utf8'));
      // The file named is the checked copy richie-dev writes (src/trust/handoff.ts), never rootCA.pem.
      const copy = '/tmp/richie-dev-trust-x/richie-dev_0.crt';
      expect(darwinCommands(ca, 'install', copy).map(commandToString)).toEqual([`sudo security add-trusted-cert -d -k /Library/Keychains/System.keychain ${copy}`]);
      expect(win32Commands(ca, 'install', copy).map(commandToString)).toEqual([`certutil.exe -addstore -f ROOT ${copy}`]);
      // By SHA-1 thumbprint, not by serial as mkcert does (test/trust/hostile.test.ts says why).
      expect(win32Commands(ca, 'uninstall', copy).map(commandToString)[0]).toBe(`certutil.exe -delstore ROOT ${createHash('sha1').update(ca.x509.raw).digest('hex')}`);
    } finally {
      removeDir(dir);
    }
  });
});

describe('setup-ssl on a terminal', () => {
  it('asks before installing trust, and "n" leaves every store alone', async () => {
    expect(hasTool('script')).toBe(true);
    const root = tempDir();
    try {
      const home = join(root, 'home');
      const nssdb = join(home, '.pki', 'nssdb');
      mkdirSync(nssdb, { recursive: true });
      await sh('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
      mkdirSync(join(root, 'p'));
      // script(1) gives the CLI a real pseudo-terminal; "n" answers the question.
      const command = `printf 'n\\n' | script -qec "${process.execPath} ${CLI} --project-dir ${join(root, 'p')} setup-ssl" /dev/null`;
      const result = await sh('sh', ['-c', command], { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss', CI: '', NO_COLOR: '1' });
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('Install the CA into the system trust store and browsers where it is missing');
      expect(result.stdout).toContain('not trusted');
      expect((await sh('certutil', ['-L', '-d', `sql:${nssdb}`])).stdout).not.toContain('richie-dev CA');
      // Asked again now that the CA exists: its fingerprint and constraints come first.
      const again = await sh('sh', ['-c', command], { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss', CI: '', NO_COLOR: '1' });
      const fingerprint = new X509Certificate(readFileSync(join(root, 'ca', 'rootCA.pem'))).fingerprint256;
      expect(again.stdout).toContain(`SHA-256 fingerprint: ${fingerprint}`);
      expect(again.stdout).toContain('Name constraints: limited to local.dev, localhost, 127.0.0.0/8, ::1/128');
      expect(again.stdout).toContain('Install the CA into the system trust store and browsers where it is missing');
      expect((await sh('certutil', ['-L', '-d', `sql:${nssdb}`])).stdout).not.toContain('richie-dev CA');
    } finally {
      removeDir(root);
    }
  });
});

describe('setup-ssl on a terminal, for a project outside the CA\'s constraints', () => {
  it('offers to widen the CA and reinstall trust in one step; "y" does both', async () => {
    expect(hasTool('script')).toBe(true);
    const root = tempDir();
    try {
      const home = join(root, 'home');
      const nssdb = join(home, '.pki', 'nssdb');
      mkdirSync(nssdb, { recursive: true });
      await sh('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
      const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss', CI: '', NO_COLOR: '1' };
      mkdirSync(join(root, 'first'));
      expect((await cli(['--project-dir', join(root, 'first'), 'setup-ssl', '--trust'], { env })).exitCode).toBe(0);
      const first = readFileSync(join(root, 'ca', 'rootCA.pem'), 'utf8');
      const second = join(root, 'second');
      mkdirSync(second);
      writeFileSync(join(second, 'richie-dev.config.json'), JSON.stringify({ catalog: { host: 'richie.dev.example.org' }, lms: { host: 'lms.dev.example.org' } }));
      // Without a terminal: refused, exit 3, with the command that widens the CA.
      const scripted = await cli(['--project-dir', second, 'setup-ssl'], { env });
      expect(scripted.exitCode).toBe(3);
      expect(scripted.stderr).toContain('richie-dev setup-ssl --force');
      // On a terminal (script(1) gives one), "y" answers the offer.
      const command = `printf 'y\\n' | script -qec "${process.execPath} ${CLI} --project-dir ${second} setup-ssl" /dev/null`;
      const result = await sh('sh', ['-c', command], env);
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('this project also needs richie.dev.example.org, lms.dev.example.org');
      expect(result.stdout).toContain('Recreate the CA wider and reinstall trust now');
      expect(result.stdout).toContain('CA created');
      expect(readFileSync(join(root, 'ca', 'rootCA.pem'), 'utf8')).not.toBe(first);
      // The replaced CA left the store as the new one went in: one entry, the new fingerprint.
      expect(result.stdout).toContain('The replaced CA (SHA-256');
      const entries = (await sh('certutil', ['-L', '-d', `sql:${nssdb}`])).stdout.match(/richie-dev CA [0-9a-f]{64}/g);
      const fingerprint = new X509Certificate(readFileSync(join(root, 'ca', 'rootCA.pem'))).fingerprint256.replaceAll(':', '').toLowerCase();
      expect(entries).toEqual([`richie-dev CA ${fingerprint}`]);
      const status = await cli(['--project-dir', second, '--json', 'trust', 'status'], { env });
      expect(status.exitCode, status.stdout).toBe(0);
      const doctor = await cli(['--project-dir', second, '--json', 'setup-ssl', '--no-trust'], { env });
      expect(JSON.parse(doctor.stdout).ca.constraints.dns).toEqual(['local.dev', 'localhost', 'dev.example.org']);
    } finally {
      removeDir(root);
    }
  });
});
