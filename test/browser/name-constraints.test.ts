/**
 * The CA's name constraints, enforced by a real Chromium, for both key profiles (the default
 * ECDSA P-256 and mkcert's RSA): with the CA installed by `setup-ssl --trust` in Chromium's NSS
 * database, our hosts load without a certificate error, and a certificate the same CA signed
 * for another name is refused.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCa } from '../../src/certs/ca.js';
import { generateKey } from '../../src/certs/keys.js';
import { issueLeaf } from '../../src/certs/leaf.js';
import { cli, removeDir, tempDir } from '../helpers.js';
import { hasChromium, launchChromium } from './chromium.js';

async function serve(cert: string, key: string): Promise<{ server: Server; port: number }> {
  const server = createServer({ cert, key }, (req, res) => res.end(`<title>ok</title>served ${req.headers.host}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe.each([
  { profile: 'ECDSA P-256 (default)', flags: [] as string[], keyType: 'ecdsa' as const },
  { profile: 'RSA (--key-type rsa)', flags: ['--key-type', 'rsa'], keyType: 'rsa' as const },
])('Chromium and the richie-dev CA, $profile', ({ flags, keyType }) => {
  const root = tempDir();
  const home = join(root, 'home');
  const projectDir = join(root, 'project');
  const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };
  const servers: Server[] = [];
  let good = 0;
  let rogue = 0;

  beforeAll(async () => {
    expect(hasChromium()).toBe(true);
    mkdirSync(projectDir, { recursive: true });
    const setup = await cli(['--project-dir', projectDir, 'setup-ssl', '--trust', ...flags], { env });
    expect(setup.exitCode, setup.stdout + setup.stderr).toBe(0);
    const ssl = join(projectDir, '.richie-dev', 'ssl');
    const ours = await serve(readFileSync(join(ssl, 'richie.local.dev.pem'), 'utf8'), readFileSync(join(ssl, 'richie.local.dev.key'), 'utf8'));
    servers.push(ours.server);
    good = ours.port;
    // A leaf for a name outside the constraints, signed by the very same CA key.
    const ca = (await readCa(join(root, 'ca')))!;
    expect(ca.keyAlgorithm).toBe(keyType === 'ecdsa' ? 'ec' : 'rsa');
    const key = await generateKey(keyType, 'leaf');
    const evil = await serve(await issueLeaf({ ca, names: ['www.example.com'], keyPem: key }), key);
    servers.push(evil.server);
    rogue = evil.port;
  });
  afterAll(() => {
    for (const server of servers) server.close();
    removeDir(root);
  });

  it('loads the catalog and LMS hosts with no certificate error, and refuses another name', async () => {
    const { context } = await launchChromium({
      home,
      resolverRules: 'MAP richie.local.dev 127.0.0.1, MAP edx.local.dev 127.0.0.1, MAP www.example.com 127.0.0.1',
    });
    try {
      const page = await context.newPage();
      for (const host of ['richie.local.dev', 'edx.local.dev']) {
        const response = await page.goto(`https://${host}:${good}/`);
        expect(response?.status()).toBe(200);
        expect(await page.textContent('body')).toContain(`served ${host}:${good}`);
      }
      const refused = await page.goto(`https://www.example.com:${rogue}/`).then(
        () => 'loaded',
        (error: Error) => error.message,
      );
      // Chromium's verdict for a name constraint violation (DESIGN.md): ERR_CERT_INVALID.
      expect(refused).toContain('net::ERR_CERT_INVALID at');
      expect(refused).not.toBe('loaded');
    } finally {
      await context.close();
    }
  });

  it('shows a certificate error when the CA is not trusted', async () => {
    const untrustedHome = join(root, 'untrusted-home');
    mkdirSync(untrustedHome, { recursive: true });
    const { context } = await launchChromium({ home: untrustedHome, resolverRules: 'MAP richie.local.dev 127.0.0.1' });
    try {
      const page = await context.newPage();
      const outcome = await page.goto(`https://richie.local.dev:${good}/`).then(
        () => 'loaded',
        (error: Error) => error.message,
      );
      expect(outcome).toContain('net::ERR_CERT_AUTHORITY_INVALID');
    } finally {
      await context.close();
    }
  });
});
