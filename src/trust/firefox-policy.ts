/**
 * Firefox's enterprise policy `Certificates.Install`, for a Firefox that has no profile yet
 * (it never ran): every profile it makes, and every one it has, imports the CA on start.
 *
 * Which file Firefox reads, from toolkit/components/enterprisepolicies/EnterprisePoliciesParent.sys.mjs
 * (_getLocalConfigurationFile): on Linux `SysConfD/policies/policies.json` (/etc/firefox, for
 * Mozilla's builds, the snap and Debian's firefox-esr alike — strace shows Debian's ESR 153
 * checking /etc/firefox/policies/policies.json) when that file exists; otherwise the install's
 * `distribution/policies.json`. So richie-dev merges its entry into the file Firefox reads, and
 * never creates /etc/firefox/policies/policies.json where an install already has a
 * distribution policies.json: that would hide the user's policies.
 *
 * The policy names a root-owned copy of the certificate richie-dev writes next to the
 * policies file (never the user's rootCA.pem, which its owner could change afterwards).
 * Policy syntax: https://mozilla.github.io/policy-templates/#certificates--install
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LocalCa } from '../certs/ca.js';
import { command, type Command } from '../exec.js';
import type { Browser } from './browsers.js';
import { fingerprintHex, pathInside } from './linux.js';
import { asTyped, isRoot } from './privilege.js';
import type { StoreBlocker, TrustState, TrustStore } from './types.js';

export const SYSTEM_POLICIES = '/etc/firefox/policies/policies.json';

interface PoliciesFile {
  policies?: { Certificates?: { Install?: unknown[]; [key: string]: unknown }; [key: string]: unknown };
  [key: string]: unknown;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function distributionFile(browser: Browser): string | undefined {
  return browser.installDir ? join(browser.installDir, 'distribution', 'policies.json') : undefined;
}

/** The policies files these Firefoxes read now (a missing one counts as empty). */
export async function policyFilesRead(browsers: readonly Browser[], systemFile = SYSTEM_POLICIES): Promise<string[]> {
  if (await exists(systemFile)) return [systemFile];
  const files = browsers.map(distributionFile).filter((f): f is string => Boolean(f));
  return [...new Set(files)];
}

/** Where install writes: the files read now, or /etc/firefox when no install has a file of its own. */
export async function policyTargets(browsers: readonly Browser[], systemFile = SYSTEM_POLICIES): Promise<string[]> {
  const read = await policyFilesRead(browsers, systemFile);
  if (read.length === 1 && read[0] === systemFile) return read;
  for (const file of read) if (await exists(file)) return read;
  return [systemFile];
}

export function certificateCopy(ca: Pick<LocalCa, 'fingerprint'>, policiesFile: string): string {
  return pathInside(dirname(policiesFile), `richie-dev_${fingerprintHex(ca)}.pem`);
}

async function readPolicies(file: string): Promise<PoliciesFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as PoliciesFile;
  } catch {
    // reported below
  }
  throw new Error(`${file} is not a JSON object; richie-dev leaves it as it is (fix it, then run "richie-dev trust install" again)`);
}

/** The file with our certificate added to Certificates.Install; everything else kept. */
export function withEntry(file: PoliciesFile | undefined, certPath: string): PoliciesFile {
  const next: PoliciesFile = structuredClone(file ?? {});
  const policies = (next.policies ??= {});
  const certificates = (policies.Certificates ??= {});
  const install = Array.isArray(certificates.Install) ? certificates.Install : [];
  certificates.Install = install.includes(certPath) ? install : [...install, certPath];
  return next;
}

/** The file with our entry removed, and the objects that held only it. */
export function withoutEntry(file: PoliciesFile, certPath: string): PoliciesFile {
  const next: PoliciesFile = structuredClone(file);
  const certificates = next.policies?.Certificates;
  if (!certificates || !Array.isArray(certificates.Install)) return next;
  certificates.Install = certificates.Install.filter((p) => p !== certPath);
  if (certificates.Install.length === 0) delete certificates.Install;
  if (Object.keys(certificates).length === 0) delete next.policies!.Certificates;
  return next;
}

