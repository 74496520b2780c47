/**
 * Under WSL, the Windows side: browsers running on Windows (Edge, Chrome; Firefox with its
 * default of also trusting Windows' roots) read the Windows store, not Linux's. The CA goes into
 * the current Windows user's Root store through WSL's interop, with Windows' own certutil.exe
 * (no administrator needed; Windows shows its own confirmation dialog for a new root):
 * https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/certutil
 * (-addstore, -delstore, -store; -user picks the current user's stores). Removal and checks name
 * the certificate by its SHA-1 thumbprint (src/trust/manual.ts says why, never the serial).
 * When certutil.exe cannot be run from here (interop off, Windows' PATH not appended), the
 * commands are printed for a Windows prompt.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { LocalCa } from '../certs/ca.js';
import { command, hasTool, run, type Command } from '../exec.js';
import { windowsPathOf } from '../wsl.js';
import { sha1Thumbprint } from './manual.js';
import type { StoreBlocker, TrustState, TrustStore } from './types.js';

/** Where certutil.exe is with WSL's default automount root, when Windows' PATH is not appended. */
const CERTUTIL_ON_C = '/mnt/c/Windows/System32/certutil.exe';

/** `copy`: the checked certificate as richie-dev wrote it (src/trust/handoff.ts), never the user's rootCA.pem. */
export function wslWindowsCommands(ca: Pick<LocalCa, 'x509'>, action: 'install' | 'uninstall' | 'status', env: NodeJS.ProcessEnv = process.env, certutil = 'certutil.exe', copy = ''): Command {
  if (action === 'install') return command(certutil, ['-addstore', '-user', 'Root', windowsPathOf(copy, env) ?? copy]);
  return command(certutil, [action === 'uninstall' ? '-delstore' : '-store', '-user', 'Root', sha1Thumbprint(ca)]);
}

/** certutil.exe as this process can run it, or undefined. */
async function findCertutil(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (await hasTool('certutil.exe', env)) return 'certutil.exe';
  try {
    await access(CERTUTIL_ON_C, constants.X_OK);
    return CERTUTIL_ON_C;
  } catch {
    return undefined;
  }
}

export function wslWindowsStore(env: NodeJS.ProcessEnv = process.env): TrustStore {
  let found: Promise<string | undefined> | undefined;
  const certutil = () => (found ??= findCertutil(env));
  const runIt = async (cmd: Command, reject = true) => run(cmd, { env, reject });
  const mustRun = async (): Promise<string> => {
    const file = await certutil();
    if (!file) throw new Error('certutil.exe cannot be run from WSL here');
    return file;
  };
  return {
    id: 'wsl:windows',
    kind: 'windows',
    label: "Windows, current user's Root store (through WSL)",
    async status(ca): Promise<TrustState> {
      const file = await certutil();
      if (!file) return 'unknown';
      // -store exits non-zero when no certificate in the store has that thumbprint.
      return (await runIt(wslWindowsCommands(ca, 'status', env, file), false)).exitCode === 0 ? 'trusted' : 'not-trusted';
    },
    async install(ca, copy) {
      await runIt(wslWindowsCommands(ca, 'install', env, await mustRun(), copy));
    },
    async uninstall(ca) {
      await runIt(wslWindowsCommands(ca, 'uninstall', env, await mustRun()));
    },
    manualCommands(ca, action, copy) {
      return [wslWindowsCommands(ca, action, env, 'certutil.exe', copy)];
    },
    async blocker(): Promise<StoreBlocker | undefined> {
      if (await certutil()) return undefined;
      return {
        kind: 'unsupported',
        reason: `Windows' certutil.exe cannot be run from WSL here (not on PATH, nor at ${CERTUTIL_ON_C}; WSL interop may be off)`,
        fix: 'In Windows, run the command listed for this store from PowerShell or cmd, as yourself (no administrator needed), and confirm Windows\' dialog.',
      };
    },
  };
}
