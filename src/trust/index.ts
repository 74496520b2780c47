/**
 * Trust: which stores exist here (chosen from a table by platform, filtered by TRUST_STORES as
 * mkcert does), and installing, uninstalling or reporting the CA in each, store by store.
 */
import { describeScope, trustObjection, type LocalCa } from '../certs/ca.js';
import { commandToString } from '../exec.js';
import { assertNamesAccepted } from '../domains.js';
import { UserError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { underWsl } from '../wsl.js';
import { chromiumNssDir, findBrowsers, firefoxProfileRoots, type Browser } from './browsers.js';
import { firefoxPolicyStore, SYSTEM_POLICIES } from './firefox-policy.js';
import { writeCertificateCopy } from './handoff.js';
import { findLinuxLayout, linuxSystemStore } from './linux.js';
import { manualStore } from './manual.js';
import { findNssDatabases, nssStore, pendingChromiumDatabases } from './nss.js';
import type { BrowserReport, StoreReport, TrustState, TrustStore } from './types.js';
import { wslWindowsStore } from './wsl.js';

export type { BrowserReport, StoreReport, TrustStore, TrustState } from './types.js';
export type { Browser } from './browsers.js';

/** "firefox-policy" is richie-dev's own: Firefox's policies.json, for a Firefox with no profile yet; "windows": the Windows side under WSL. */
const STORE_KINDS = ['system', 'nss', 'firefox-policy', 'windows'] as const;
type StoreKind = (typeof STORE_KINDS)[number];

/** TRUST_STORES="system,nss" (mkcert's variable; "java" is mkcert's too, and not ours; "windows" is the Windows side under WSL). */
export function selectedKinds(env: NodeJS.ProcessEnv = process.env): Set<StoreKind> {
  const raw = env.TRUST_STORES?.trim();
  if (!raw) return new Set(STORE_KINDS);
  const kinds = new Set<StoreKind>();
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (!(STORE_KINDS as readonly string[]).includes(part)) {
      throw new UserError(`TRUST_STORES has "${part}", which richie-dev does not know (it knows: ${STORE_KINDS.join(', ')}).`, {
        fix: `Set TRUST_STORES to a comma-separated list of ${STORE_KINDS.join(', ')}, or unset it for all.`,
      });
    }
    kinds.add(part as StoreKind);
  }
  return kinds;
}

export interface Discovery {
  stores: TrustStore[];
  /** Installed browsers, each with the ids of the stores it reads. */
  browsers: (Browser & { storeIds: string[] })[];
}

/** Whether some policies file Firefox may read already names a certificate of ours (so uninstall finds it). */
async function policyMentionsUs(browsers: readonly Browser[]): Promise<boolean> {
  const files = [SYSTEM_POLICIES, ...browsers.flatMap((b) => (b.installDir ? [`${b.installDir}/distribution/policies.json`] : []))];
  for (const file of files) if ((await readFile(file, 'utf8').catch(() => '')).includes('richie-dev_')) return true;
  return false;
}

/**
 * The stores to act on and the browsers found. Reading only: a database a browser will open
 * but that does not exist yet is a store whose install creates it.
 */
export async function discover(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  wsl: boolean = platform === 'linux' && underWsl(env),
): Promise<Discovery> {
  const kinds = selectedKinds(env);
  const stores: TrustStore[] = [];
  if (kinds.has('system')) {
    if (platform === 'darwin' || platform === 'win32') stores.push(manualStore(platform));
    else stores.push(linuxSystemStore(await findLinuxLayout()));
  }
  if (platform !== 'linux') {
    if (kinds.has('nss') && platform !== 'win32') for (const db of await findNssDatabases(env)) stores.push(nssStore(db));
    return { stores, browsers: [] };
  }
  if (kinds.has('windows') && wsl) stores.push(wslWindowsStore(env));
  const browsers = await findBrowsers(env);
  const databases = await findNssDatabases(env);
  if (kinds.has('nss')) {
    for (const db of [...databases, ...(await pendingChromiumDatabases(env, browsers))]) stores.push(nssStore(db));
  }
  const firefoxes = browsers.filter((b) => b.family === 'firefox');
  const profileRoots = firefoxProfileRoots(env);
  const profiles = databases.filter((db) => profileRoots.some((root) => db.dir.startsWith(`${root}/`)));
  let policyId: string | undefined;
  if (kinds.has('firefox-policy') && firefoxes.length && (profiles.length === 0 || (await policyMentionsUs(firefoxes)))) {
    const store = firefoxPolicyStore(firefoxes);
    stores.push(store);
    policyId = store.id;
  }
  const found = await Promise.all(
    browsers.map(async (browser) => {
      if (browser.family === 'chromium') return { ...browser, storeIds: [`nss:${await chromiumNssDir(env, browser.snap)}`] };
      const own = profiles.filter((db) => db.dir.includes('/snap/firefox/') === browser.snap).map((db) => `nss:${db.dir}`);
      return { ...browser, storeIds: [...own, ...(policyId ? [policyId] : [])] };
    }),
  );
  return { stores, browsers: found };
}

export async function discoverStores(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  wsl: boolean = platform === 'linux' && underWsl(env),
): Promise<TrustStore[]> {
  return (await discover(env, platform, wsl)).stores;
}

/**
 * Whether each browser trusts the CA, from the reports of the stores it reads: Chromium its one
 * database; Firefox its policy, else every profile.
 */
