/**
 * `richie-dev setup-ssl`: the local CA (created or reused) and one leaf certificate for every
 * configured host, as steps that each check content before doing anything (src/certs/setup.ts);
 * then trust, when asked, and the TLS configuration rendered for them (what Richie's
 * bin/setup-ssl patches into nginx by hand). The questions are the CLI's (src/cli/setup-ssl.ts):
 * it asks first, then calls this with the answers.
 */
import { assertTrustworthy, discoverStores, applyTrust, type StoreReport } from '../trust/index.js';
import { caPermissionWarnings, describeScope, prepareCa, readCa, trustObjection, type LocalCa, type PreparedCa } from '../certs/ca.js';
import { DEFAULT_KEY_TYPE, generateKey, type KeyType } from '../certs/keys.js';
import { leafNames, type LeafCheck } from '../certs/leaf.js';
import { caOf, caStep, certificateStep, madeCaOf, namesOutsideCa as outsideCa, noCaFiles, planCa, requiredConstraints, userCertificatesStep, type CertInput } from '../certs/setup.js';
import type { NameConstraints } from '../certs/x509.js';
import { configuredHosts } from '../config.js';
import type { CommandContext } from '../context.js';
import { allowDomainFlags, assertNamesAccepted, domainsToAllow, unacceptedNames } from '../domains.js';
import { ExitCode, UserError } from '../errors.js';
import { hostCertPaths, type CaRootSource } from '../paths.js';
import type { Backend } from '../lms/site.js';
import type { RenderedFile } from '../render/files.js';
import { planRender, writeRender } from '../render/index.js';
import { mergeState, readState } from '../state.js';
import { checkStateDir } from '../state-dir.js';
import { runSteps, type ProgressMode, type Step, type StepOutcome } from '../steps.js';
import { trustExitCode } from './trust.js';

export interface SetupSslOptions {
  /** Reissue the certificate; recreate the CA when its name constraints do not cover the hosts. */
  force?: boolean;
  /** Use certificates the user put in place, and check them. */
  noCert?: boolean;
  /** Install the CA into the trust stores, or only report where it is not trusted yet. */
  trust?: 'install' | 'report';
  /** Key type for a new CA and certificate (default ECDSA P-256); when given, a certificate of another type is reissued. */
  keyType?: KeyType | undefined;
  /** Allow installing a CA richie-dev did not create, or one without name constraints, into trust stores. */
  allowUnconstrainedCa?: boolean;
  /** Domains outside local use the user accepts the CA signing for (--allow-domain, or a "y" to the question that showed them). */
  allowDomains?: readonly string[];
  /** The CA to create, built by trustQuestion so its fingerprint could be shown first. */
  preparedCa?: PreparedCa;
  /** The fingerprint the user saw when agreeing to trust: any other CA is not installed. */
  confirmedFingerprint?: string;
  progress?: ProgressMode;
  now?: Date;
  /** Render the TLS configuration afterwards (run-ssl renders it itself, with its backend). */
  render?: boolean;
}

export interface SetupSslResult {
  ca: {
    dir: string;
    from: CaRootSource['from'];
    fingerprint: string;
    created: boolean;
    /** Null for an unconstrained CA (one mkcert made). */
    constraints: NameConstraints | null;
    /** "ECDSA P-256", "RSA-3072", ... */
    key: string;
    retiredFiles: string[];
  } | null;
  certificate: {
    names: string[];
    notAfter: string | null;
    daysLeft: number | null;
    issued: boolean;
    files: { host: string; cert: string; key: string }[];
  };
  trust: StoreReport[];
  /** The TLS configuration rendered for the certificate, with the backend last rendered. */
  rendered: { backend: Backend; files: RenderedFile[] } | null;
  steps: StepOutcome[];
  warnings: string[];
  exitCode: ExitCode;
}

