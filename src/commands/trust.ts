/**
 * `richie-dev trust [install|uninstall|status]`: the CA into, out of, or checked against the
 * system store and every NSS database, reported per store.
 */
import { readCa, type LocalCa } from '../certs/ca.js';
import { loadConfig } from '../config.js';
import { ExitCode, UserError } from '../errors.js';
import { caRoot } from '../paths.js';
import { applyTrust, discoverStores, type StoreReport, type TrustAction } from '../trust/index.js';

export interface TrustOptions {
  projectDir: string;
  action: TrustAction;
  caRoot?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface TrustResult {
  action: TrustAction;
  ca: { dir: string; fingerprint: string };
  stores: StoreReport[];
  exitCode: ExitCode;
}

export async function run(options: TrustOptions): Promise<TrustResult> {
  const env = options.env ?? process.env;
  const { config } = await loadConfig(options.projectDir);
  const root = caRoot({ flag: options.caRoot, configValue: config.caRoot, projectDir: options.projectDir }, env);
  const ca = await readCa(root.dir);
  if (!ca) {
    throw new UserError(`There is no CA in ${root.dir} yet.`, { fix: 'Run "richie-dev setup-ssl" first; it creates the CA.' });
  }
  const stores = await applyTrust(ca, await discoverStores(env), options.action);
  return { action: options.action, ca: { dir: ca.dir, fingerprint: ca.fingerprint }, stores, exitCode: trustExitCode(options.action, stores) };
}

/** Trust status for a CA we already hold (setup-ssl's report), without re-reading it. */
export async function statusFor(ca: LocalCa, env: NodeJS.ProcessEnv = process.env): Promise<StoreReport[]> {
  return applyTrust(ca, await discoverStores(env), 'status');
}

/** The worst outcome decides: a failure, then a missing right, then a missing tool. */
export function trustExitCode(action: TrustAction, stores: readonly StoreReport[]): ExitCode {
  if (stores.some((s) => s.action === 'failed')) return ExitCode.commandFailed;
  if (stores.some((s) => s.blockedBy === 'missing-tool')) return ExitCode.missingTool;
  if (stores.some((s) => s.blockedBy === 'permission')) return ExitCode.permission;
  if (action === 'status' && stores.some((s) => s.after === 'not-trusted')) return ExitCode.checkFailed;
  return ExitCode.ok;
}