export function browserReports(browsers: Discovery['browsers'], reports: readonly StoreReport[]): BrowserReport[] {
  return browsers.map((browser) => {
    const read = reports.filter((r) => browser.storeIds.includes(r.id));
    const base = { name: browser.name, path: browser.path, stores: read.map((r) => r.label) };
    if (read.length === 0) {
      const reason = browser.family === 'firefox' ? 'it has no profile yet, and its policy store is not selected (TRUST_STORES)' : 'the NSS database it reads is not selected (TRUST_STORES)';
      return { ...base, trusted: 'unknown' as TrustState, reason };
    }
    if (read.some((r) => r.kind === 'policy' && r.after === 'trusted')) return { ...base, trusted: 'trusted' as TrustState };
    const profiles = read.filter((r) => r.kind !== 'policy');
    const considered = profiles.length ? profiles : read;
    if (considered.every((r) => r.after === 'trusted')) return { ...base, trusted: 'trusted' as TrustState };
    if (considered.some((r) => r.after === 'not-trusted')) {
      return { ...base, trusted: 'not-trusted' as TrustState, reason: `not trusted in ${considered.filter((r) => r.after === 'not-trusted').map((r) => r.label).join(', ')}` };
    }
    return { ...base, trusted: 'unknown' as TrustState, reason: 'its stores could not be checked' };
  });
}

export type TrustAction = 'install' | 'uninstall' | 'status';

/** Refuse a CA richie-dev did not create or that is not name-constrained, naming the flag that allows it. */
export async function assertTrustworthy(ca: LocalCa, env: NodeJS.ProcessEnv): Promise<void> {
  const objection = await trustObjection(ca, env);
  if (!objection) return;
  throw new UserError(`Not installing the CA in ${ca.dir} into any trust store: ${objection}.\n  SHA-256 fingerprint: ${ca.fingerprint}\n  Name constraints: ${describeScope(ca)}`, {
    fix: 'If you know where this CA comes from and accept what it can sign, run the same command with --allow-unconstrained-ca; or use a CA made by "richie-dev setup-ssl" in a CA root of its own.',
  });
}

/**
 * Refuse a CA whose name constraints permit a domain outside those reserved for local use
 * (src/domains.ts) that the user did not name with --allow-domain: a project's hosts decide
 * those constraints, and a cloned project must not decide which real sites the user trusts.
 */
export function assertDomainsAccepted(ca: Pick<LocalCa, 'dir' | 'fingerprint' | 'constraints'>, allowDomains: readonly string[]): void {
  assertNamesAccepted(ca.constraints?.dns ?? [], allowDomains, `Not installing the CA in ${ca.dir} (SHA-256 ${ca.fingerprint}) into any trust store: it may sign for`, 'the same command with');
}

export interface ApplyOptions {
  /** Install even a CA richie-dev did not create, or one without name constraints. */
  allowUnconstrainedCa?: boolean;
  /** Domains outside local use the user accepts the CA signing for (--allow-domain). */
  allowDomains?: readonly string[];
  /** Where the record of the CAs richie-dev created is found. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Apply one action to every store, independently: one blocked store does not stop the others.
 * An install of a CA richie-dev did not create, or of one that is not name-constrained, is
 * refused before any store is touched unless `allowUnconstrainedCa` says so.
 */
export async function applyTrust(ca: LocalCa, stores: readonly TrustStore[], action: TrustAction, options: ApplyOptions = {}): Promise<StoreReport[]> {
  if (action === 'install' && !options.allowUnconstrainedCa) await assertTrustworthy(ca, options.env ?? process.env);
  if (action === 'install') assertDomainsAccepted(ca, options.allowDomains ?? []);
  const reports: StoreReport[] = [];
  if (action === 'status') {
    for (const store of stores) reports.push(await applyToStore(ca, store, action, ''));
    return reports;
  }
  // The stores read the checked certificate from a file richie-dev writes, never rootCA.pem.
  // It is removed afterwards, unless the commands printed for a store blocked by rights or
  // platform (to run by hand) still need it.
  const copy = await writeCertificateCopy(ca);
  try {
    for (const store of stores) reports.push(await applyToStore(ca, store, action, copy.file));
  } finally {
    if (!reports.some((r) => r.commands?.some((cmd) => cmd.includes(copy.file)))) await copy.remove();
  }
  for (const report of reports) if (report.commands?.some((cmd) => cmd.includes(copy.file))) report.certificateCopy = copy.file;
  return reports;
}

async function applyToStore(ca: LocalCa, store: TrustStore, action: TrustAction, copy: string): Promise<StoreReport> {
  const base = { id: store.id, kind: store.kind, label: store.label };
  const before = await store.status(ca);
  const wanted = action === 'install' ? 'trusted' : 'not-trusted';
  if (action === 'status' || before === wanted) return { ...base, before, after: before, action: 'none' };

  const blocker = await store.blocker();
  if (blocker) {
    return {
      ...base,
      before,
      after: before,
      action: 'blocked',
      reason: blocker.reason,
      blockedBy: blocker.kind,
      fix: blocker.fix,
      // Without the tool the commands cannot run; the fix says to install it and run richie-dev again.
      ...(blocker.kind === 'missing-tool' ? {} : { commands: store.manualCommands(ca, action, copy).map(commandToString) }),
    };
  }
  try {
    if (action === 'install') await store.install(ca, copy);
    else await store.uninstall(ca);
  } catch (error) {
    return {
      ...base,
      before,
      after: await store.status(ca).catch(() => 'unknown' as const),
      action: 'failed',
      // The reason names the command that failed; the copy it read is removed with the others.
      reason: (error as Error).message,
    };
  }
  // Verify after acting (STYLE.md 9): mkcert installs NSS, then checks NSS.
  const after = await store.status(ca);
  if (after !== wanted) {
    return { ...base, before, after, action: 'failed', reason: `the store still reports the CA as ${after} after ${action}` };
  }
  return { ...base, before, after, action: action === 'install' ? 'installed' : 'uninstalled' };
}
