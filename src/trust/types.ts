/**
 * One interface for every trust store (STYLE.md 11): the system store of each platform and
 * each NSS database. A store checks by fingerprint, installs, uninstalls, and can say which
 * commands would do it by hand (for a user without the rights, or a platform we cannot drive).
 */
import type { Command } from '../exec.js';
import type { LocalCa } from '../certs/ca.js';

export type TrustState = 'trusted' | 'not-trusted' | 'unknown';

export interface TrustStore {
  /** Stable id: "system", "nss:/home/u/.pki/nssdb", "firefox-policy:/etc/firefox/policies/policies.json", "darwin", "win32". */
  id: string;
  /** "windows": under WSL, the Windows side (src/trust/wsl.ts); "policy": Firefox's policies.json. */
  kind: 'system' | 'nss' | 'windows' | 'policy';
  /** Human name: "system store (/usr/local/share/ca-certificates)", "NSS database (Chromium)". */
  label: string;
  status(ca: LocalCa): Promise<TrustState>;
  /** `copy`: the checked certificate, written by richie-dev to a file of its own (src/trust/handoff.ts). */
  install(ca: LocalCa, copy: string): Promise<void>;
  uninstall(ca: LocalCa): Promise<void>;
  /** The commands that would install / uninstall by hand, reading `copy` where a file is needed. */
  manualCommands(ca: LocalCa, action: 'install' | 'uninstall', copy: string): Command[];
  /** Why this store cannot be changed by this process (no rights, missing tool), if so. */
  blocker(): Promise<StoreBlocker | undefined>;
}

export interface StoreBlocker {
  reason: string;
  kind: 'permission' | 'missing-tool' | 'unsupported';
  fix: string;
}

export interface StoreReport {
  id: string;
  kind: TrustStore['kind'];
  label: string;
  before: TrustState;
  after: TrustState;
  /** What happened: nothing to do, done, or why not. */
  action: 'none' | 'installed' | 'uninstalled' | 'blocked' | 'failed';
  /** For blocked or failed stores: the reason and the commands to run instead. */
  reason?: string;
  /** For blocked stores: what blocks them. */
  blockedBy?: StoreBlocker['kind'];
  fix?: string;
  commands?: string[];
  /** The checked certificate those commands read, written by richie-dev and kept for them. */
  certificateCopy?: string;
}

/** One installed browser and whether it trusts the CA, judged from the stores it reads. */
export interface BrowserReport {
  name: string;
  /** The program (or snap) found. */
  path: string;
  /** Labels of the stores this browser reads that were checked. */
  stores: string[];
  trusted: TrustState;
  /** Why it does not, or why it could not be told. */
  reason?: string;
}
