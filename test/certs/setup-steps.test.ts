/**
 * setup-ssl's certificate steps (src/certs/setup.ts) on their own: checks that look and change
 * nothing, and ensureCa / ensureLeaf returning what they made. Real keys and certificates, in
 * a temp CA root; no trust store is involved.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCa, checkLeaf, ensureCa, ensureLeaf, requiredConstraints, type CertInput } from '../../src/certs/setup.js';
import { leafNames } from '../../src/certs/leaf.js';
import { projectPaths } from '../../src/paths.js';
import { removeDir, tempDir } from '../helpers.js';

describe('the certificate steps', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));
  const hosts = ['richie.local.dev', 'edx.local.dev'];

  async function input(): Promise<CertInput> {
    return {
      paths: projectPaths(join(root, 'project')),
      hosts,
      names: leafNames(hosts),
      root: { dir: join(root, 'ca'), from: 'flag' },
      required: await requiredConstraints(hosts),
      force: false,
      keyType: 'ecdsa',
      keyTypeAsked: false,
      now: new Date(),
      env: { HOME: root, XDG_DATA_HOME: join(root, 'data') },
    };
  }

  it('a check finds, and changes neither the machine nor what it was given', async () => {
    const given = await input();
    const before = structuredClone(given);
    expect(await checkCa(given)).toEqual({ state: 'todo', reason: `no CA in ${join(root, 'ca')} yet` });
    expect((await checkLeaf(given, undefined, { reissue: false })).state).toBe('todo');
    expect(given).toEqual(before);
  });

  it('ensureCa makes the CA and returns it; a second one reuses it', async () => {
    const given = await input();
    const made = await ensureCa(given);
    expect(made.created).toBe(true);
    expect(made.ca.constraints?.dns).toContain('local.dev');
    expect(new X509Certificate(readFileSync(join(root, 'ca', 'rootCA.pem'))).fingerprint256).toBe(made.ca.fingerprint);
    const again = await ensureCa(await input());
    expect(again.created).toBe(false);
    expect(again.ca.fingerprint).toBe(made.ca.fingerprint);
    // The check returns the CA it read, as what it found.
    const check = await checkCa(await input());
    expect(check.state).toBe('done');
    expect(check.state !== 'blocked' && (check.found as { fingerprint: string }).fingerprint).toBe(made.ca.fingerprint);
  });

  it('ensureLeaf issues one certificate for every host, chained to the CA; a second call keeps it', async () => {
    const { ca } = await ensureCa(await input());
    const first = await ensureLeaf(await input(), ca);
    expect(first.issued).toBe(true);
    expect(first.leaf.names).toEqual(expect.arrayContaining(hosts));
    const pem = readFileSync(join(root, 'project', '.richie-dev', 'ssl', 'richie.local.dev.pem'), 'utf8');
    expect(new X509Certificate(pem).checkIssued(ca.x509)).toBe(true);
    const second = await ensureLeaf(await input(), ca);
    expect(second.issued).toBe(false);
    expect(second.leaf.notAfter).toEqual(first.leaf.notAfter);
  });
});
