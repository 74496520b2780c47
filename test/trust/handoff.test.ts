/**
 * Only what was checked is trusted: rootCA.pem must hold exactly one certificate, and the
 * stores are handed that certificate as richie-dev parsed it, from a file richie-dev wrote,
 * never rootCA.pem (a second CA behind ours, or a file swapped after the checks, goes nowhere).
 * Real certutil and dd; the Debian system store in a private mount namespace.
 */
import { X509Certificate } from 'node:crypto';
import { commandContext } from '../../src/cli/context.js';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCa } from '../../src/certs/ca.js';
import { run as setupSsl } from '../../src/commands/setup-ssl.js';
import { command } from '../../src/exec.js';
import { applyTrust } from '../../src/trust/index.js';
import { anchorFileName, linuxSystemStore } from '../../src/trust/linux.js';
import { nickname, nssStore } from '../../src/trust/nss.js';
import { CLI, cli, hasTool, inMountNamespace, isRoot, PRIVATE_SYSTEM_STORE, removeDir, sh, tempDir } from '../helpers.js';

const root = tempDir();
const home = join(root, 'home');
const nssdb = join(home, '.pki', 'nssdb');
const caRoot = join(root, 'ca');
const project = join(root, 'project');
const tmp = join(root, 'tmp');
const env = {
  CAROOT: caRoot,
  HOME: home,
  XDG_DATA_HOME: join(home, '.local', 'share'),
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_CACHE_HOME: join(home, '.cache'),
  TMPDIR: tmp,
};
/** Another CA: any root Debian ships (Let's Encrypt's). */
const OTHER = readFileSync('/etc/ssl/certs/ISRG_Root_X1.pem', 'utf8');

const listNss = async () => (await sh('certutil', ['-L', '-d', `sql:${nssdb}`])).stdout;

beforeAll(async () => {
  expect(hasTool('certutil')).toBe(true);
  mkdirSync(nssdb, { recursive: true });
  mkdirSync(project);
  mkdirSync(tmp);
  expect((await sh('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password'])).exitCode).toBe(0);
  await setupSsl(commandContext({ projectDir: project, env: { ...env, TRUST_STORES: 'nss' } }), { render: false });
});
afterAll(() => removeDir(root));

