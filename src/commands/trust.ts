/**
 * `richie-dev trust [install|uninstall|status]`: the CA into, out of, or checked against the
 * system store and every NSS database, reported per store.
 */
import { describeScope, readCa, trustObjection, type LocalCa } from '../certs/ca.js';
import type { CommandContext } from '../context.js';
import { ExitCode, UserError } from '../errors.js';
import { applyTrust, browserReports, discover, discoverStores, type BrowserReport, type StoreReport, type TrustAction } from '../trust/index.js';

export interface TrustOptions {
  action: TrustAction;
  /** Install even a CA richie-dev did not create, or one without name constraints. */
  allowUnconstrainedCa?: boolean;
  /** Domains outside local use the user accepts the CA signing for (--allow-domain). */
  allowDomains?: readonly string[];
}

export interface TrustResult {
  action: TrustAction;
  ca: { dir: string; fingerprint: string };
  stores: StoreReport[];
  /** The browsers found and whether each trusts the CA (after the action). */
  browsers: BrowserReport[];
  /** Set when no store was found: nothing was installed, removed or checked. */
  nothing?: string;
  exitCode: ExitCode;
}

export async function run(ctx: CommandContext, options: TrustOptions): Promise<TrustResult> {
  const { env } = ctx;
  // Read for its validation only: a project config that names a caRoot is refused (the CA root is the user's choice).
  await ctx.config();
  const root = ctx.caRoot();
  const ca = await readCa(root.dir);
  if (!ca) {
    throw new UserError(`There is no CA in ${root.dir} yet.`, { fix: 'Run "richie-dev setup-ssl" first; it creates the CA.' });
  }
  const found = await discover(env);
  const stores = await applyTrust(ca, found.stores, options.action, {
    env,
    allowUnconstrainedCa: Boolean(options.allowUnconstrainedCa),
    allowDomains: options.allowDomains ?? [],
  });
  const browsers = browserReports(found.browsers, stores);
  const verb = { install: 'installed', uninstall: 'removed', status: 'checked' }[options.action];
  const nothing = stores.length
    ? undefined
    : `Nothing was ${verb}: no trust store found${env.TRUST_STORES ? ` among TRUST_STORES=${env.TRUST_STORES}` : ''}, and no browser (${found.browsers.length ? found.browsers.map((b) => b.name).join(', ') : 'none found'}) has a store to ${options.action === 'status' ? 'check' : 'change'}.`;
  return { action: options.action, ca: { dir: ca.dir, fingerprint: ca.fingerprint }, stores, browsers, ...(nothing ? { nothing } : {}), exitCode: trustExitCode(options.action, stores, browsers) };
}

/** The CA a trust command would act on, for the CLI's question: fingerprint, scope and any objection. */
export async function describeCa(ctx: CommandContext): Promise<{ dir: string; fingerprint: string; scope: string; key: string; objection?: string } | undefined> {
  const ca = await readCa(ctx.caRoot().dir);
  if (!ca) return undefined;
  const objection = await trustObjection(ca, ctx.env);
  return { dir: ca.dir, fingerprint: ca.fingerprint, scope: describeScope(ca), key: ca.keyDescription, ...(objection ? { objection } : {}) };
}

/** Trust status for a CA we already hold (setup-ssl's report), without re-reading it. */
export async function statusFor(ca: LocalCa, env: NodeJS.ProcessEnv = process.env): Promise<StoreReport[]> {
  return applyTrust(ca, await discoverStores(env), 'status');
}

/**
 * The worst outcome decides: a failure, then a missing right, then a missing tool. No store at
 * all is not "done": install and status exit 5 (a check that found nothing to check).
 */
export function trustExitCode(action: TrustAction, stores: readonly StoreReport[], browsers: readonly BrowserReport[] = []): ExitCode {
  if (stores.length === 0 && action !== 'uninstall') return ExitCode.checkFailed;
  if (stores.some((s) => s.action === 'failed')) return ExitCode.commandFailed;
  if (stores.some((s) => s.blockedBy === 'missing-tool')) return ExitCode.missingTool;
  if (stores.some((s) => s.blockedBy === 'permission')) return ExitCode.permission;
  if (action === 'status' && (stores.some((s) => s.after === 'not-trusted') || browsers.some((b) => b.trusted === 'not-trusted'))) return ExitCode.checkFailed;
  return ExitCode.ok;
}
