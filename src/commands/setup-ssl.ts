/**
 * `richie-dev setup-ssl`: the local CA (created or reused) and one leaf certificate for every
 * configured host, as a list of steps that each check content before doing anything; then the
 * TLS configuration rendered for them (what Richie's bin/setup-ssl patches into nginx by hand).
 */
import { createPrivateKey } from 'node:crypto';
import { access } from 'node:fs/promises';
import { LOOPBACK_CONSTRAINTS, caPermissionWarnings, createCa, describeScope, prepareCa, readCa, retireCa, trustObjection, type LocalCa, type PreparedCa } from '../certs/ca.js';
import { DEFAULT_KEY_TYPE, generateKey, type KeyType } from '../certs/keys.js';
import { caDatesProblem, issueLeaf, leafNames, leafProblems, type LeafCheck } from '../certs/leaf.js';
import { isPermitted, type NameConstraints } from '../certs/x509.js';
import { configuredHosts, loadConfig } from '../config.js';
import { allowDomainFlags, assertNamesAccepted, domainsToAllow, sharedParentDomain, unacceptedNames } from '../domains.js';
import { ExitCode, UserError } from '../errors.js';
import { caFiles, caRoot, hostCertPaths, projectPaths, type CaRootSource, type ProjectPaths } from '../paths.js';
import type { Backend } from '../lms/site.js';
import type { RenderedFile } from '../render/files.js';
import { planRender, writeRender } from '../render/index.js';
import { mergeState, readState } from '../state.js';
import { checkStateDir, readStateFile, writeStateFile } from '../state-dir.js';
import { runSteps, type ProgressMode, type Step, type StepCheck, type StepOutcome } from '../steps.js';
import { applyTrust, assertTrustworthy, discoverStores, type StoreReport } from '../trust/index.js';
import { trustExitCode } from './trust.js';

