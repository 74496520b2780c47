/**
 * macOS and Windows system stores. richie-dev cannot exercise them on the Linux machines its
 * tests run on, so rather than drive them blind it prints the exact commands (the ones
 * mkcert's truststore_darwin.go / truststore_windows.go run, except that Windows removal names
 * the certificate by thumbprint, not serial) and reports trust as unknown.
 */
import type { LocalCa } from '../certs/ca.js';
import { command, type Command } from '../exec.js';
import type { StoreBlocker, TrustStore } from './types.js';

/** `copy`: the checked certificate richie-dev wrote (src/trust/handoff.ts), never rootCA.pem. */
export function darwinCommands(_ca: LocalCa, action: 'install' | 'uninstall', copy: string): Command[] {
  return action === 'install'
    ? [command('sudo', ['security', 'add-trusted-cert', '-d', '-k', '/Library/Keychains/System.keychain', copy])]
    : [command('sudo', ['security', 'remove-trusted-cert', '-d', copy])];
}

export function win32Commands(ca: LocalCa, action: 'install' | 'uninstall', copy: string): Command[] {
  // certutil.exe here is Windows' own, not NSS's; run from an elevated prompt. Removal names
  // the certificate by its SHA-1 thumbprint, not by its serial as mkcert does: whoever makes a
  // CA chooses its serial, so a CA reusing a public root's serial would have that root deleted
  // too; a thumbprint is a hash of the certificate itself. -delstore's CertId may be a SHA-1
  // certificate hash: https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/certutil#-delstore
  return action === 'install'
    ? [command('certutil.exe', ['-addstore', '-f', 'ROOT', copy])]
    : [command('certutil.exe', ['-delstore', 'ROOT', sha1Thumbprint(ca)])];
}

/** The SHA-1 hash of the DER certificate, hex without colons: what Windows calls the thumbprint. */
export function sha1Thumbprint(ca: Pick<LocalCa, 'x509'>): string {
  return ca.x509.fingerprint.replaceAll(':', '').toLowerCase();
}

export function manualStore(platform: 'darwin' | 'win32'): TrustStore {
  const commands = platform === 'darwin' ? darwinCommands : win32Commands;
  const label = platform === 'darwin' ? 'macOS System keychain' : 'Windows ROOT store';
  const blocker: StoreBlocker = {
    kind: 'unsupported',
    reason: `richie-dev does not change the ${label} itself yet`,
    fix: platform === 'darwin' ? 'Run the command listed for this store in Terminal.' : 'Run the command listed for this store from an elevated prompt.',
  };
  return {
    id: platform,
    kind: 'system',
    label,
    status: async () => 'unknown',
    install: async () => {
      throw new Error(`${label}: not driven by richie-dev`);
    },
    uninstall: async () => {
      throw new Error(`${label}: not driven by richie-dev`);
    },
    manualCommands: commands,
    blocker: async () => blocker,
  };
}