export async function run(ctx: CommandContext, options: SetupSslOptions = {}): Promise<SetupSslResult> {
  const { env, paths } = ctx;
  const config = await ctx.config();
  const hosts = configuredHosts(config);
  // A link planted in .richie-dev/ is refused before a CA is made or anything is written.
  checkStateDir(paths.stateDir);
  const root = ctx.caRoot();
  const keyType = options.keyType ?? DEFAULT_KEY_TYPE;
  // No CA files at all means a new CA and a new leaf: start both keys now, on the thread pool,
  // while the rest loads and checks. If validation then fails, they are simply dropped.
  const early = !options.noCert && !options.preparedCa && (await noCaFiles(root.dir)) ? { caKey: quiet(generateKey(keyType, 'ca')), leafKey: quiet(generateKey(keyType, 'leaf')) } : {};
  // Validated before any step: hosts with no shared parent change nothing.
  const required = await requiredConstraints(hosts);
  // So is what the render would refuse (equal ports, a course regex that matches nothing); its
  // content is made now, while the keys are generated, and written after the certificate.
  // The backend last rendered is kept, else run-ssl's default.
  const renderBackend: Backend | undefined = options.render === false ? undefined : ((await readState(paths)).lms ?? 'real');
  const renderPlan = renderBackend ? await planRender({ config, paths, tls: true, backend: renderBackend }) : undefined;
  const input: CertInput = {
    ...early,
    paths,
    hosts,
    names: leafNames(hosts),
    root,
    required,
    force: Boolean(options.force),
    keyType,
    keyTypeAsked: options.keyType !== undefined,
    now: options.now ?? new Date(),
    env,
    ...(options.preparedCa ? { preparedCa: options.preparedCa } : {}),
  };
  const allowDomains = options.allowDomains ?? [];

  const steps: Step<CertInput>[] = options.noCert ? [userCertificatesStep] : [caStep, certificateStep];
  if (!options.noCert && options.trust === 'install') {
    // A CA that is already there is judged before anything is made (a new one is ours).
    const existing = await readCa(root.dir);
    if (existing && !options.allowUnconstrainedCa) await assertTrustworthy(existing, env);
    // So is what the CA to be trusted may sign for, a new one too: a project's hosts decide it.
    const plan = await planCa(root.dir, hosts, input.names, input.force, input.now);
    assertNamesAccepted(
      plan.constraints?.dns ?? [],
      allowDomains,
      plan.recreate ? `Not creating and trusting a CA for ${hosts.join(', ')}: it would be allowed to sign for` : `Not installing the CA in ${root.dir} into any trust store: it may sign for`,
      '"richie-dev setup-ssl --trust" with',
    );
    steps.push(trustStep({ env, allowUnconstrainedCa: Boolean(options.allowUnconstrainedCa), allowDomains, ...(options.confirmedFingerprint ? { confirmedFingerprint: options.confirmedFingerprint } : {}) }));
  }
  const { outcomes, results } = await runSteps(steps, input, options.progress ?? 'silent');

  const ca = caOf(results);
  const madeCa = madeCaOf(results);
  const leafResult = results.get(options.noCert ? 'user-certificates' : 'certificate');
  const leaf = leafResult?.found as LeafCheck | undefined;
  const warnings = [...new Set([...results.values()].flatMap((r) => r.warnings))];
  const trusted = results.get('trust');
  const installed = trusted?.made as InstalledTrust | undefined;
  let trustReports: StoreReport[] = installed?.reports ?? (trusted?.found as StoreReport[] | undefined) ?? [];
  warnings.push(...(installed?.warnings ?? []));
  if (ca && options.trust !== 'install') trustReports = await applyTrust(ca, await discoverStores(env), 'status');
  let rendered: SetupSslResult['rendered'] = null;
  if (renderPlan && renderBackend) {
    const result = await writeRender(renderPlan);
    await mergeState(paths, { mode: 'tls', lms: renderBackend });
    rendered = { backend: renderBackend, files: result.files };
    warnings.push(...result.warnings);
  }
  if (ca) {
    warnings.push(...(await caPermissionWarnings(ca)));
    if (options.trust !== 'install') {
      const objection = await trustObjection(ca, env);
      if (objection) warnings.push(`richie-dev does not install this CA into trust stores (${objection}) unless --allow-unconstrained-ca is given; SHA-256 ${ca.fingerprint}.`);
    }
    const outside = unacceptedNames(ca.constraints?.dns ?? [], allowDomains);
    if (outside.length && options.trust !== 'install') {
      warnings.push(`The CA in ${ca.dir} may sign for ${outside.join(', ')}, outside the domains reserved for local use; it is installed into trust stores only with ${allowDomainFlags(domainsToAllow(outside))}.`);
    }
    if (!ca.constraints) {
      warnings.push(
        `The CA in ${ca.dir} has no name constraints (mkcert makes them that way): if its key leaks, it can impersonate any site. A CA created by richie-dev is limited to ${required.dns.join(', ')} and loopback.`,
      );
    }
  }
  return {
    ca: ca
      ? {
          dir: ca.dir,
          from: root.from,
          fingerprint: ca.fingerprint,
          created: Boolean(madeCa),
          constraints: ca.constraints ?? null,
          key: ca.keyDescription,
          retiredFiles: madeCa?.retired ?? [],
        }
      : null,
    certificate: {
      names: options.noCert ? hosts : input.names,
      notAfter: leaf?.notAfter.toISOString() ?? null,
      daysLeft: leaf?.daysLeft ?? null,
      issued: leafResult?.made !== undefined && !options.noCert,
      files: hosts.map((host) => ({ host, ...hostCertPaths(paths, host) })),
    },
    trust: trustReports,
    rendered,
    steps: outcomes,
    warnings,
    exitCode: options.trust === 'install' ? trustExitCode('install', trustReports) : ExitCode.ok,
  };
}

/** A promise that may never be awaited must not become an unhandled rejection. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

export interface TrustQuestion {
  /** Whether installing would change anything: a new CA, or a store that does not trust it. */
  pending: boolean;
  /** The CA that would be installed: the existing one, or the one this run will create. */
  ca: { dir: string; fingerprint: string; scope: string; key: string; created: boolean };
  /** Why it may not be installed without --allow-unconstrained-ca. */
  objection?: string;
  /** Domains outside local use the CA may sign for that --allow-domain did not name: the question then defaults to no. */
  outsideDomains: string[];
  /** The CA the run will create, built now so that its fingerprint can be shown (pass it to run as preparedCa). */
  prepared?: PreparedCa;
}

