/**
 * NSS databases (Chromium, Firefox, the system NSS db), found where mkcert looks
 * (truststore_nss.go), and changed with certutil. A CA is identified by its fingerprint, under
 * a nickname made from that fingerprint only: mkcert's "<organization> <serial>" would pass
 * whatever the CA's subject says (newlines, NUL, kilobytes) to certutil.
 */
import { X509Certificate } from 'node:crypto';
import { access, constants, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalCa } from '../certs/ca.js';
import { command, hasTool, run } from '../exec.js';
import { homeDir } from '../paths.js';
import { fingerprintHex } from './linux.js';
import { isRoot } from './privilege.js';
import type { StoreBlocker, TrustState, TrustStore } from './types.js';

export interface NssDatabase {
  /** certutil's -d argument: "sql:/path" (cert9.db) or "dbm:/path" (cert8.db). */
  spec: string;
  dir: string;
  label: string;
}

export function nickname(ca: Pick<LocalCa, 'fingerprint'>): string {
  return `richie-dev CA ${fingerprintHex(ca)}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function databaseIn(dir: string, label: string): Promise<NssDatabase | undefined> {
  if (await exists(join(dir, 'cert9.db'))) return { spec: `sql:${dir}`, dir, label };
  if (await exists(join(dir, 'cert8.db'))) return { spec: `dbm:${dir}`, dir, label };
  return undefined;
}

/** Every NSS database mkcert would use, that exists. */
export async function findNssDatabases(env: NodeJS.ProcessEnv = process.env): Promise<NssDatabase[]> {
  const home = homeDir(env);
  const fixed: [string, string][] = [
    [join(home, '.pki', 'nssdb'), 'Chromium/Chrome'],
    [join(home, 'snap', 'chromium', 'current', '.pki', 'nssdb'), 'Chromium (snap)'],
    ['/etc/pki/nssdb', 'system NSS'],
  ];
  const profileRoots: [string, string][] = [
    [join(home, '.mozilla', 'firefox'), 'Firefox'],
    [join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'), 'Firefox (snap)'],
    [join(home, '.config', 'mozilla', 'firefox'), 'Firefox'],
  ];
  const found: NssDatabase[] = [];
  for (const [dir, label] of fixed) {
    const db = await databaseIn(dir, label);
    if (db) found.push(db);
  }
  for (const [root, label] of profileRoots) {
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const db = await databaseIn(join(root, entry.name), `${label} profile ${entry.name}`);
      if (db) found.push(db);
    }
  }
  return found;
}

export function nssStore(db: NssDatabase): TrustStore {
  const certutil = (args: string[]) => command('certutil', args);
  const list = (ca: LocalCa) => certutil(['-L', '-d', db.spec, '-n', nickname(ca), '-a']);
  // The checked certificate richie-dev wrote (src/trust/handoff.ts), never rootCA.pem.
  const add = (ca: LocalCa, copy: string) => certutil(['-A', '-d', db.spec, '-t', 'C,,', '-n', nickname(ca), '-i', copy]);
  const remove = (ca: LocalCa) => certutil(['-D', '-d', db.spec, '-n', nickname(ca)]);

  const status = async (ca: LocalCa): Promise<TrustState> => {
    if (!(await hasTool('certutil'))) return 'unknown';
    const result = await run(list(ca), { reject: false });
    if (result.exitCode !== 0) return 'not-trusted';
    // The nickname could name another certificate: compare content.
    const pems = result.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return pems.some((pem) => new X509Certificate(pem).fingerprint256 === ca.fingerprint) ? 'trusted' : 'not-trusted';
  };

  return {
    id: `nss:${db.dir}`,
    kind: 'nss',
    label: `NSS database, ${db.label} (${db.dir})`,
    status,
    async install(ca, copy) {
      await run(add(ca, copy));
    },
    async uninstall(ca) {
      // certutil -D removes one entry per call; a database can hold the nickname twice.
      for (let i = 0; i < 5 && (await status(ca)) === 'trusted'; i++) await run(remove(ca));
    },
    manualCommands(ca, action, copy) {
      return [action === 'install' ? add(ca, copy) : remove(ca)];
    },
    async blocker(): Promise<StoreBlocker | undefined> {
      if (!(await hasTool('certutil'))) {
        return {
          kind: 'missing-tool',
          reason: '"certutil" is not installed, so browsers using NSS will not trust the CA',
          fix: 'Install "certutil" with "sudo apt install libnss3-tools" (Fedora: nss-tools, Arch: nss), then run "richie-dev trust install".',
        };
      }
      const writable = await access(db.dir, constants.W_OK).then(
        () => true,
        () => false,
      );
      if (!writable && !isRoot()) {
        return { kind: 'permission', reason: `${db.dir} is not writable by this user`, fix: 'Run the commands listed for this store with sudo.' };
      }
      return undefined;
    },
  };
}