describe('rootCA.pem with more than one certificate', () => {
  it('is refused by trust install and setup-ssl, exit 3, naming the count and the file; nothing is trusted', async () => {
    const ours = readFileSync(join(caRoot, 'rootCA.pem'), 'utf8');
    try {
      appendFileSync(join(caRoot, 'rootCA.pem'), OTHER);
      for (const args of [['trust', 'install'], ['setup-ssl', '--trust'], ['trust', 'status']]) {
        const result = await cli(['--project-dir', project, ...args], { env: { ...env, TRUST_STORES: 'nss' } });
        expect(result.exitCode, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(3);
        expect(result.stderr).toContain(`${join(caRoot, 'rootCA.pem')} holds 2 certificates; a CA's rootCA.pem must hold exactly one certificate`);
      }
      expect(await listNss()).not.toContain('richie-dev CA');
      expect(await listNss()).not.toContain('ISRG');
    } finally {
      writeFileSync(join(caRoot, 'rootCA.pem'), ours);
    }
  });
});

describe('what reaches the stores is the checked certificate, byte for byte', () => {
  it('NSS: the DER certutil holds is the parsed certificate; the copy it read is gone afterwards', async () => {
    const ca = (await readCa(caRoot))!;
    const install = await cli(['--project-dir', project, 'trust', 'install', '--json'], { env: { ...env, TRUST_STORES: 'nss' } });
    expect(install.exitCode, install.stdout + install.stderr).toBe(0);
    const der = await sh('sh', ['-c', `certutil -L -d sql:${nssdb} -n '${nickname(ca)}' -r | base64 -w0`]);
    expect(Buffer.from(der.stdout, 'base64')).toEqual(ca.certDer);
    expect(readdirSync(tmp)).toEqual([]);
    await cli(['--project-dir', project, 'trust', 'uninstall'], { env: { ...env, TRUST_STORES: 'nss' } });
  });

  it('system store (Debian layout, private mount namespace): the anchor is the parsed certificate\'s PEM', async () => {
    expect(isRoot).toBe(true);
    expect(hasTool('update-ca-certificates')).toBe(true);
    const ca = (await readCa(caRoot))!;
    const out = join(root, 'out-system');
    mkdirSync(out);
    const result = await inMountNamespace(
      `
      ${PRIVATE_SYSTEM_STORE}
      rm -rf "$copy"
      node "${CLI}" --project-dir "${project}" trust install --json > "${out}/install.json"
      cp /usr/local/share/ca-certificates/* "${out}/"
      node "${CLI}" --project-dir "${project}" trust uninstall >/dev/null
      `,
      { ...env, TRUST_STORES: 'system' },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'install.json'), 'utf8')).stores[0]).toMatchObject({ action: 'installed' });
    expect(readFileSync(join(out, anchorFileName(ca)), 'utf8')).toBe(ca.certPem);
    expect(Buffer.from(new X509Certificate(readFileSync(join(out, anchorFileName(ca)))).raw)).toEqual(ca.certDer);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('the copy handed to the stores', () => {
  it('is removed when the commands printed could not run anyway (certutil missing, exit 6)', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    const result = await cli(['--project-dir', project, 'trust', 'install'], { env: { ...env, TRUST_STORES: 'nss', PATH: bin } });
    expect(result.exitCode, result.stdout + result.stderr).toBe(6);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('rootCA.pem replaced after the checks', () => {
  it('changes nothing that is installed: the stores get the copy parsed before the swap', async () => {
    expect(isRoot).toBe(true);
    const ca = (await readCa(caRoot))!;
    const ours = readFileSync(join(caRoot, 'rootCA.pem'), 'utf8');
    const anchors = join(root, 'anchors');
    mkdirSync(anchors);
    // A system store whose anchors dir is a temp folder: the real dd as root, no update to run.
    const system = linuxSystemStore({ anchors, update: command('true', []), pkg: 'coreutils' });
    try {
      writeFileSync(join(caRoot, 'rootCA.pem'), OTHER); // the swap, after readCa checked the file
      const reports = await applyTrust(ca, [nssStore({ spec: `sql:${nssdb}`, dir: nssdb, label: 'test' }), system], 'install', { env });
      expect(reports.map((r) => `${r.action}:${r.after}`)).toEqual(['installed:trusted', 'installed:trusted']);
      expect(readdirSync(anchors)).toEqual([anchorFileName(ca)]);
      expect(readFileSync(join(anchors, anchorFileName(ca)), 'utf8')).toBe(ca.certPem);
      expect(await listNss()).not.toContain('ISRG');
      const der = await sh('sh', ['-c', `certutil -L -d sql:${nssdb} -n '${nickname(ca)}' -r | base64 -w0`]);
      expect(Buffer.from(der.stdout, 'base64')).toEqual(ca.certDer);
      await applyTrust(ca, [nssStore({ spec: `sql:${nssdb}`, dir: nssdb, label: 'test' })], 'uninstall', { env });
    } finally {
      writeFileSync(join(caRoot, 'rootCA.pem'), ours);
    }
    expect(existsSync(join(caRoot, 'rootCA.pem'))).toBe(true);
  });
});

describe('rootCA.pem with another PEM block beside the certificate', () => {
  it('is refused too, naming what it holds', async () => {
    const { parseCa } = await import('../../src/certs/ca.js');
    const ca = (await readCa(caRoot))!;
    const withKey = `${ca.certPem}${ca.keyPem}`;
    await expect(parseCa(caRoot, withKey, ca.keyPem)).rejects.toThrow('holds 1 certificate and 1 other PEM block');
    await expect(parseCa(caRoot, `${ca.certPem}${OTHER}${OTHER}`, ca.keyPem)).rejects.toThrow('holds 3 certificates;');
  });
});
