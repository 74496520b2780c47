/**
 * setup-ssl's certificate work, as steps (src/steps.ts) whose checks only look and whose
 * apply returns what it made: the CA (created, reused or recreated wider) and one leaf
 * certificate for every configured host, or the user's own certificates checked (--no-cert).
 * `ensureCa` and `ensureLeaf` run one of them alone. Trust and rendering are the command's
 * (src/commands/setup-ssl.ts); questions are the CLI's (src/cli/setup-ssl.ts).
 */
import { createPrivateKey } from 'node:crypto';
import { access } from 'node:fs/promises';
import { sharedParentDomain } from '../domains.js';
import { ExitCode } from '../errors.js';
import { caFiles, hostCertPaths, type CaRootSource, type ProjectPaths } from '../paths.js';
import { readStateFile, writeStateFile } from '../state-dir.js';
import { runSteps, type Earlier, type Step, type StepCheck } from '../steps.js';
import { LOOPBACK_CONSTRAINTS, createCa, readCa, retireCa, type LocalCa, type PreparedCa } from './ca.js';
import { generateKey, type KeyType } from './keys.js';
import { caDatesProblem, issueLeaf, leafProblems, type LeafCheck } from './leaf.js';
import { isPermitted, type NameConstraints } from './x509.js';

/** What the certificate steps work from: all of it decided before the first step runs. */
export interface CertInput {
  paths: ProjectPaths;
  hosts: string[];
  /** The leaf's names (leafNames: the hosts, localhost and loopback). */
  names: string[];
  root: CaRootSource;
  /** What a CA must permit for these hosts (requiredConstraints). */
  required: NameConstraints;
  force: boolean;
  keyType: KeyType;
  /** The key type was asked for (--key-type): a certificate with another key is reissued. */
  keyTypeAsked: boolean;
  now: Date;
  env: NodeJS.ProcessEnv;
  /** The CA built while asking the user (its fingerprint shown): the one created, when it fits. */
  preparedCa?: PreparedCa;
  /** Keys started early, when a new CA is certain, so their generation overlaps the rest. */
  caKey?: Promise<string>;
  leafKey?: Promise<string>;
}

/** What the CA step made. */
export interface MadeCa {
  ca: LocalCa;
  /** The old CA's files, moved aside by a recreation. */
  retired: string[];
  /** The CA a recreation replaced: taken out of the stores when the new one goes in. */
  retiredCa?: LocalCa;
  /** The leaf's key, begun with the CA's: the leaf will need a new one too. */
  leafKey: Promise<string>;
}

/** What a CA must permit for these hosts: their shared parent, localhost and loopback. */
export async function requiredConstraints(hosts: readonly string[]): Promise<NameConstraints> {
  const parent = await sharedParentDomain(hosts);
  return { dns: [parent, ...LOOPBACK_CONSTRAINTS.dns], ip: [...LOOPBACK_CONSTRAINTS.ip] };
}

export interface CaPlan {
  existing?: LocalCa;
  /** A CA will be made: there is none, or --force replaces one that cannot serve. */
  recreate: boolean;
  /** What the CA that will sign may sign for. */
  constraints: NameConstraints | undefined;
}

/** The CA setup-ssl will sign with, decided as the CA step decides it, before anything is written. */
export async function planCa(dir: string, hosts: readonly string[], names: readonly string[], force: boolean, now: Date): Promise<CaPlan> {
  const required = await requiredConstraints(hosts);
  const existing = await readCa(dir);
  if (!existing) return { recreate: true, constraints: required };
  const outside = names.filter((name) => !isPermitted(name, existing.constraints));
  if (force && (outside.length > 0 || caDatesProblem(existing, now))) return { existing, recreate: true, constraints: widened(existing, required) };
  return { existing, recreate: false, constraints: existing.constraints };
}

/**
 * The names the CA in `dir` leaves out: the second-project case, which setup-ssl refuses
 * (exit 3) unless the CA is recreated wider. Undefined when there is no readable CA.
 */
