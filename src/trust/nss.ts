/**
 * NSS databases (Chromium, Firefox, the system NSS db), found where the browsers open them
 * (src/trust/browsers.ts cites each path), and changed with certutil. A database a browser
 * will open but that does not exist yet (a browser that never ran) is created on install, as
 * the browser would create it. A CA is identified by its fingerprint, under a nickname made
 * from that fingerprint only: mkcert's "<organization> <serial>" would pass whatever the CA's
 * subject says (newlines, NUL, kilobytes) to certutil.
 */
import { X509Certificate } from 'node:crypto';
import { access, chown, constants, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LocalCa } from '../certs/ca.js';
import { command, hasTool, run } from '../exec.js';
import { chromiumNssDir, chromiumNssDirs, firefoxProfileRoots, type Browser } from './browsers.js';
import { fingerprintHex } from './linux.js';
import { isRoot } from './privilege.js';
import type { StoreBlocker, TrustState, TrustStore } from './types.js';

export interface NssDatabase {
  /** certutil's -d argument: "sql:/path" (cert9.db) or "dbm:/path" (cert8.db). */
  spec: string;
  dir: string;
  label: string;
  /** Not there yet: a browser will open it here; install creates it first. */
  create?: boolean;
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

/** Every NSS database a browser or the system reads, that exists. */
export async function findNssDatabases(env: NodeJS.ProcessEnv = process.env): Promise<NssDatabase[]> {
  const native = chromiumNssDirs(env);
  const snap = chromiumNssDirs(env, true);
  const fixed: [string, string][] = [
    [native.legacy, 'Chromium/Chrome'],
    [native.current, 'Chromium/Chrome'],
    [snap.legacy, 'Chromium (snap)'],
    [snap.current, 'Chromium (snap)'],
    ['/etc/pki/nssdb', 'system NSS'],
  ];
  const found: NssDatabase[] = [];
  for (const [dir, label] of fixed) {
    const db = await databaseIn(dir, label);
    if (db) found.push(db);
  }
  for (const root of firefoxProfileRoots(env)) {
    const label = root.includes('/snap/') ? 'Firefox (snap)' : 'Firefox';
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const db = await databaseIn(join(root, entry.name), `${label} profile ${entry.name}`);
      if (db) found.push(db);
    }
  }
  return found;
}

/**
 * The databases installed Chromium-family browsers will open but that do not exist yet (they
 * never ran, or never opened an HTTPS page): the new path, unless the legacy one exists.
 */
export async function pendingChromiumDatabases(env: NodeJS.ProcessEnv, browsers: readonly Browser[]): Promise<NssDatabase[]> {
  const pending: NssDatabase[] = [];
  for (const browser of browsers.filter((b) => b.family === 'chromium')) {
    const dir = await chromiumNssDir(env, browser.snap);
    if ((await databaseIn(dir, '')) || pending.some((p) => p.dir === dir)) continue;
    pending.push({ spec: `sql:${dir}`, dir, label: `${browser.snap ? 'Chromium (snap)' : 'Chromium/Chrome'}, not created yet`, create: true });
  }
  return pending;
}

/** The nearest directory that exists at or above `path`. */
async function existingAncestor(path: string): Promise<string> {
  let dir = path;
  while (!(await exists(dir)) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * Create an empty database as Chromium does on first start: the directories 0700
 * (base::CreateDirectory's mode), an empty password (Chromium's PK11_InitPin with none).
 * Run as root for a home that is not root's, the new directories go to the home's owner.
 */
async function createDatabase(dir: string): Promise<void> {
  const parent = await existingAncestor(dir);
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  await run(command('certutil', ['-N', '--empty-password', '-d', `sql:${dir}`]));
  if (isRoot() && first) {
    const owner = await stat(parent);
    if (owner.uid !== 0) {
      for (let d = dir; d.length >= first.length; d = dirname(d)) await chown(d, owner.uid, owner.gid);
      for (const file of await readdir(dir)) await chown(join(dir, file), owner.uid, owner.gid);
    }
  }
}

export function nssStore(db: NssDatabase): TrustStore {
  const certutil = (args: string[]) => command('certutil', args);
  const list = (ca: LocalCa) => certutil(['-L', '-d', db.spec, '-n', nickname(ca), '-a']);
  // The checked certificate richie-dev wrote (src/trust/handoff.ts), never rootCA.pem.
  const add = (ca: LocalCa, copy: string) => certutil(['-A', '-d', db.spec, '-t', 'C,,', '-n', nickname(ca), '-i', copy]);
  const remove = (ca: LocalCa) => certutil(['-D', '-d', db.spec, '-n', nickname(ca)]);

  const status = async (ca: LocalCa): Promise<TrustState> => {
    if (db.create && !(await exists(join(db.dir, 'cert9.db')))) return 'not-trusted';
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
      if (db.create && !(await exists(join(db.dir, 'cert9.db')))) await createDatabase(db.dir);
      await run(add(ca, copy));
    },
    async uninstall(ca) {
      // certutil -D removes one entry per call; a database can hold the nickname twice.
      for (let i = 0; i < 5 && (await status(ca)) === 'trusted'; i++) await run(remove(ca));
    },
    manualCommands(ca, action, copy) {
      if (action === 'install' && db.create) return [command('mkdir', ['-p', '-m', '700', db.dir]), certutil(['-N', '--empty-password', '-d', db.spec]), add(ca, copy)];
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
      const writable = await access(db.create ? await existingAncestor(db.dir) : db.dir, constants.W_OK).then(
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
