/**
 * macOS and Windows system stores. richie-dev cannot exercise them on the Linux machines its
 * tests run on, so rather than drive them blind it prints the exact commands (the ones
 * mkcert's truststore_darwin.go / truststore_windows.go run) and reports trust as unknown.
 */
import type { LocalCa } from '../certs/ca.js';
import { command, type Command } from '../exec.js';
import type { StoreBlocker, TrustStore } from './types.js';

export function darwinCommands(ca: LocalCa, action: 'install' | 'uninstall'): Command[] {
  return action === 'install'
    ? [command('sudo', ['security', 'add-trusted-cert', '-d', '-k', '/Library/Keychains/System.keychain', ca.certFile])]
    : [command('sudo', ['security', 'remove-trusted-cert', '-d', ca.certFile])];
}

export function win32Commands(ca: LocalCa, action: 'install' | 'uninstall'): Command[] {
  // certutil.exe here is Windows' own, not NSS's; run from an elevated prompt.
  return action === 'install'
    ? [command('certutil.exe', ['-addstore', '-f', 'ROOT', ca.certFile])]
    : [command('certutil.exe', ['-delstore', 'ROOT', ca.x509.serialNumber.toLowerCase()])];
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