export async function namesOutsideCa(dir: string, names: readonly string[]): Promise<{ ca: LocalCa; outside: string[] } | undefined> {
  const ca = await readCa(dir).catch(() => undefined);
  if (!ca) return undefined;
  const outside = names.filter((name) => !isPermitted(name, ca.constraints));
  return outside.length ? { ca, outside } : undefined;
}

/** No CA files at all: a new CA and a new leaf are certain (their keys can start now). */
export async function noCaFiles(dir: string): Promise<boolean> {
  const files = caFiles(dir);
  const present = await Promise.all([files.cert, files.key].map((f) => access(f).then(() => true, () => false)));
  return !present.some(Boolean);
}

/** A recreated CA keeps what the old one permitted, so other projects sharing the CA root keep working. */
function widened(previous: LocalCa, required: NameConstraints): NameConstraints {
  const old = previous.constraints ?? { dns: [], ip: [] };
  return { dns: [...new Set([...old.dns, ...required.dns])], ip: [...new Set([...old.ip, ...required.ip])] };
}

function sameConstraints(a: NameConstraints, b: NameConstraints): boolean {
  const key = (c: NameConstraints) => JSON.stringify([[...c.dns].sort(), [...c.ip].sort()]);
  return key(a) === key(b);
}

function describeConstraints(c: NameConstraints): string {
  return [...c.dns, ...c.ip].join(', ');
}

const RECREATE_FIX = 'Recreate the CA with "richie-dev setup-ssl --force" (the old one is kept beside it), then run "richie-dev trust install".';

/** Whether the CA in the CA root can sign for the names; `found` is the CA read, when there is one. */
export async function checkCa(input: CertInput): Promise<StepCheck> {
  const ca = await readCa(input.root.dir);
  if (!ca) return { state: 'todo', reason: `no CA in ${input.root.dir} yet` };
  // The CA's dates: an expired CA signs nothing browsers accept; one ending before a new
  // certificate would caps it (certs/leaf.ts cappedNotAfter). --force makes a new CA.
  const dates = caDatesProblem(ca, input.now);
  if (dates && input.force) return { state: 'todo', reason: `${dates.message}: recreating it (--force)`, found: ca };
  if (dates?.kind === 'expired') return { state: 'blocked', reason: `${dates.message}.`, fix: RECREATE_FIX };
  const warnings = dates ? [`${dates.message}. Fix: ${RECREATE_FIX}`] : [];
  const outside = input.names.filter((name) => !isPermitted(name, ca.constraints));
  if (outside.length === 0) {
    const scope = ca.constraints ? `limited to ${describeConstraints(ca.constraints)}` : 'no name constraints';
    return { state: 'done', reason: `reusing ${ca.dir} (${scope})`, found: ca, warnings };
  }
  const why = `the CA in ${ca.dir} is name-constrained to ${describeConstraints(ca.constraints!)}, so it cannot sign for ${outside.join(', ')}`;
  if (input.force) return { state: 'todo', reason: `${why}: recreating it (--force)`, found: ca, warnings };
  return { state: 'blocked', reason: `${why}; browsers would reject such a certificate ("permitted subtree violation").`, fix: RECREATE_FIX };
}

