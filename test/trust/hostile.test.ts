/**
 * What a CA says about itself never becomes a file name or an argument: CAs whose subject is
 * hostile ("../" walking out of the anchors dir, "/", NUL, newlines, 2 KB) are installed into
 * and removed from every store — the Debian system store in a private mount namespace, an NSS
 * database, and the commands printed for macOS and Windows — under names made from the
 * fingerprint only. And a CA richie-dev did not create, or one without name constraints, is
 * not installed without --allow-unconstrained-ca.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCa } from '../../src/certs/ca.js';
import { generateKey } from '../../src/certs/keys.js';
import { basicConstraints, buildCertificate, keyIdentifier, keyUsage, nameConstraintsExtension, randomSerialHex, subjectKeyIdentifierExtension } from '../../src/certs/x509.js';
import { commandToString } from '../../src/exec.js';
import { anchorFileName } from '../../src/trust/linux.js';
import { darwinCommands, win32Commands } from '../../src/trust/manual.js';
import { nickname } from '../../src/trust/nss.js';
import { CLI, cli, hasTool, inMountNamespace, isRoot, PRIVATE_SYSTEM_STORE, removeDir, sh, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));

/** A name-constrained CA, like ours, whose subject's O is `organization` (and serial `serialHex`, if given). */
async function hostileCa(dir: string, organization: string, serialHex = randomSerialHex()): Promise<void> {
  const keyPem = await generateKey('ecdsa', 'ca');
  const subject = { attributes: [{ type: 'O' as const, value: organization }, { type: 'CN' as const, value: organization }] };
  const now = new Date();
  const certPem = buildCertificate({
    serialHex,
    subject,
    issuer: subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + 365 * 86_400_000),
    publicKeyFrom: keyPem,
    signingKeyPem: keyPem,
    extensions: [basicConstraints(true, 0), keyUsage(['keyCertSign']), subjectKeyIdentifierExtension(keyIdentifier(keyPem)), nameConstraintsExtension({ dns: ['local.dev'], ip: ['127.0.0.0/8'] })],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'rootCA.pem'), certPem);
  writeFileSync(join(dir, 'rootCA-key.pem'), keyPem, { mode: 0o400 });
}

const HOSTILE: [string, string][] = [
  ['a path walking out of the anchors dir', `../../../../../..${root}/escaped/pwn`],
  ['an absolute path', `${root}/escaped/abs`],
  ['a single slash', '/'],
  ['a NUL byte', 'richie\u0000dev'],
  ['newlines', 'line one\nline two\r\n-n other'],
  ['2 KB', 'x'.repeat(2048)],
];

describe.each(HOSTILE)('a CA whose subject O is %s', (label, organization) => {
  const dir = join(root, `ca-${HOSTILE.findIndex(([l]) => l === label)}`);
  const home = join(root, `home-${HOSTILE.findIndex(([l]) => l === label)}`);
  const nssdb = join(home, '.pki', 'nssdb');
  const env = { CAROOT: dir, HOME: home };

  beforeAll(async () => {
    await hostileCa(dir, organization);
    mkdirSync(join(root, 'escaped'), { recursive: true });
    mkdirSync(nssdb, { recursive: true });
    expect(hasTool('certutil')).toBe(true);
    expect((await sh('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password'])).exitCode).toBe(0);
  });

  it('is named by its fingerprint in every store, and only there', async () => {
    const ca = await parseCa(dir, readFileSync(join(dir, 'rootCA.pem'), 'utf8'), readFileSync(join(dir, 'rootCA-key.pem'), 'utf8'));
    const hex = ca.fingerprint.replaceAll(':', '').toLowerCase();
    expect(anchorFileName(ca)).toBe(`richie-dev_${hex}.crt`);
    expect(nickname(ca)).toBe(`richie-dev CA ${hex}`);
    // macOS and Windows: the printed commands name the checked copy and its SHA-1 thumbprint (a
    // hash of the DER certificate), never the subject, nor the serial its maker chose.
    const thumbprint = createHash('sha1').update(ca.x509.raw).digest('hex');
    const copy = '/tmp/richie-dev-trust-x/copy.crt';
    expect([...darwinCommands(ca, 'install', copy), ...win32Commands(ca, 'install', copy), ...win32Commands(ca, 'uninstall', copy)].map(commandToString)).toEqual([
      `sudo security add-trusted-cert -d -k /Library/Keychains/System.keychain ${copy}`,
      `certutil.exe -addstore -f ROOT ${copy}`,
      `certutil.exe -delstore ROOT ${thumbprint}`,
    ]);
  });

  it('NSS: installed and removed under the fingerprint nickname', async () => {
    const install = await cli(['trust', 'install', '--allow-unconstrained-ca', '--json'], { env: { ...env, TRUST_STORES: 'nss' } });
    expect(install.exitCode, install.stdout + install.stderr).toBe(0);
    expect(JSON.parse(install.stdout).stores[0]).toMatchObject({ action: 'installed', after: 'trusted' });
    const list = (await sh('certutil', ['-L', '-d', `sql:${nssdb}`])).stdout;
    expect(list).toMatch(/richie-dev CA [0-9a-f]{64}\s+C,,/);
    const uninstall = await cli(['trust', 'uninstall', '--json'], { env: { ...env, TRUST_STORES: 'nss' } });
    expect(JSON.parse(uninstall.stdout).stores[0]).toMatchObject({ action: 'uninstalled', after: 'not-trusted' });
  });

  it('system store: one anchor, richie-dev_<fingerprint>.crt, inside the anchors dir; nothing written elsewhere', async () => {
    expect(isRoot).toBe(true);
    expect(hasTool('update-ca-certificates')).toBe(true);
    const out = join(root, `out-${HOSTILE.findIndex(([l]) => l === label)}`);
    mkdirSync(out);
    const result = await inMountNamespace(
      `
      ${PRIVATE_SYSTEM_STORE}
      node "${CLI}" trust install --allow-unconstrained-ca --json > "${out}/install.json" || echo "install-exit=$?"
      ls -A /usr/local/share/ca-certificates > "${out}/anchors"
      node "${CLI}" trust uninstall --json > "${out}/uninstall.json" || echo "uninstall-exit=$?"
      ls -A /usr/local/share/ca-certificates > "${out}/anchors-after"
      rm -rf "$copy"
      `,
      { ...env, TRUST_STORES: 'system' },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const ca = await parseCa(dir, readFileSync(join(dir, 'rootCA.pem'), 'utf8'), readFileSync(join(dir, 'rootCA-key.pem'), 'utf8'));
    expect(JSON.parse(readFileSync(join(out, 'install.json'), 'utf8')).stores[0]).toMatchObject({ action: 'installed', after: 'trusted' });
    expect(readFileSync(join(out, 'anchors'), 'utf8')).toBe(`${anchorFileName(ca)}\n`);
    expect(JSON.parse(readFileSync(join(out, 'uninstall.json'), 'utf8')).stores[0]).toMatchObject({ action: 'uninstalled' });
    expect(readFileSync(join(out, 'anchors-after'), 'utf8')).toBe('');
    expect(readdirSync(join(root, 'escaped'))).toEqual([]);
  });
});

