/**
 * The CA's dates: setup-ssl and doctor read them. An expired CA is refused with the fix
 * (setup-ssl --force), one ending before a certificate issued now would is reported with it,
 * and a certificate never outlives its CA. The CAs are made by openssl (100 days) and with
 * past dates, outside richie-dev's own CA code.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCa } from '../../src/certs/ca.js';
import { generateKey } from '../../src/certs/keys.js';
import { issueLeaf } from '../../src/certs/leaf.js';
import { basicConstraints, buildCertificate, keyIdentifier, keyUsage, nameConstraintsExtension, randomSerialHex, subjectKeyIdentifierExtension } from '../../src/certs/x509.js';
import { cli, hasTool, removeDir, sh, tempDir } from '../helpers.js';

const DAY = 86_400_000;
const root = tempDir();
afterAll(() => removeDir(root));

function isolated(name: string) {
  const home = join(root, `${name}-home`);
  return {
    dir: join(root, `${name}-ca`),
    project: join(root, `${name}-project`),
    env: { CAROOT: join(root, `${name}-ca`), HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), TRUST_STORES: 'nss' },
  };
}

/** A CA made by openssl, valid for `days` from now. */
async function opensslCa(dir: string, days: number): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const made = await sh('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', String(days), '-subj', '/O=dates test/CN=dates test',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', join(dir, 'rootCA-key.pem'), '-out', join(dir, 'rootCA.pem'),
  ]);
  expect(made.exitCode, made.stderr).toBe(0);
}

/** A name-constrained CA whose validity ended `daysAgo` days ago. */
async function expiredCa(dir: string, daysAgo: number): Promise<void> {
  const keyPem = await generateKey('ecdsa', 'ca');
  const subject = { attributes: [{ type: 'O' as const, value: 'expired test' }, { type: 'CN' as const, value: 'expired test' }] };
  const certPem = buildCertificate({
    serialHex: randomSerialHex(),
    subject,
    issuer: subject,
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - daysAgo * DAY),
    publicKeyFrom: keyPem,
    signingKeyPem: keyPem,
    extensions: [basicConstraints(true, 0), keyUsage(['keyCertSign']), subjectKeyIdentifierExtension(keyIdentifier(keyPem)), nameConstraintsExtension({ dns: ['local.dev', 'localhost'], ip: ['127.0.0.0/8', '::1/128'] })],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'rootCA.pem'), certPem);
  writeFileSync(join(dir, 'rootCA-key.pem'), keyPem, { mode: 0o400 });
}

async function doctorChecks(project: string, env: NodeJS.ProcessEnv): Promise<Record<string, { status: string; seen: string; fix?: string }>> {
  const result = await cli(['--project-dir', project, '--json', 'doctor'], { env });
  const json = JSON.parse(result.stdout) as { checks: { id: string; status: string; seen: string; fix?: string }[] };
  return Object.fromEntries(json.checks.map((c) => [c.id, c]));
}