/** Create the CA, or recreate it wider (the old one moved aside once nothing can refuse). */
export async function makeCa(input: CertInput, previous: LocalCa | undefined): Promise<MadeCa> {
  // The leaf will need a new key too: make both keys at once, on two threads.
  const leafKey = input.leafKey ?? generateKey(input.keyType, 'leaf');
  const caKey = input.caKey ?? (input.preparedCa ? Promise.resolve(input.preparedCa.keyPem) : generateKey(input.keyType, 'ca'));
  const constraints = previous ? widened(previous, input.required) : input.required;
  // The CA built while asking the user (its fingerprint shown), when it is the one needed.
  const prepared = input.preparedCa && sameConstraints(input.preparedCa.constraints, constraints) ? input.preparedCa : undefined;
  // The old CA is moved aside only once createCa has what it needs (the record of created
  // CAs open), so a refusal there leaves it in place.
  let retired: string[] = [];
  let retiredCa: LocalCa | undefined;
  const beforeWrite = async () => {
    if (!previous) return;
    retired = await retireCa(previous, input.now);
    retiredCa = previous;
  };
  const ca = await createCa({ dir: input.root.dir, constraints, keyPem: caKey, now: input.now, env: input.env, beforeWrite, ...(prepared ? { prepared } : {}) });
  return { ca, retired, ...(retiredCa ? { retiredCa } : {}), leafKey };
}

export const caStep: Step<CertInput> = {
  id: 'ca',
  title: 'Local certificate authority',
  check: (input) => checkCa(input),
  async apply(input, found) {
    const made = await makeCa(input, found as LocalCa | undefined);
    return { note: made.retired.length ? `recreated in ${made.ca.dir}; the old CA was moved to ${made.retired[0]}` : `created in ${made.ca.dir}`, made };
  },
};

/** The CA the CA step left: the one it found (after making one, the one it checked then). */
export function caOf(earlier: Earlier): LocalCa | undefined {
  return earlier.get('ca')?.found as LocalCa | undefined;
}

/** What the CA step made, when it made one. */
export function madeCaOf(earlier: Earlier): MadeCa | undefined {
  return earlier.get('ca')?.made as MadeCa | undefined;
}

async function readPair(paths: ProjectPaths, host: string): Promise<{ cert: string; key: string; certPem?: string; keyPem?: string }> {
  const files = hostCertPaths(paths, host);
  // Not through a link: the files a check reads are the ones the step then replaces.
  const [certPem, keyPem] = [readStateFile(paths.stateDir, files.cert), readStateFile(paths.stateDir, files.key)];
  return { ...files, ...(certPem === undefined ? {} : { certPem }), ...(keyPem === undefined ? {} : { keyPem }) };
}

/** Whether every host's certificate and key are good for the names and chain to `ca`; `found` is the leaf's dates. */
export async function checkLeaf(input: CertInput, ca: LocalCa | undefined, options: { reissue: boolean }): Promise<StepCheck> {
  if (options.reissue) return { state: 'todo', reason: 'reissuing (--force)' };
  let leaf: LeafCheck | undefined;
  for (const host of input.hosts) {
    const pair = await readPair(input.paths, host);
    if (pair.certPem === undefined || pair.keyPem === undefined) {
      return { state: 'todo', reason: `${pair.certPem === undefined ? pair.cert : pair.key} does not exist` };
    }
    const { problems, info } = leafProblems({ certPem: pair.certPem, keyPem: pair.keyPem, names: input.names, ...(ca ? { ca } : {}), now: input.now, certFile: pair.cert, keyFile: pair.key });
    if (problems.length) return { state: 'todo', reason: problems.join('; ') };
    const type = createPrivateKey(pair.keyPem).asymmetricKeyType === 'rsa' ? 'rsa' : 'ecdsa';
    if (input.keyTypeAsked && type !== input.keyType) return { state: 'todo', reason: `${pair.key} is an ${type.toUpperCase()} key and --key-type ${input.keyType} was asked` };
    leaf = info;
  }
  const until = leaf!.notAfter.toISOString().slice(0, 10);
  return { state: 'done', reason: `valid for ${input.names.join(', ')} until ${until} (${leaf!.daysLeft} days)`, found: leaf };
}