/**
 * A stand-in for Windows' ROOT store and `certutil -delstore ROOT <CertId>`, since Windows cannot
 * run on the Linux machines these tests run on: it deletes every certificate the CertId matches,
 * by serial number or by SHA-1 hash, the two CertId forms the certutil reference lists
 * (https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/certutil#-delstore).
 */
function certutilDelstoreDouble(store: X509Certificate[], certId: string): X509Certificate[] {
  const id = certId.toLowerCase();
  const matches = (cert: X509Certificate) => cert.serialNumber.toLowerCase() === id || createHash('sha1').update(cert.raw).digest('hex') === id;
  return store.filter((cert) => !matches(cert));
}

describe('a CA reusing a public root\'s serial', () => {
  it('the printed Windows uninstall command removes that CA only, never the public root', async () => {
    // Any root Debian ships will do; ISRG Root X1 is Let's Encrypt's.
    const publicRoot = new X509Certificate(readFileSync('/etc/ssl/certs/ISRG_Root_X1.pem'));
    const dir = join(root, 'ca-same-serial');
    await hostileCa(dir, 'same serial', randomSerialHex(Buffer.from(publicRoot.serialNumber, 'hex')));
    const ca = await parseCa(dir, readFileSync(join(dir, 'rootCA.pem'), 'utf8'), readFileSync(join(dir, 'rootCA-key.pem'), 'utf8'));
    expect(ca.x509.serialNumber).toBe(publicRoot.serialNumber);
    const [uninstall] = win32Commands(ca, 'uninstall', '/unused');
    expect(uninstall?.args.slice(0, 2)).toEqual(['-delstore', 'ROOT']);
    const certId = uninstall!.args[2]!;
    expect(certId).not.toBe(publicRoot.serialNumber.toLowerCase());
    expect(certutilDelstoreDouble([publicRoot, ca.x509], certId)).toEqual([publicRoot]);
    // The serial, as mkcert prints it, would have deleted both.
    expect(certutilDelstoreDouble([publicRoot, ca.x509], ca.x509.serialNumber)).toEqual([]);
  });
});