const isEmpty = (file: PoliciesFile) => Object.keys(file).every((k) => k === 'policies') && Object.keys(file.policies ?? {}).length === 0;

/** Written to a new file in the same directory, then renamed: never through a link at the path. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const temp = `${path}.richie-dev-${process.pid}`;
  await writeFile(temp, text, { mode: 0o644, flag: 'wx' });
  await rename(temp, path);
}

async function fileTrusts(ca: LocalCa, file: string): Promise<boolean> {
  const policies = await readPolicies(file).catch(() => undefined);
  const certPath = certificateCopy(ca, file);
  if (!policies?.policies?.Certificates?.Install?.includes(certPath)) return false;
  try {
    return new X509Certificate(await readFile(certPath)).fingerprint256 === ca.fingerprint;
  } catch {
    return false;
  }
}

export function firefoxPolicyStore(browsers: readonly Browser[], systemFile = SYSTEM_POLICIES): TrustStore {
  const names = [...new Set(browsers.map((b) => b.name))].join(', ');
  const planned = async (ca: LocalCa) => {
    const files = await policyTargets(browsers, systemFile);
    return Promise.all(files.map(async (file) => ({ file, text: `${JSON.stringify(withEntry(await readPolicies(file), certificateCopy(ca, file)), null, 2)}\n` })));
  };
  // `copy`: the checked certificate as richie-dev wrote it (src/trust/handoff.ts), never rootCA.pem.
  const manual = (ca: LocalCa, files: { file: string; text: string }[], copy: string): Command[] =>
    files.flatMap(({ file, text }) => [command('mkdir', ['-p', dirname(file)]), command('cp', [copy, certificateCopy(ca, file)]), command('tee', [file], text)].map(asTyped));
  return {
    id: `firefox-policy:${systemFile}`,
    kind: 'policy',
    label: `Firefox enterprise policy (${names}; ${systemFile} or the install's distribution/policies.json)`,
    async status(ca): Promise<TrustState> {
      const files = await policyFilesRead(browsers, systemFile);
      if (files.length === 0) return 'not-trusted';
      for (const file of files) if (!(await fileTrusts(ca, file))) return 'not-trusted';
      return 'trusted';
    },
    async install(ca) {
      for (const { file, text } of await planned(ca)) {
        const copy = certificateCopy(ca, file);
        await mkdir(dirname(copy), { recursive: true, mode: 0o755 });
        await rm(copy, { force: true });
        // The certificate richie-dev checked, from the bytes it holds, not re-read from the user's file.
        await writeFile(copy, ca.x509.toString(), { mode: 0o644, flag: 'wx' });
        await writeAtomically(file, text);
      }
    },
    async uninstall(ca) {
      const files = new Set([systemFile, ...browsers.map(distributionFile).filter((f): f is string => Boolean(f))]);
      for (const file of files) {
        const policies = await readPolicies(file);
        if (!policies) continue;
        const next = withoutEntry(policies, certificateCopy(ca, file));
        // An empty /etc/firefox/policies/policies.json would still hide the distribution's file.
        if (isEmpty(next)) await rm(file, { force: true });
        else await writeAtomically(file, `${JSON.stringify(next, null, 2)}\n`);
        await rm(certificateCopy(ca, file), { force: true });
      }
    },
    manualCommands(ca, action, copy) {
      if (action === 'uninstall') return [asTyped(command('rm', ['-f', certificateCopy(ca, systemFile)]))];
      // Synchronous callers get the common case; the blocker names the exact file contents.
      const text = `${JSON.stringify(withEntry(undefined, certificateCopy(ca, systemFile)), null, 2)}\n`;
      return manual(ca, [{ file: systemFile, text }], copy);
    },
    async blocker(): Promise<StoreBlocker | undefined> {
      if (isRoot()) return undefined;
      return {
        kind: 'permission',
        reason: `writing Firefox's policies (${systemFile}) needs root`,
        fix: `Run "sudo richie-dev trust install", or as root copy the CA certificate to ${dirname(systemFile)}/richie-dev_<fingerprint>.pem and add that path to "Certificates": {"Install": [...]} in ${systemFile} (merge with the policies already there).`,
      };
    },
  };
}