/** Issue one certificate for every name, and write it with its key for each host; returns the files. */
export async function writeLeaf(input: CertInput, ca: LocalCa, keyPem: Promise<string>): Promise<{ host: string; cert: string; key: string }[]> {
  const key = await keyPem;
  const certPem = await issueLeaf({ ca, names: input.names, keyPem: key, now: input.now });
  return input.hosts.map((host) => {
    const files = hostCertPaths(input.paths, host);
    // Through src/state-dir.ts (0600, never through a link), not synced: a later run finds
    // them wrong by content and issues them again. Key before certificate: a certificate on
    // disk always has its key beside it.
    writeStateFile(input.paths.stateDir, files.key, key, { durable: false });
    // The chain nginx serves: leaf, then the CA.
    writeStateFile(input.paths.stateDir, files.cert, certPem + ca.certPem, { durable: false });
    return { host, ...files };
  });
}

export const certificateStep: Step<CertInput> = {
  id: 'certificate',
  title: 'Certificate',
  // --force reissues; the check that verifies the new files looks at them.
  check: (input, earlier, made) => checkLeaf(input, caOf(earlier), { reissue: input.force && made === undefined }),
  async apply(input, _found, earlier) {
    const key = madeCaOf(earlier)?.leafKey ?? input.leafKey ?? generateKey(input.keyType, 'leaf');
    const files = await writeLeaf(input, caOf(earlier)!, key);
    return { note: `issued for ${input.names.join(', ')}`, made: files };
  },
};

/** --no-cert: the user's certificate and key for each host, checked; `found` is the last leaf's dates. */
export async function checkUserCertificates(input: CertInput): Promise<StepCheck> {
  const problems: string[] = [];
  let leaf: LeafCheck | undefined;
  for (const host of input.hosts) {
    const pair = await readPair(input.paths, host);
    if (pair.certPem === undefined || pair.keyPem === undefined) {
      for (const [path, pem] of [
        [pair.cert, pair.certPem],
        [pair.key, pair.keyPem],
      ] as const) {
        if (pem === undefined) problems.push(`${path} is missing (expected the ${path.endsWith('.key') ? 'private key' : 'certificate, PEM'} for ${host})`);
      }
      continue;
    }
    const check = leafProblems({ certPem: pair.certPem, keyPem: pair.keyPem, names: [host], now: input.now, minDaysLeft: 0, certFile: pair.cert, keyFile: pair.key });
    problems.push(...check.problems);
    if (check.info) leaf = check.info;
  }
  if (problems.length === 0) return { state: 'done', reason: `${input.hosts.length * 2} files in ${input.paths.sslDir} checked`, found: leaf };
  return {
    state: 'blocked',
    reason: problems.join('; '),
    fix: `Put a certificate (PEM) and its key for each host at ${input.hosts.map((h) => hostCertPaths(input.paths, h).cert).join(' and ')} (keys beside them as .key), or run "richie-dev setup-ssl" without --no-cert to have them made.`,
    exitCode: ExitCode.input,
  };
}

export const userCertificatesStep: Step<CertInput> = {
  id: 'user-certificates',
  title: 'Your certificates (--no-cert)',
  check: (input) => checkUserCertificates(input),
  async apply() {
    // Never reached: the check is either done or blocked.
  },
};

/** The CA step alone: the CA there, or the one made, with what making it moved aside. */
export async function ensureCa(input: CertInput): Promise<{ ca: LocalCa; created: boolean; retired: string[]; warnings: string[] }> {
  const { results } = await runSteps([caStep], input, 'silent');
  const made = madeCaOf(results);
  return { ca: caOf(results)!, created: Boolean(made), retired: made?.retired ?? [], warnings: results.get('ca')!.warnings };
}

/** The certificate step alone, for `ca`: the leaf's dates, and whether it was issued now. */
export async function ensureLeaf(input: CertInput, ca: LocalCa): Promise<{ leaf: LeafCheck; issued: boolean }> {
  const given: Step<CertInput> = { id: 'ca', title: 'Local certificate authority', check: async () => ({ state: 'done', reason: 'given', found: ca }), apply: async () => undefined };
  const { results } = await runSteps([given, certificateStep], input, 'silent');
  const result = results.get('certificate')!;
  return { leaf: result.found as LeafCheck, issued: result.made !== undefined };
}
