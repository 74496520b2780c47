/**
 * The Linux system trust store, in the four layouts mkcert knows; the first whose anchors
 * directory exists is used, as mkcert does (truststore_linux.go).
 */
import { X509Certificate } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalCa } from '../certs/ca.js';
import { command, hasTool, run, type Command } from '../exec.js';
import { asRun, asTyped, canElevate } from './privilege.js';
import type { StoreBlocker, TrustState, TrustStore } from './types.js';

export interface SystemLayout {
  anchors: string;
  update: Command;
  /** Debian package providing the update command. */
  pkg: string;
}

export const LINUX_LAYOUTS: readonly SystemLayout[] = [
  { anchors: '/etc/pki/ca-trust/source/anchors', update: command('update-ca-trust', ['extract']), pkg: 'ca-certificates' },
  { anchors: '/usr/local/share/ca-certificates', update: command('update-ca-certificates', []), pkg: 'ca-certificates' },
  { anchors: '/etc/ca-certificates/trust-source/anchors', update: command('trust', ['extract-compat']), pkg: 'p11-kit' },
  { anchors: '/usr/share/pki/trust/anchors', update: command('update-ca-certificates', []), pkg: 'ca-certificates' },
];

export async function findLinuxLayout(layouts: readonly SystemLayout[] = LINUX_LAYOUTS): Promise<SystemLayout | undefined> {
  for (const layout of layouts) {
    try {
      if ((await stat(layout.anchors)).isDirectory()) return layout;
    } catch {
      // not this layout
    }
  }
  return undefined;
}

/** mkcert's file name: the CA's organization and serial, spaces as underscores. */
export function anchorFileName(ca: LocalCa): string {
  return `${`${ca.organization} ${ca.serialDecimal}`.replaceAll(' ', '_')}.crt`;
}

export function linuxSystemStore(layout: SystemLayout | undefined): TrustStore {
  const target = (ca: LocalCa) => join(layout?.anchors ?? '', anchorFileName(ca));
  /** Anchor files whose content is this CA, whatever their names (mkcert's name, a user's copy). */
  const matchingAnchors = async (ca: LocalCa): Promise<string[]> => {
    if (!layout) return [];
    const found: string[] = [];
    for (const name of await readdir(layout.anchors).catch(() => [] as string[])) {
      if (!/\.(crt|pem)$/.test(name)) continue;
      const path = join(layout.anchors, name);
      try {
        if (new X509Certificate(await readFile(path)).fingerprint256 === ca.fingerprint) found.push(path);
      } catch {
        // not a certificate, or unreadable: not ours
      }
    }
    return found;
  };
  const installCommands = (ca: LocalCa): Command[] => [command('install', ['-m', '0644', ca.certFile, target(ca)]), layout!.update];
  const uninstallCommands = (ca: LocalCa, files: string[]): Command[] => [command('rm', ['-f', ...files]), layout!.update];

  return {
    id: 'system',
    kind: 'system',
    label: layout ? `system store (${layout.anchors})` : 'system store',
    async status(ca): Promise<TrustState> {
      if (!layout) return 'unknown';
      return (await matchingAnchors(ca)).length > 0 ? 'trusted' : 'not-trusted';
    },
    async install(ca) {
      for (const cmd of installCommands(ca)) await run(asRun(cmd));
    },
    async uninstall(ca) {
      const files = await matchingAnchors(ca);
      if (files.length) for (const cmd of uninstallCommands(ca, files)) await run(asRun(cmd));
    },
    manualCommands(ca, action) {
      if (!layout) return [];
      const cmds = action === 'install' ? installCommands(ca) : uninstallCommands(ca, [target(ca)]);
      return cmds.map(asTyped);
    },
    async blocker(): Promise<StoreBlocker | undefined> {
      if (!layout) {
        return {
          kind: 'unsupported',
          reason: `no system trust store found (looked for ${LINUX_LAYOUTS.map((l) => l.anchors).join(', ')})`,
          fix: 'Install "ca-certificates" (sudo apt install ca-certificates), then run "richie-dev trust install" again.',
        };
      }
      if (!(await hasTool(layout.update.file))) {
        return {
          kind: 'missing-tool',
          reason: `"${layout.update.file}" is not installed`,
          fix: `Install it with "sudo apt install ${layout.pkg}".`,
        };
      }
      if (!(await canElevate())) {
        return {
          kind: 'permission',
          reason: `writing ${layout.anchors} needs root, and sudo asks for a password`,
          fix: 'Run "sudo richie-dev trust install", or the commands listed for this store.',
        };
      }
      return undefined;
    },
  };
}