describe('a CA that ends in 100 days', () => {
  it('a certificate it issues ends no later than the CA', async () => {
    expect(hasTool('openssl')).toBe(true);
    const { dir } = isolated('lib');
    await opensslCa(dir, 100);
    const ca = (await readCa(dir))!;
    const leafPem = await issueLeaf({ ca, names: ['richie.local.dev', 'localhost'], keyPem: await generateKey('ecdsa', 'leaf') });
    const leaf = new X509Certificate(leafPem);
    expect(new Date(leaf.validTo).getTime()).toBeLessThanOrEqual(new Date(ca.x509.validTo).getTime());
    expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(Date.now() + 99 * DAY);
    const verified = await sh('sh', ['-c', `printf '%s' "$LEAF" | openssl verify -CAfile ${join(dir, 'rootCA.pem')}`], { LEAF: leafPem });
    expect(verified.stdout, verified.stderr).toContain('OK');
  });

  it('setup-ssl issues a capped certificate and reports the CA with the fix; doctor warns', async () => {
    const { dir, project, env } = isolated('near');
    await opensslCa(dir, 100);
    mkdirSync(project);
    const result = await cli(['--project-dir', project, '--json', 'setup-ssl', '--no-trust'], { env });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    const caEnd = new Date(new X509Certificate(readFileSync(join(dir, 'rootCA.pem'))).validTo);
    expect(json.warnings.join('\n')).toContain(`the CA ${join(dir, 'rootCA.pem')} ends on ${caEnd.toISOString().slice(0, 10)}, before a certificate issued now would`);
    expect(json.warnings.join('\n')).toContain('richie-dev setup-ssl --force');
    const leaf = new X509Certificate(readFileSync(join(project, '.richie-dev', 'ssl', 'richie.local.dev.pem')));
    expect(new Date(leaf.validTo).getTime()).toBeLessThanOrEqual(caEnd.getTime());
    expect(new Date(json.certificate.notAfter).getTime()).toBeLessThanOrEqual(caEnd.getTime());
    const checks = await doctorChecks(project, env);
    expect(checks['ca-dates']).toMatchObject({ status: 'warn', fix: 'richie-dev setup-ssl --force && richie-dev trust install' });
    expect(checks['certificate']?.status).toBe('pass');
    // The fix: --force makes a new CA (the old one kept aside), and the warning is gone.
    const forced = JSON.parse((await cli(['--project-dir', project, '--json', 'setup-ssl', '--force', '--no-trust'], { env })).stdout);
    expect(forced.ca).toMatchObject({ created: true });
    expect(forced.ca.retiredFiles).toHaveLength(2);
    expect(forced.warnings.join('\n')).not.toContain('before a certificate issued now would');
  });

  it('a certificate that outlives it (issued elsewhere): doctor fails naming both, setup-ssl reissues it capped', async () => {
    const { dir, project, env } = isolated('outlived');
    await opensslCa(dir, 100);
    mkdirSync(project);
    expect((await cli(['--project-dir', project, 'setup-ssl', '--no-trust'], { env })).exitCode).toBe(0);
    const ssl = join(project, '.richie-dev', 'ssl');
    // The same key and names, signed by openssl for 800 days: past the CA's end.
    const ext = join(root, 'outlived.ext');
    writeFileSync(ext, 'subjectAltName=DNS:richie.local.dev,DNS:edx.local.dev,DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
    for (const host of ['richie.local.dev', 'edx.local.dev']) {
      const made = await sh('sh', ['-c', `openssl req -new -key ${ssl}/${host}.key -subj /CN=x | openssl x509 -req -days 800 -CA ${dir}/rootCA.pem -CAkey ${dir}/rootCA-key.pem -extfile ${ext} -out ${ssl}/${host}.pem`]);
      expect(made.exitCode, made.stderr).toBe(0);
    }
    const checks = await doctorChecks(project, env);
    expect(checks['ca-dates']?.status).toBe('fail');
    expect(checks['ca-dates']?.seen).toContain(`${join(ssl, 'richie.local.dev.pem')}`);
    expect(checks['ca-dates']?.fix).toBe('richie-dev setup-ssl --force && richie-dev trust install');
    expect(checks['certificate']?.seen).toContain('after its CA');
    const again = JSON.parse((await cli(['--project-dir', project, '--json', 'setup-ssl', '--no-trust'], { env })).stdout);
    expect(again.certificate.issued).toBe(true);
    const caEnd = new Date(new X509Certificate(readFileSync(join(dir, 'rootCA.pem'))).validTo);
    expect(new Date(new X509Certificate(readFileSync(join(ssl, 'richie.local.dev.pem'))).validTo).getTime()).toBeLessThanOrEqual(caEnd.getTime());
  });
});

describe('an expired CA', () => {
  it('setup-ssl refuses it (exit 3) with the fix and writes no certificate; doctor fails it; --force makes a new CA', async () => {
    const { dir, project, env } = isolated('expired');
    await expiredCa(dir, 3);
    mkdirSync(project);
    const refused = await cli(['--project-dir', project, 'setup-ssl', '--no-trust'], { env });
    expect(refused.exitCode, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`the CA ${join(dir, 'rootCA.pem')} expired on`);
    expect(refused.stderr).toContain('richie-dev setup-ssl --force');
    expect(existsSync(join(project, '.richie-dev', 'ssl', 'richie.local.dev.pem'))).toBe(false);

    const checks = await doctorChecks(project, env);
    expect(checks['ca-dates']).toMatchObject({ status: 'fail', fix: 'richie-dev setup-ssl --force && richie-dev trust install' });
    expect(checks['ca-dates']?.seen).toContain('expired on');

    const forced = await cli(['--project-dir', project, '--json', 'setup-ssl', '--force', '--no-trust'], { env });
    expect(forced.exitCode, forced.stdout + forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).ca).toMatchObject({ created: true });
    expect(JSON.parse(forced.stdout).ca.retiredFiles).toHaveLength(2);
    expect((await doctorChecks(project, env))['ca-dates']?.status).toBe('pass');
  });
});