export interface SetupSslOptions {
  projectDir: string;
  caRoot?: string | undefined;
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
  env?: NodeJS.ProcessEnv;
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

interface Context {
  paths: ProjectPaths;
  hosts: string[];
  names: string[];
  root: CaRootSource;
  required: NameConstraints;
  force: boolean;
  keyType: KeyType;
  /** The key type was asked for (--key-type): a certificate with another key is reissued. */
  keyTypeAsked: boolean;
  now: Date;
  env: NodeJS.ProcessEnv;
  allowUnconstrainedCa?: boolean;
  allowDomains: readonly string[];
  preparedCa?: PreparedCa;
  confirmedFingerprint?: string;
  ca?: LocalCa;
  caCreated: boolean;
  retired: string[];
  /** The CA a forced recreation replaced: taken out of the stores when the new one goes in. */
  retiredCa?: LocalCa;
  /** Keys started early, when a new CA is certain, so their generation overlaps the rest. */
  caKey?: Promise<string>;
  leafKey?: Promise<string>;
  leafIssued: boolean;
  leaf?: LeafCheck;
  trustReports: StoreReport[];
  warnings: string[];
}

/** What a CA must permit for these hosts: their shared parent, localhost and loopback. */
export async function requiredConstraints(hosts: readonly string[]): Promise<NameConstraints> {
  const parent = await sharedParentDomain(hosts);
  return { dns: [parent, ...LOOPBACK_CONSTRAINTS.dns], ip: [...LOOPBACK_CONSTRAINTS.ip] };
}

export async function run(options: SetupSslOptions): Promise<SetupSslResult> {
  const env = options.env ?? process.env;
  const { config } = await loadConfig(options.projectDir);
  const hosts = configuredHosts(config);
  const paths = projectPaths(options.projectDir);
  // A link planted in .richie-dev/ is refused before a CA is made or anything is written.
  checkStateDir(paths.stateDir);
  const root = caRoot({ flag: options.caRoot }, env);
  const keyType = options.keyType ?? DEFAULT_KEY_TYPE;
  // No CA files at all means a new CA and a new leaf: start both keys now, on the thread pool,
  // while the rest loads and checks. If validation then fails, they are simply dropped.
  const early = !options.noCert && !options.preparedCa && (await noCaFiles(root.dir)) ? { caKey: quiet(generateKey(keyType, 'ca')), leafKey: quiet(generateKey(keyType, 'leaf')) } : {};
  // Validated before any step: hosts with no shared parent change nothing.
  const required = await requiredConstraints(hosts);
  // So is what the render would refuse (equal ports, a course regex that matches nothing); its
  // content is made now, while the keys are generated, and written after the certificate.
  // The backend last rendered is kept, else run-ssl's default.
  const renderBackend: Backend | undefined = options.render === false ? undefined : ((await readState(options.projectDir)).lms ?? 'real');
  const renderPlan = renderBackend ? await planRender({ config, projectDir: options.projectDir, tls: true, backend: renderBackend }) : undefined;
  const ctx: Context = {
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
    allowDomains: options.allowDomains ?? [],
    ...(options.preparedCa ? { preparedCa: options.preparedCa } : {}),
    ...(options.confirmedFingerprint ? { confirmedFingerprint: options.confirmedFingerprint } : {}),
    caCreated: false,
    retired: [],
    leafIssued: false,
    trustReports: [],
    warnings: [],
  };

  const steps: Step<Context>[] = options.noCert ? [userCertificatesStep] : [caStep, certificateStep];
  if (!options.noCert && options.trust === 'install') {
    // A CA that is already there is judged before anything is made (a new one is ours).
    const existing = await readCa(root.dir);
    if (existing && !options.allowUnconstrainedCa) await assertTrustworthy(existing, env);
    // So is what the CA to be trusted may sign for, a new one too: a project's hosts decide it.
    const plan = await planCa(root.dir, hosts, Boolean(options.force), ctx.now);
    assertNamesAccepted(
      plan.constraints?.dns ?? [],
      ctx.allowDomains,
      plan.recreate ? `Not creating and trusting a CA for ${hosts.join(', ')}: it would be allowed to sign for` : `Not installing the CA in ${root.dir} into any trust store: it may sign for`,
      '"richie-dev setup-ssl --trust" with',
    );
    ctx.allowUnconstrainedCa = Boolean(options.allowUnconstrainedCa);
    steps.push(trustStep(env));
  }
  const outcomes = await runSteps(steps, ctx, options.progress ?? 'silent');

  if (ctx.ca && options.trust !== 'install') ctx.trustReports = await applyTrust(ctx.ca, await discoverStores(env), 'status');
  let rendered: SetupSslResult['rendered'] = null;
  if (renderPlan && renderBackend) {
    const result = await writeRender(renderPlan);
    await mergeState(options.projectDir, { mode: 'tls', lms: renderBackend });
    rendered = { backend: renderBackend, files: result.files };
    ctx.warnings.push(...result.warnings);
  }
  if (ctx.ca) {
    ctx.warnings.push(...(await caPermissionWarnings(ctx.ca)));
    if (options.trust !== 'install') {
      const objection = await trustObjection(ctx.ca, env);
      if (objection) ctx.warnings.push(`richie-dev does not install this CA into trust stores (${objection}) unless --allow-unconstrained-ca is given; SHA-256 ${ctx.ca.fingerprint}.`);
    }
    const outside = unacceptedNames(ctx.ca.constraints?.dns ?? [], ctx.allowDomains);
    if (outside.length && options.trust !== 'install') {
      ctx.warnings.push(`The CA in ${ctx.ca.dir} may sign for ${outside.join(', ')}, outside the domains reserved for local use; it is installed into trust stores only with ${allowDomainFlags(domainsToAllow(outside))}.`);
    }
    if (!ctx.ca.constraints) {
      ctx.warnings.push(
        `The CA in ${ctx.ca.dir} has no name constraints (mkcert makes them that way): if its key leaks, it can impersonate any site. A CA created by richie-dev is limited to ${required.dns.join(', ')} and loopback.`,
      );
    }
  }
  return {
    ca: ctx.ca
      ? {
          dir: ctx.ca.dir,
          from: ctx.root.from,
          fingerprint: ctx.ca.fingerprint,
          created: ctx.caCreated,
          constraints: ctx.ca.constraints ?? null,
          key: ctx.ca.keyDescription,
          retiredFiles: ctx.retired,
        }
      : null,
    certificate: {
      names: options.noCert ? hosts : ctx.names,
      notAfter: ctx.leaf?.notAfter.toISOString() ?? null,
      daysLeft: ctx.leaf?.daysLeft ?? null,
      issued: ctx.leafIssued,
      files: hosts.map((host) => ({ host, ...hostCertPaths(paths, host) })),
    },
    trust: ctx.trustReports,
    rendered,
    steps: outcomes,
    warnings: ctx.warnings,
    exitCode: options.trust === 'install' ? trustExitCode('install', ctx.trustReports) : ExitCode.ok,
  };
}

async function noCaFiles(dir: string): Promise<boolean> {
  const files = caFiles(dir);
  const present = await Promise.all([files.cert, files.key].map((f) => access(f).then(() => true, () => false)));
  return !present.some(Boolean);
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
export async function trustQuestion(
  options: Pick<SetupSslOptions, 'projectDir' | 'caRoot' | 'env' | 'force' | 'keyType' | 'allowDomains' | 'now'>,
): Promise<TrustQuestion> {
  const env = options.env ?? process.env;
  const { config } = await loadConfig(options.projectDir);
  const hosts = configuredHosts(config);
  const dir = caRoot({ flag: options.caRoot }, env).dir;
  const now = options.now ?? new Date();
  const plan = await planCa(dir, hosts, Boolean(options.force), now);
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

interface CaPlan {
  existing?: LocalCa;
  /** A CA will be made: there is none, or --force replaces one that cannot serve. */
  recreate: boolean;
  /** What the CA that will sign may sign for. */
  constraints: NameConstraints | undefined;
}

/** The CA setup-ssl will sign with, decided as caStep decides it, before anything is written. */
async function planCa(dir: string, hosts: readonly string[], force: boolean, now: Date): Promise<CaPlan> {
  const required = await requiredConstraints(hosts);
  const existing = await readCa(dir);
  if (!existing) return { recreate: true, constraints: required };
  const outside = leafNames(hosts).filter((name) => !isPermitted(name, existing.constraints));
  if (force && (outside.length > 0 || caDatesProblem(existing, now))) return { existing, recreate: true, constraints: widened(existing, required) };
  return { existing, recreate: false, constraints: existing.constraints };
}

/** A recreated CA keeps what the old one permitted, so other projects sharing the CA root keep working. */
function widened(previous: LocalCa, required: NameConstraints): NameConstraints {
  const old = previous.constraints ?? { dns: [], ip: [] };
  return { dns: [...new Set([...old.dns, ...required.dns])], ip: [...new Set([...old.ip, ...required.ip])] };
}

/**
 * The hosts of this project that the CA's name constraints leave out: the second-project case,
 * which setup-ssl refuses (exit 3) unless the CA is recreated wider.
 */
export async function namesOutsideCa(options: Pick<SetupSslOptions, 'projectDir' | 'caRoot' | 'env'>): Promise<{ ca: LocalCa; outside: string[] } | undefined> {
  const env = options.env ?? process.env;
  const { config } = await loadConfig(options.projectDir);
  const ca = await readCa(caRoot({ flag: options.caRoot }, env).dir).catch(() => undefined);
  if (!ca) return undefined;
  const outside = leafNames(configuredHosts(config)).filter((name) => !isPermitted(name, ca.constraints));
  return outside.length ? { ca, outside } : undefined;
}

function sameConstraints(a: NameConstraints, b: NameConstraints): boolean {
  const key = (c: NameConstraints) => JSON.stringify([[...c.dns].sort(), [...c.ip].sort()]);
  return key(a) === key(b);
}

function describeConstraints(c: NameConstraints): string {
  return [...c.dns, ...c.ip].join(', ');
}

const RECREATE_FIX = 'Recreate the CA with "richie-dev setup-ssl --force" (the old one is kept beside it), then run "richie-dev trust install".';

const caStep: Step<Context> = {
  id: 'ca',
  title: 'Local certificate authority',
  async check(ctx): Promise<StepCheck> {
    const ca = await readCa(ctx.root.dir);
    if (!ca) return { state: 'todo', reason: `no CA in ${ctx.root.dir} yet` };
    ctx.ca = ca;
    // The CA's dates: an expired CA signs nothing browsers accept; one ending before a new
    // certificate would caps it (certs/leaf.ts cappedNotAfter). --force makes a new CA.
    const dates = caDatesProblem(ca, ctx.now);
    if (dates && ctx.force) return { state: 'todo', reason: `${dates.message}: recreating it (--force)` };
    if (dates?.kind === 'expired') {
      return { state: 'blocked', reason: `${dates.message}.`, fix: RECREATE_FIX };
    }
    if (dates) {
      const warning = `${dates.message}. Fix: ${RECREATE_FIX}`;
      if (!ctx.warnings.includes(warning)) ctx.warnings.push(warning);
    }
    const outside = ctx.names.filter((name) => !isPermitted(name, ca.constraints));
    if (outside.length === 0) {
      const scope = ca.constraints ? `limited to ${describeConstraints(ca.constraints)}` : 'no name constraints';
      return { state: 'done', reason: `${ctx.caCreated ? 'created' : 'reusing'} ${ca.dir} (${scope})` };
    }
    const why = `the CA in ${ca.dir} is name-constrained to ${describeConstraints(ca.constraints!)}, so it cannot sign for ${outside.join(', ')}`;
    if (ctx.force) return { state: 'todo', reason: `${why}: recreating it (--force)` };
    return {
      state: 'blocked',
      reason: `${why}; browsers would reject such a certificate ("permitted subtree violation").`,
      fix: RECREATE_FIX,
    };
  },
  async apply(ctx) {
    // The leaf will need a new key too: make both keys at once, on two threads.
    ctx.leafKey ??= generateKey(ctx.keyType, 'leaf');
    const caKey = ctx.caKey ?? (ctx.preparedCa ? Promise.resolve(ctx.preparedCa.keyPem) : generateKey(ctx.keyType, 'ca'));
    const previous = ctx.ca;
    const constraints = previous ? widened(previous, ctx.required) : ctx.required;
    // The CA built while asking the user (its fingerprint shown), when it is the one needed.
    const prepared = ctx.preparedCa && sameConstraints(ctx.preparedCa.constraints, constraints) ? ctx.preparedCa : undefined;
    // The old CA is moved aside only once createCa has what it needs (the record of created
    // CAs open), so a refusal there leaves it in place.
    const beforeWrite = async () => {
      if (!previous) return;
      ctx.retired = await retireCa(previous, ctx.now);
      ctx.retiredCa = previous;
    };
    ctx.ca = await createCa({ dir: ctx.root.dir, constraints, keyPem: caKey, now: ctx.now, env: ctx.env, beforeWrite, ...(prepared ? { prepared } : {}) });
    ctx.caCreated = true;
    return ctx.retired.length ? `recreated in ${ctx.ca.dir}; the old CA was moved to ${ctx.retired[0]}` : `created in ${ctx.ca.dir}`;
  },
};

async function readPair(paths: ProjectPaths, host: string): Promise<{ cert: string; key: string; certPem?: string; keyPem?: string }> {
  const files = hostCertPaths(paths, host);
  // Not through a link: the files a check reads are the ones the step then replaces.
  const [certPem, keyPem] = [readStateFile(paths.stateDir, files.cert), readStateFile(paths.stateDir, files.key)];
  return { ...files, ...(certPem === undefined ? {} : { certPem }), ...(keyPem === undefined ? {} : { keyPem }) };
}

const certificateStep: Step<Context> = {
  id: 'certificate',
  title: 'Certificate',
  async check(ctx): Promise<StepCheck> {
    if (ctx.force && !ctx.leafIssued) return { state: 'todo', reason: 'reissuing (--force)' };
    for (const host of ctx.hosts) {
      const pair = await readPair(ctx.paths, host);
      if (pair.certPem === undefined || pair.keyPem === undefined) {
        return { state: 'todo', reason: `${pair.certPem === undefined ? pair.cert : pair.key} does not exist` };
      }
      const { problems, info } = leafProblems({
        certPem: pair.certPem,
        keyPem: pair.keyPem,
        names: ctx.names,
        ...(ctx.ca ? { ca: ctx.ca } : {}),
        now: ctx.now,
        certFile: pair.cert,
        keyFile: pair.key,
      });
      if (problems.length) return { state: 'todo', reason: problems.join('; ') };
      const type = createPrivateKey(pair.keyPem).asymmetricKeyType === 'rsa' ? 'rsa' : 'ecdsa';
      if (ctx.keyTypeAsked && type !== ctx.keyType) return { state: 'todo', reason: `${pair.key} is an ${type.toUpperCase()} key and --key-type ${ctx.keyType} was asked` };
      ctx.leaf = info;
    }
    const until = ctx.leaf!.notAfter.toISOString().slice(0, 10);
    return { state: 'done', reason: `valid for ${ctx.names.join(', ')} until ${until} (${ctx.leaf!.daysLeft} days)` };
  },
  async apply(ctx) {
    const ca = ctx.ca!;
    const keyPem = await (ctx.leafKey ?? generateKey(ctx.keyType, 'leaf'));
    const certPem = await issueLeaf({ ca, names: ctx.names, keyPem, now: ctx.now });
    for (const host of ctx.hosts) {
      const files = hostCertPaths(ctx.paths, host);
      // Through src/state-dir.ts (0600, never through a link), not synced: a later run finds
      // them wrong by content and issues them again. Key before certificate: a certificate on
      // disk always has its key beside it.
      writeStateFile(ctx.paths.stateDir, files.key, keyPem, { durable: false });
      // The chain nginx serves: leaf, then the CA.
      writeStateFile(ctx.paths.stateDir, files.cert, certPem + ca.certPem, { durable: false });
    }
    ctx.leafIssued = true;
    return `issued for ${ctx.names.join(', ')}`;
  },
};

const userCertificatesStep: Step<Context> = {
  id: 'user-certificates',
  title: 'Your certificates (--no-cert)',
  async check(ctx): Promise<StepCheck> {
    const problems: string[] = [];
    for (const host of ctx.hosts) {
      const pair = await readPair(ctx.paths, host);
      if (pair.certPem === undefined || pair.keyPem === undefined) {
        for (const [path, pem] of [
          [pair.cert, pair.certPem],
          [pair.key, pair.keyPem],
        ] as const) {
          if (pem === undefined) problems.push(`${path} is missing (expected the ${path.endsWith('.key') ? 'private key' : 'certificate, PEM'} for ${host})`);
        }
        continue;
      }
      const check = leafProblems({ certPem: pair.certPem, keyPem: pair.keyPem, names: [host], now: ctx.now, minDaysLeft: 0, certFile: pair.cert, keyFile: pair.key });
      problems.push(...check.problems);
      if (check.info) ctx.leaf = check.info;
    }
    if (problems.length === 0) return { state: 'done', reason: `${ctx.hosts.length * 2} files in ${ctx.paths.sslDir} checked` };
    return {
      state: 'blocked',
      reason: problems.join('; '),
      fix: `Put a certificate (PEM) and its key for each host at ${ctx.hosts.map((h) => hostCertPaths(ctx.paths, h).cert).join(' and ')} (keys beside them as .key), or run "richie-dev setup-ssl" without --no-cert to have them made.`,
      exitCode: ExitCode.input,
    };
  },
  async apply() {
    // Never reached: the check is either done or blocked.
  },
};

function trustStep(env: NodeJS.ProcessEnv): Step<Context> {
  return {
    id: 'trust',
    title: 'Trust the CA',
    skipVerify: true,
    async check(ctx): Promise<StepCheck> {
      const reports = await applyTrust(ctx.ca!, await discoverStores(env), 'status');
      const missing = reports.filter((r) => r.after !== 'trusted' && r.after !== 'unknown');
      if (missing.length === 0) {
        ctx.trustReports = reports;
        return { state: 'done', reason: `trusted in ${reports.length} store${reports.length === 1 ? '' : 's'}` };
      }
      return { state: 'todo', reason: `not trusted in ${missing.map((r) => r.label).join(', ')}` };
    },
    async apply(ctx) {
      if (ctx.confirmedFingerprint && ctx.ca!.fingerprint !== ctx.confirmedFingerprint) {
        throw new UserError(`The CA in ${ctx.ca!.dir} is not the one you agreed to trust (you were shown SHA-256 ${ctx.confirmedFingerprint}, it is ${ctx.ca!.fingerprint}); nothing was installed.`, {
          fix: 'Run "richie-dev trust install" to see the CA now there before trusting it.',
        });
      }
      const stores = await discoverStores(env);
      ctx.trustReports = await applyTrust(ctx.ca!, stores, 'install', { env, allowUnconstrainedCa: Boolean(ctx.allowUnconstrainedCa), allowDomains: ctx.allowDomains });
      // The CA this run replaced (--force, or the terminal's offer to widen it) leaves the
      // stores with it: its key still exists, beside the new one.
      if (ctx.retiredCa) {
        const removed = (await applyTrust(ctx.retiredCa, stores, 'uninstall')).filter((r) => r.action === 'uninstalled');
        if (removed.length) ctx.warnings.push(`The replaced CA (SHA-256 ${ctx.retiredCa.fingerprint}) was removed from ${removed.map((r) => r.label).join(', ')}.`);
      }
      const installed = ctx.trustReports.filter((r) => r.action === 'installed').length;
      const blocked = ctx.trustReports.filter((r) => r.action === 'blocked' || r.action === 'failed').length;
      return `installed in ${installed} store${installed === 1 ? '' : 's'}${blocked ? `, ${blocked} need attention` : ''}`;
    },
  };
}
