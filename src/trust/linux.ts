/**
 * The Linux system trust store, in the four layouts mkcert knows; the first whose anchors
 * directory exists is used, as mkcert does (truststore_linux.go).
 */
import { X509Certificate } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
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

/**
 * The anchor's file name, from the CA's SHA-256 fingerprint only. mkcert names it from the
 * subject's O and the serial; a subject is whatever the CA's maker wrote ("../../etc/cron.d/x"),
 * and this name is written as root.
 */
export function anchorFileName(ca: Pick<LocalCa, 'fingerprint'>): string {
  return `richie-dev_${fingerprintHex(ca)}.crt`;
}

/** The fingerprint as 64 lowercase hex digits; anything else is refused. */
export function fingerprintHex(ca: Pick<LocalCa, 'fingerprint'>): string {
  const hex = ca.fingerprint.replaceAll(':', '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a SHA-256 fingerprint: ${JSON.stringify(ca.fingerprint)}`);
  return hex;
}

/** `dir/name`, checked to be a direct child of `dir`: no separator, no "..", nothing else. */
export function pathInside(dir: string, name: string): string {
  const path = resolve(dir, name);
  if (dirname(path) !== resolve(dir) || basename(path) !== name || name === '.' || name === '..' || name.includes('\0')) {
    throw new Error(`refusing a file name that leaves ${dir}: ${JSON.stringify(name)}`);
  }
  return path;
}

/**
 * Writes the anchor as root with O_CREAT|O_EXCL|O_NOFOLLOW semantics (GNU dd's conv=excl and
 * oflag=nofollow): a file or symbolic link already at that name makes it fail, writing nothing.
 * `install` would unlink a planted link and write through the race window it leaves. `copy` is
 * the checked certificate richie-dev wrote (src/trust/handoff.ts), never rootCA.pem.
 */
export function anchorWriteCommand(ca: Pick<LocalCa, 'fingerprint'>, anchors: string, copy: string): Command {
  return command('dd', [`if=${copy}`, `of=${pathInside(anchors, anchorFileName(ca))}`, 'conv=excl', 'oflag=nofollow', 'status=none']);
}

export function linuxSystemStore(layout: SystemLayout | undefined): TrustStore {
  const target = (ca: LocalCa) => pathInside(layout?.anchors ?? '', anchorFileName(ca));
  /** Anchor files whose content is this CA, whatever their names (mkcert's name, a user's copy). */
  const matchingAnchors = async (ca: LocalCa): Promise<string[]> => {
    if (!layout) return [];
    const found: string[] = [];
    for (const name of await readdir(layout.anchors).catch(() => [] as string[])) {
      if (!/\.(crt|pem)$/.test(name)) continue;
      const path = pathInside(layout.anchors, name);
      try {
        if (new X509Certificate(await readFile(path)).fingerprint256 === ca.fingerprint) found.push(path);
      } catch {
        // not a certificate, or unreadable: not ours
      }
    }
    return found;
  };
  const installCommands = (ca: LocalCa, copy: string): Command[] => [anchorWriteCommand(ca, layout!.anchors, copy), layout!.update];
  const uninstallCommands = (ca: LocalCa, files: string[]): Command[] => [command('rm', ['-f', ...files]), layout!.update];

  return {
    id: 'system',
    kind: 'system',
    label: layout ? `system store (${layout.anchors})` : 'system store',
    async status(ca): Promise<TrustState> {
      if (!layout) return 'unknown';
      return (await matchingAnchors(ca)).length > 0 ? 'trusted' : 'not-trusted';
    },
    async install(ca, copy) {
      for (const cmd of installCommands(ca, copy)) await run(asRun(cmd));
    },
    async uninstall(ca) {
      const files = await matchingAnchors(ca);
      if (files.length) for (const cmd of uninstallCommands(ca, files)) await run(asRun(cmd));
    },
    manualCommands(ca, action, copy) {
      if (!layout) return [];
      const cmds = action === 'install' ? installCommands(ca, copy) : uninstallCommands(ca, [target(ca)]);
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