describe('an anchor name already taken', () => {
  it('a symbolic link planted at the anchor name makes the install fail, writing nothing through it', async () => {
    expect(isRoot).toBe(true);
    const dir = join(root, 'ca-planted');
    await hostileCa(dir, 'planted');
    const ca = await parseCa(dir, readFileSync(join(dir, 'rootCA.pem'), 'utf8'), readFileSync(join(dir, 'rootCA-key.pem'), 'utf8'));
    const out = join(root, 'out-planted');
    mkdirSync(out);
    writeFileSync(join(out, 'victim'), 'do not touch\n');
    const result = await inMountNamespace(
      `
      mount -t tmpfs tmpfs /usr/local/share/ca-certificates
      mount -t tmpfs tmpfs /etc/ssl/certs
      ln -s "${out}/victim" "/usr/local/share/ca-certificates/${anchorFileName(ca)}"
      node "${CLI}" trust install --allow-unconstrained-ca --json > "${out}/install.json" || echo "install-exit=$?"
      ls -A /usr/local/share/ca-certificates > "${out}/anchors"
      `,
      { CAROOT: dir, HOME: join(root, 'home-planted'), TRUST_STORES: 'system' },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('install-exit=10');
    const report = JSON.parse(readFileSync(join(out, 'install.json'), 'utf8')).stores[0];
    expect(report).toMatchObject({ action: 'failed', after: 'not-trusted' });
    expect(report.reason).toContain('conv=excl oflag=nofollow');
    expect(readFileSync(join(out, 'victim'), 'utf8')).toBe('do not touch\n');
    expect(readFileSync(join(out, 'anchors'), 'utf8')).toBe(`${anchorFileName(ca)}\n`);
  });
});

describe('which CAs go into a trust store', () => {
  const home = join(root, 'gate-home');
  const nssdb = join(home, '.pki', 'nssdb');
  const listNss = async () => (await sh('certutil', ['-L', '-d', `sql:${nssdb}`])).stdout;

  beforeAll(async () => {
    mkdirSync(nssdb, { recursive: true });
    expect((await sh('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password'])).exitCode).toBe(0);
  });

  it('mkcert\'s CA (no name constraints): refused with its fingerprint and constraints, until --allow-unconstrained-ca', async () => {
    expect(hasTool('mkcert')).toBe(true);
    const mkRoot = join(root, 'mkcert-ca');
    const made = await sh('mkcert', ['-cert-file', join(root, 'm.pem'), '-key-file', join(root, 'm.key'), 'm.local.dev'], { CAROOT: mkRoot, HOME: join(root, 'mk-home'), TRUST_STORES: 'nss' });
    expect(made.exitCode, made.stderr).toBe(0);
    const env = { CAROOT: mkRoot, HOME: home, TRUST_STORES: 'nss' };
    const refused = await cli(['trust', 'install'], { env });
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain(`Not installing the CA in ${mkRoot} into any trust store: it has no name constraints, so it can sign for any site.`);
    expect(refused.stderr).toMatch(/SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(refused.stderr).toContain('Name constraints: no name constraints: it can sign for any site');
    expect(refused.stderr).toContain('--allow-unconstrained-ca');
    expect(await listNss()).not.toContain('richie-dev CA');
    // setup-ssl --trust refuses it before making anything.
    const project = join(root, 'gate-project');
    const setup = await cli(['--project-dir', project, 'setup-ssl', '--trust'], { env });
    expect(setup.exitCode).toBe(3);
    expect(setup.stderr).toContain('it has no name constraints');
    expect(existsSync(join(project, '.richie-dev'))).toBe(false);
    expect(await listNss()).not.toContain('richie-dev CA');

    // On a terminal, even with the flag, the CA's fingerprint and constraints are shown and "n" installs nothing.
    expect(hasTool('script')).toBe(true);
    const fingerprint = new X509Certificate(readFileSync(join(mkRoot, 'rootCA.pem'))).fingerprint256;
    const asked = await sh('sh', ['-c', `printf 'n\\n' | script -qec "${process.execPath} ${CLI} trust install --allow-unconstrained-ca" /dev/null`], { ...env, CI: '', NO_COLOR: '1' });
    expect(asked.stdout).toContain(`SHA-256 fingerprint: ${fingerprint}`);
    expect(asked.stdout).toContain('Name constraints: no name constraints: it can sign for any site');
    expect(asked.stdout).toContain('Install it into the system trust store and browsers anyway? [y/N]');
    expect(asked.stdout).toContain('Nothing was installed.');
    expect(await listNss()).not.toContain('richie-dev CA');

    const allowed = await cli(['trust', 'install', '--allow-unconstrained-ca', '--json'], { env });
    expect(allowed.exitCode, allowed.stdout + allowed.stderr).toBe(0);
    expect(await listNss()).toMatch(/richie-dev CA [0-9a-f]{64}/);
    await cli(['trust', 'uninstall'], { env });
  });

  it('a name-constrained CA richie-dev did not create (another user\'s copy): refused, "did not create it"', async () => {
    const theirs = join(root, 'their-ca');
    const made = await cli(['--project-dir', join(root, 'their-project'), 'setup-ssl', '--no-trust'], { env: { CAROOT: theirs, HOME: join(root, 'their-home'), TRUST_STORES: 'nss' } });
    expect(made.exitCode, made.stderr).toBe(0);
    const refused = await cli(['trust', 'install'], { env: { CAROOT: theirs, HOME: home, TRUST_STORES: 'nss' } });
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain('richie-dev did not create it');
    expect(refused.stderr).toContain('Name constraints: limited to local.dev, localhost, 127.0.0.0/8, ::1/128');
    expect(await listNss()).not.toContain('richie-dev CA');
    // Its creator's own record lets it through for them.
    const own = await cli(['trust', 'install', '--json'], { env: { CAROOT: theirs, HOME: join(root, 'their-home'), TRUST_STORES: 'nss' } });
    expect(own.exitCode).toBe(0);
  });
});