/**
 * What the CLI needs to ask whether to install trust (STYLE.md 10): whether it would change
 * anything, and the fingerprint, constraints and any objection of the CA that would be
 * trusted, a new one included (built here, before anything is written).
 */
export async function trustQuestion(ctx: CommandContext, options: Pick<SetupSslOptions, 'force' | 'keyType' | 'allowDomains' | 'now'> = {}): Promise<TrustQuestion> {
  const { env } = ctx;
  const hosts = configuredHosts(await ctx.config());
  const dir = ctx.caRoot().dir;
  const now = options.now ?? new Date();
  const plan = await planCa(dir, hosts, leafNames(hosts), Boolean(options.force), now);
  const outsideDomains = unacceptedNames(plan.constraints?.dns ?? [], options.allowDomains ?? []);
  if (plan.recreate || !plan.existing) {
    const prepared = await prepareCa({ constraints: plan.constraints!, keyType: options.keyType ?? DEFAULT_KEY_TYPE, now });
    const key = (options.keyType ?? DEFAULT_KEY_TYPE) === 'rsa' ? 'RSA-3072' : 'ECDSA P-256';
    return { pending: true, ca: { dir, fingerprint: prepared.fingerprint, scope: describeScope(prepared), key, created: true }, outsideDomains, prepared };
  }
  const ca = plan.existing;
  const reports = await applyTrust(ca, await discoverStores(env), 'status');
  const objection = await trustObjection(ca, env);
  return {
    pending: reports.some((r) => r.after === 'not-trusted'),
    ca: { dir: ca.dir, fingerprint: ca.fingerprint, scope: describeScope(ca), key: ca.keyDescription, created: false },
    outsideDomains,
    ...(objection ? { objection } : {}),
  };
}

/**
 * The hosts of this project that the CA's name constraints leave out: the second-project case,
 * which setup-ssl refuses (exit 3) unless the CA is recreated wider.
 */
export async function namesOutsideCa(ctx: CommandContext): Promise<{ ca: LocalCa; outside: string[] } | undefined> {
  const hosts = configuredHosts(await ctx.config());
  return outsideCa(ctx.caRoot().dir, leafNames(hosts));
}

/** What installing trust did: a report per store, and the replaced CA taken out of them. */
interface InstalledTrust {
  reports: StoreReport[];
  warnings: string[];
}

/** Trust for the CA the CA step left; `found` is the stores' reports when it is trusted everywhere already. */
function trustStep(options: { env: NodeJS.ProcessEnv; allowUnconstrainedCa: boolean; allowDomains: readonly string[]; confirmedFingerprint?: string }): Step<CertInput> {
  const { env } = options;
  return {
    id: 'trust',
    title: 'Trust the CA',
    skipVerify: true,
    async check(_input, earlier) {
      const reports = await applyTrust(caOf(earlier)!, await discoverStores(env), 'status');
      const missing = reports.filter((r) => r.after !== 'trusted' && r.after !== 'unknown');
      if (missing.length === 0) return { state: 'done', reason: `trusted in ${reports.length} store${reports.length === 1 ? '' : 's'}`, found: reports };
      return { state: 'todo', reason: `not trusted in ${missing.map((r) => r.label).join(', ')}` };
    },
    async apply(_input, _found, earlier) {
      const ca = caOf(earlier)!;
      if (options.confirmedFingerprint && ca.fingerprint !== options.confirmedFingerprint) {
        throw new UserError(`The CA in ${ca.dir} is not the one you agreed to trust (you were shown SHA-256 ${options.confirmedFingerprint}, it is ${ca.fingerprint}); nothing was installed.`, {
          fix: 'Run "richie-dev trust install" to see the CA now there before trusting it.',
        });
      }
      const stores = await discoverStores(env);
      const reports = await applyTrust(ca, stores, 'install', { env, allowUnconstrainedCa: options.allowUnconstrainedCa, allowDomains: options.allowDomains });
      const warnings: string[] = [];
      // The CA this run replaced (--force, or the terminal's offer to widen it) leaves the
      // stores with it: its key still exists, beside the new one.
      const retiredCa = madeCaOf(earlier)?.retiredCa;
      if (retiredCa) {
        const removed = (await applyTrust(retiredCa, stores, 'uninstall')).filter((r) => r.action === 'uninstalled');
        if (removed.length) warnings.push(`The replaced CA (SHA-256 ${retiredCa.fingerprint}) was removed from ${removed.map((r) => r.label).join(', ')}.`);
      }
      const installed = reports.filter((r) => r.action === 'installed').length;
      const blocked = reports.filter((r) => r.action === 'blocked' || r.action === 'failed').length;
      const made: InstalledTrust = { reports, warnings };
      return { note: `installed in ${installed} store${installed === 1 ? '' : 's'}${blocked ? `, ${blocked} need attention` : ''}`, made };
    },
  };
}
