/**
 * Both key profiles end to end, through the real CLI: the default ECDSA P-256 and mkcert's RSA
 * (--key-type rsa). Each chain is verified by OpenSSL, by Node's TLS client and by Python's
 * ssl module (Debian's python3: the language of Richie and OpenEdX), each trusting only the
 * CA; and each of them refuses a certificate the same CA key signed for a name outside its
 * constraints. mkcert signs with our ECDSA CA, and existing RSA CAs are reused as they are.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCa } from '../../src/certs/ca.js';
import { generateKey } from '../../src/certs/keys.js';
import { issueLeaf } from '../../src/certs/leaf.js';
import { cli, hasTool, removeDir, sh, tempDir } from '../helpers.js';

const PYTHON = '/usr/bin/python3';

/** Python's ssl with the default context (hostname check, CERT_REQUIRED), trusting only the CA. */
const PYTHON_CLIENT = `
import socket, ssl, sys
cafile, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=cafile)
try:
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(b"GET / HTTP/1.0\\r\\nHost: " + host.encode() + b"\\r\\n\\r\\n")
            print("ok", tls.recv(4096).split(b"\\r\\n\\r\\n", 1)[-1].decode())
except ssl.SSLCertVerificationError as error:
    print("refused", error.verify_message)
`;

async function serve(cert: string, key: string): Promise<{ server: Server; port: number }> {
  const server = createServer({ cert, key }, (req, res) => res.end(`served ${req.headers.host}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function nodeGet(ca: string, host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, servername: host, headers: { host }, ca, path: '/' }, (res) => {
      let data = '';
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve(`ok ${data}`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`refused ${error.code}: ${error.message}`));
    req.end();
  });
}

function digest(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest('hex');
}

describe.each([
  { profile: 'ecdsa (the default)', flags: [] as string[], ca: 'ECDSA P-256', leafKey: 'ASN1 OID: prime256v1', caKey: 'ASN1 OID: prime256v1', signature: 'ecdsa-with-SHA256' },
  { profile: 'rsa (mkcert\'s profile)', flags: ['--key-type', 'rsa'], ca: 'RSA-3072', leafKey: 'Public-Key: (2048 bit)', caKey: 'Public-Key: (3072 bit)', signature: 'sha256WithRSAEncryption' },
])('the $profile profile, end to end', ({ flags, ca: caKind, leafKey, caKey, signature }) => {
  const root = tempDir();
  const caRoot = join(root, 'ca');
  const caFile = join(caRoot, 'rootCA.pem');
  const projectDir = join(root, 'project');
  const env = { CAROOT: caRoot, HOME: join(root, 'home'), TRUST_STORES: 'nss' };
  const servers: Server[] = [];
  let good = 0;
  let rogue = 0;

  beforeAll(async () => {
    expect(hasTool('openssl')).toBe(true);
    const made = await cli(['--project-dir', projectDir, '--json', 'setup-ssl', '--no-trust', ...flags], { env });
    expect(made.exitCode, made.stdout + made.stderr).toBe(0);
    expect(JSON.parse(made.stdout).ca).toMatchObject({ created: true, key: caKind });
    const ssl = join(projectDir, '.richie-dev', 'ssl');
    const ours = await serve(readFileSync(join(ssl, 'richie.local.dev.pem'), 'utf8'), readFileSync(join(ssl, 'richie.local.dev.key'), 'utf8'));
    // The same CA key signs for a name outside its constraints: every verifier must refuse it.
    const ca = (await readCa(caRoot))!;
    const key = await generateKey(flags.length ? 'rsa' : 'ecdsa', 'leaf');
    const evil = await serve(await issueLeaf({ ca, names: ['www.example.com'], keyPem: key }), key);
    servers.push(ours.server, evil.server);
    [good, rogue] = [ours.port, evil.port];
  });
  afterAll(() => {
    for (const server of servers) server.close();
    removeDir(root);
  });

  it('has the profile\'s keys and signatures, and OpenSSL verifies the chain', async () => {
    const caText = (await sh('openssl', ['x509', '-in', caFile, '-noout', '-text'])).stdout;
    expect(caText).toContain(caKey);
    expect(caText).toContain(`Signature Algorithm: ${signature}`);
    expect(caText).toMatch(/Name Constraints: critical\s+Permitted:\s+DNS:local\.dev\s+DNS:localhost/);
    const leaf = join(projectDir, '.richie-dev', 'ssl', 'edx.local.dev.pem');
    const leafText = (await sh('openssl', ['x509', '-in', leaf, '-noout', '-text'])).stdout;
    expect(leafText).toContain(leafKey);
    expect(leafText).toContain(`Signature Algorithm: ${signature}`);
    const verify = await sh('openssl', ['verify', '-x509_strict', '-CAfile', caFile, leaf]);
    expect(verify.stdout + verify.stderr).toContain(': OK');
  });

  it('Node\'s TLS client trusting only the CA connects to each name, and refuses the other name', async () => {
    const ca = readFileSync(caFile, 'utf8');
    for (const host of ['richie.local.dev', 'edx.local.dev', 'localhost']) expect(await nodeGet(ca, host, good)).toBe(`ok served ${host}`);
    expect(await nodeGet(ca, 'www.example.com', rogue)).toMatch(/permitted subtree violation|PERMITTED_SUBTREE/i);
  });

  it('Python\'s ssl (Debian\'s python3) verifies the chain and enforces the name constraints', async () => {
    expect(hasTool(PYTHON)).toBe(true);
    for (const host of ['richie.local.dev', 'edx.local.dev']) {
      const result = await sh(PYTHON, ['-c', PYTHON_CLIENT, caFile, host, String(good)]);
      expect(result.stdout.trim(), result.stderr).toBe(`ok served ${host}`);
    }
    const refused = await sh(PYTHON, ['-c', PYTHON_CLIENT, caFile, 'www.example.com', String(rogue)]);
    expect(refused.stdout.trim(), refused.stderr).toBe('refused permitted subtree violation');
  });

  it('is reused as it is by a second project with the other key type\'s default', async () => {
    const before = digest(caRoot);
    const other = join(root, 'second');
    const again = await cli(['--project-dir', other, '--json', 'setup-ssl', '--no-trust'], { env });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).ca).toMatchObject({ created: false, key: caKind });
    expect(digest(caRoot)).toBe(before);
    const verify = await sh('openssl', ['verify', '-CAfile', caFile, join(other, '.richie-dev', 'ssl', 'richie.local.dev.pem')]);
    expect(verify.stdout).toContain(': OK');
  });
});

describe('mkcert and our CAs', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));
  const env = (caRoot: string) => ({ CAROOT: caRoot, TRUST_STORES: 'nss', HOME: join(root, 'home') });

  it('CAROOT=<ours> mkcert other.local.dev signs with our ECDSA CA, within its constraints', async () => {
    expect(hasTool('mkcert')).toBe(true);
    const caRoot = join(root, 'ours');
    expect((await cli(['--project-dir', join(root, 'a'), 'setup-ssl', '--no-trust'], { env: env(caRoot) })).exitCode).toBe(0);
    expect(new X509Certificate(readFileSync(join(caRoot, 'rootCA.pem'))).publicKey.asymmetricKeyType).toBe('ec');
    const out = join(root, 'other.pem');
    const made = await sh('mkcert', ['-cert-file', out, '-key-file', join(root, 'other.key'), 'other.local.dev'], env(caRoot));
    expect(made.exitCode, made.stderr).toBe(0);
    const verify = await sh('openssl', ['verify', '-CAfile', join(caRoot, 'rootCA.pem'), out]);
    expect(verify.stdout).toContain(': OK');
    // mkcert does not know about constraints, but the chain it made still obeys them.
    const outside = join(root, 'outside.pem');
    await sh('mkcert', ['-cert-file', outside, '-key-file', join(root, 'outside.key'), 'www.example.com'], env(caRoot));
    const refused = await sh('openssl', ['verify', '-CAfile', join(caRoot, 'rootCA.pem'), outside]);
    expect(refused.stdout + refused.stderr).toContain('permitted subtree violation');
  });

  it('an RSA CA mkcert made is reused as it is, with an ECDSA certificate by default', async () => {
    expect(hasTool('mkcert')).toBe(true);
    const mkRoot = join(root, 'mkcert');
    expect((await sh('mkcert', ['-CAROOT'], env(mkRoot))).exitCode).toBe(0);
    const made = await sh('mkcert', ['-cert-file', join(root, 'x.pem'), '-key-file', join(root, 'x.key'), 'x.local.dev'], env(mkRoot));
    expect(made.exitCode, made.stderr).toBe(0);
    const before = digest(mkRoot);
    const mode = statSync(mkRoot).mode;
    const project = join(root, 'b');
    const result = await cli(['--project-dir', project, '--json', 'setup-ssl', '--no-trust', '--ca-root', mkRoot], { env: { TRUST_STORES: 'nss', HOME: join(root, 'home') } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).ca).toMatchObject({ created: false, key: 'RSA-3072', constraints: null });
    expect(digest(mkRoot)).toBe(before);
    expect(statSync(mkRoot).mode).toBe(mode);
    const leaf = join(project, '.richie-dev', 'ssl', 'richie.local.dev.pem');
    expect((await sh('openssl', ['x509', '-in', leaf, '-noout', '-text'])).stdout).toContain('ASN1 OID: prime256v1');
    expect((await sh('openssl', ['verify', '-CAfile', join(mkRoot, 'rootCA.pem'), leaf])).stdout).toContain(': OK');
    // Reused, not recreated: nothing was retired (retireCa names them rootCA.retired-<stamp>.pem).
    expect(readdirSync(mkRoot).filter((name) => name.startsWith('rootCA.retired-'))).toEqual([]);
  });
});
