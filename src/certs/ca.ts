/**
 * The local certificate authority: found at the CA root (mkcert's file names and formats, so
 * either tool can use the other's CA), or created there, name-constrained to the project's
 * parent domain, localhost and loopback.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname, userInfo } from 'node:os';
import { ExitCode, UserError } from '../errors.js';
import { readIfExists } from '../fsutil.js';
import { writeFileSafely } from './files.js';
import { caFiles, createdCasFile } from '../paths.js';
import { DEFAULT_KEY_TYPE, generateKey, type KeyType } from './keys.js';
import {
  basicConstraints,
  buildCertificate,
  keyIdentifier,
  keyUsage,
  nameConstraintsExtension,
  randomSerialHex,
  readNameConstraints,
  subjectKeyIdentifierExtension,
  type NameConstraints,
} from './x509.js';

export const CA_ORGANIZATION = 'richie-dev development CA';
/** Loopback is always permitted: the leaf also names localhost, 127.0.0.1 and ::1. */
export const LOOPBACK_CONSTRAINTS = { dns: ['localhost'], ip: ['127.0.0.0/8', '::1/128'] } as const;

export interface LocalCa {
  dir: string;
  certFile: string;
  keyFile: string;
  /**
   * The one certificate rootCA.pem holds, re-encoded from the DER that was parsed and checked:
   * what every trust store is handed (src/trust/handoff.ts), never rootCA.pem itself.
   */
  certPem: string;
  /** Its DER bytes (x509.raw): the SHA-256 fingerprint is their hash. */
  certDer: Buffer;
  keyPem: string;
  x509: X509Certificate;
  /** The CA's validity, read from the certificate. */
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 fingerprint, colon-separated hex (as `openssl x509 -fingerprint -sha256`). */
  fingerprint: string;
  /** Undefined for an unconstrained CA, such as one mkcert made. */
  constraints: NameConstraints | undefined;
  /** The key's algorithm: "ec" or "rsa" (another type is read, and reported as it is). */
  keyAlgorithm: string;
  /** "ECDSA P-256", "RSA-3072": for messages. */
  keyDescription: string;
}

/** Who the CA belongs to, as mkcert writes it: user@host. */
export function owner(): string {
  return `${userInfo().username}@${hostname()}`;
}

/**
 * Read the CA at `dir`. Undefined when neither file exists; a UserError when only one does,
 * when a file cannot be read or parsed, or when the key does not match the certificate —
 * never something that would lead to overwriting a key.
 */
export async function readCa(dir: string): Promise<LocalCa | undefined> {
  await checkCaRootDir(dir);
  const files = caFiles(dir);
  const [certPem, keyPem] = await Promise.all([readCaFile(files.cert, dir), readCaFile(files.key, dir)]);
  if (certPem === undefined && keyPem === undefined) return undefined;
  if (certPem === undefined) {
    throw new UserError(`The CA root ${dir} has ${files.key} but no rootCA.pem; refusing to create a new CA over an existing key.`, {
      fix: `Restore ${files.cert}, or move ${files.key} away to start a new CA.`,
    });
  }
  if (keyPem === undefined) {
    throw new UserError(
      `The CA root ${dir} has rootCA.pem but not its key rootCA-key.pem, so it cannot sign certificates.`,
      { fix: `Restore ${files.key}, or point --ca-root (or $CAROOT) at a CA root that has both files.` },
    );
  }
  return parseCa(dir, certPem, keyPem);
}

async function readCaFile(path: string, dir: string): Promise<string | undefined> {
  try {
    return await readIfExists(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read ${path} (${code ?? (error as Error).message}).`, {
      fix: code === 'EACCES' ? `Run as the user who owns ${dir}, or point --ca-root (or $CAROOT) at a CA root you can read.` : `Check ${path}.`,
      cause: error,
    });
  }
}

/** PEM blocks of any type ("-----BEGIN CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----", ...). */
const PEM_BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/gm;

export async function parseCa(dir: string, certPem: string, keyPem: string): Promise<LocalCa> {
  const files = caFiles(dir);
  // Exactly one certificate: X509Certificate reads the first block only, while a trust store
  // handed the whole file would take every certificate in it (a second CA behind ours).
  const blocks = [...certPem.matchAll(PEM_BEGIN)].map((m) => m[1]!);
  const certificates = blocks.filter((type) => type === 'CERTIFICATE' || type === 'TRUSTED CERTIFICATE' || type === 'X509 CERTIFICATE').length;
  if (certificates > 1 || blocks.length > 1) {
    const others = blocks.length - certificates;
    throw new UserError(
      `${files.cert} holds ${certificates} certificate${certificates === 1 ? '' : 's'}${others ? ` and ${others} other PEM block${others === 1 ? '' : 's'}` : ''}; a CA's rootCA.pem must hold exactly one certificate, its own (every certificate in it would be trusted).`,
      { fix: `Keep only the CA's own certificate in ${files.cert} (the one matching ${files.key}), or move ${dir} away and run "richie-dev setup-ssl" to create a new CA.` },
    );
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch {
    throw new UserError(`${files.cert} is not a PEM certificate (it may be truncated or corrupt).`, {
      fix: `Restore it from a backup, or move ${dir} away and run "richie-dev setup-ssl" to create a new CA.`,
    });
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new UserError(`${files.key} is not a PEM private key (it may be truncated or corrupt).`, {
      fix: `Restore it from a backup, or move ${dir} away and run "richie-dev setup-ssl" to create a new CA.`,
    });
  }
  if (!x509.checkPrivateKey(key)) {
    throw new UserError(`${files.key} does not match ${files.cert}: they belong to different CAs.`, {
      fix: `Put the matching pair back in ${dir}, or move ${dir} away to start a new CA.`,
    });
  }
  if (!x509.ca) {
    throw new UserError(`${files.cert} is not a CA certificate (basicConstraints CA:FALSE).`, {
      fix: `Point --ca-root (or $CAROOT) at a directory holding a CA, such as the output of "mkcert -CAROOT".`,
    });
  }
  const details = key.asymmetricKeyDetails;
  const keyAlgorithm = key.asymmetricKeyType ?? 'unknown';
  const keyDescription =
    keyAlgorithm === 'ec' ? `ECDSA ${CURVE_NAMES[details?.namedCurve ?? ''] ?? details?.namedCurve}` : keyAlgorithm === 'rsa' ? `RSA-${details?.modulusLength}` : keyAlgorithm;
  return {
    dir,
    certFile: files.cert,
    keyFile: files.key,
    certPem: x509.toString(),
    certDer: Buffer.from(x509.raw),
    keyPem,
    x509,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    fingerprint: x509.fingerprint256,
    constraints: readNameConstraints(x509),
    keyAlgorithm,
    keyDescription,
  };
}

const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * A CA root others can write is refused: whoever can replace rootCA.pem and rootCA-key.pem
 * there chooses what this user trusts and signs with. So are those two files when others can
 * write them: they can be edited in place, in a directory only its owner can write. Nothing is
 * changed, not even the mode: richie-dev sets modes only on what it creates.
 */
export async function checkCaRootDir(dir: string): Promise<void> {
  let info;
  try {
    info = await lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const mode = info.mode & 0o7777;
  if (info.isDirectory() && (mode & 0o022) === 0) return checkCaFiles(dir);
  const what = info.isSymbolicLink() ? 'is a symbolic link' : !info.isDirectory() ? 'is not a directory' : `is writable by ${writableBy(mode)} (mode ${mode.toString(8).padStart(4, '0')})`;
  throw new UserError(`The CA root ${dir} ${what}: anyone who can write there could replace the CA you trust.`, {
    fix: info.isSymbolicLink()
      ? `Point --ca-root (or $CAROOT) at the real directory.`
      : `Point --ca-root (or $CAROOT) at a directory only you can write, e.g. ~/.local/share/richie-dev${info.isDirectory() ? `, or if ${dir} is yours alone: chmod go-w ${dir}` : ''}.`,
  });
}

/** writableBy(0o664) = "its group": who besides the owner may write a file of this mode. */
function writableBy(mode: number): string {
  return mode & 0o002 ? 'every user' : 'its group';
}

async function checkCaFiles(dir: string): Promise<void> {
  const files = caFiles(dir);
  // stat, not lstat: the mode that matters is that of the file read, which a link leads to.
  // A file that cannot be stat'ed is left to readCa, which names the error.
  const modes = await Promise.all([files.cert, files.key].map(async (file) => ({ file, mode: ((await stat(file).catch(() => undefined))?.mode ?? 0) & 0o7777 })));
  const writable = modes.filter(({ mode }) => (mode & 0o022) !== 0);
  if (writable.length === 0) return;
  const list = writable.map(({ file, mode }) => `${file} is writable by ${writableBy(mode)} (mode ${mode.toString(8).padStart(4, '0')})`).join('; ');
  throw new UserError(`${list}: anyone who can write ${writable.length === 1 ? 'it' : 'them'} could replace the CA you trust.`, {
    fix: `chmod go-w ${writable.map(({ file }) => file).join(' ')}`,
  });
}

/** Whether richie-dev created this CA (its fingerprint is in the user's record of created CAs). */
export async function createdByRichieDev(ca: LocalCa, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const text = await readFile(createdCasFile(env), 'utf8').catch(() => '');
  return text.split('\n').some((line) => line.trim() === ca.fingerprint);
}

/**
 * O_NOFOLLOW: under `sudo richie-dev setup-ssl` the record is written as root, in a directory
 * its user owns, where a symbolic link planted at its name would have root append through it
 * (appendFile follows links). open(2) then fails with ELOOP instead:
 * https://man7.org/linux/man-pages/man2/open.2.html. O_NONBLOCK: a FIFO there fails (ENXIO)
 * instead of hanging; it changes nothing for a regular file.
 */
const RECORD_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Open the record of created CAs for appending, before the CA is made: a record that cannot
 * be written stops setup-ssl with nothing changed, rather than leave a CA that later runs would
 * not recognise as richie-dev's.
 */
async function openCreatedRecord(env: NodeJS.ProcessEnv): Promise<FileHandle> {
  const file = createdCasFile(env);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let handle: FileHandle;
  try {
    handle = await open(file, RECORD_FLAGS, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const link = code === 'ELOOP' || code === 'EMLINK'; // EMLINK: FreeBSD's O_NOFOLLOW error
    throw new UserError(`Cannot record the new CA in ${file} (${link ? 'it is a symbolic link' : (code ?? (error as Error).message)}); no CA was created.`, {
      fix: link ? `Remove the link (rm ${file}); richie-dev writes that file itself.` : `Check ${file}, or run as the user who owns ${dirname(file)}.`,
      exitCode: code === 'EACCES' || code === 'EPERM' ? ExitCode.permission : ExitCode.input,
      cause: error,
    });
  }
  // A hard link would lead elsewhere too; a regular file with one name is what richie-dev makes.
  const info = await handle.stat();
  if (!info.isFile() || info.nlink !== 1) {
    await handle.close();
    throw new UserError(`Cannot record the new CA in ${file} (${info.isFile() ? `it has ${info.nlink} hard links` : 'it is not a regular file'}); no CA was created.`, {
      fix: `Remove it (rm ${file}); richie-dev writes that file itself.`,
    });
  }
  return handle;
}

/**
 * Why this CA may not go into a trust store without --allow-unconstrained-ca, or undefined
 * when it may: richie-dev created it, and it is name-constrained for both DNS names and IP
 * addresses (RFC 5280 4.2.1.10: a name type without permitted subtrees is unconstrained).
 */
export async function trustObjection(ca: LocalCa, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (!ca.constraints) return 'it has no name constraints, so it can sign for any site';
  if (ca.constraints.dns.length === 0 || ca.constraints.ip.length === 0) {
    return `its name constraints leave ${ca.constraints.dns.length === 0 ? 'DNS names' : 'IP addresses'} unconstrained`;
  }
  if (!(await createdByRichieDev(ca, env))) return 'richie-dev did not create it';
  return undefined;
}

/** "limited to local.dev, localhost, 127.0.0.0/8, ::1/128", or "no name constraints". */
export function describeScope(ca: Pick<LocalCa, 'constraints'>): string {
  return ca.constraints ? `limited to ${[...ca.constraints.dns, ...ca.constraints.ip].join(', ') || 'nothing'}` : 'no name constraints: it can sign for any site';
}

export interface CreateCaOptions {
  dir: string;
  constraints: NameConstraints;
  keyType?: KeyType;
  /** A key generated ahead (in parallel with the leaf's). */
  keyPem?: Promise<string>;
  now?: Date;
  /** Where the record of created CAs lives (createdCasFile). */
  env?: NodeJS.ProcessEnv;
  /** Run once nothing is left that could refuse, just before the CA's files are written (retireCa). */
  beforeWrite?: () => Promise<void>;
  /** The CA to write, built ahead (its fingerprint was shown to the user). */
  prepared?: PreparedCa;
}

/** A CA built in memory, not yet written: shown (fingerprint, constraints) before it is made. */
export interface PreparedCa {
  certPem: string;
  keyPem: string;
  fingerprint: string;
  constraints: NameConstraints;
}

/**
 * Build a CA certificate: ECDSA P-256 (or mkcert's RSA-3072), 10 years, CA:TRUE pathlen 0,
 * certSign + cRLSign, SKI, and name constraints. Nothing is written.
 */
export async function prepareCa(options: Pick<CreateCaOptions, 'constraints' | 'keyType' | 'keyPem' | 'now'>): Promise<PreparedCa> {
  const keyPem = await (options.keyPem ?? generateKey(options.keyType ?? DEFAULT_KEY_TYPE, 'ca'));
  const now = options.now ?? new Date();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  const who = owner();
  const subject = {
    attributes: [
      { type: 'O', value: CA_ORGANIZATION },
      { type: 'OU', value: who },
      { type: 'CN', value: `richie-dev ${who}` },
    ],
  } as const;
  const certPem = buildCertificate({
    serialHex: randomSerialHex(),
    subject: { attributes: [...subject.attributes] },
    issuer: { attributes: [...subject.attributes] },
    notBefore: now,
    notAfter,
    publicKeyFrom: keyPem,
    signingKeyPem: keyPem,
    extensions: [
      basicConstraints(true, 0),
      keyUsage(['keyCertSign', 'cRLSign']),
      subjectKeyIdentifierExtension(keyIdentifier(keyPem)),
      nameConstraintsExtension(options.constraints),
    ],
  });
  return { certPem, keyPem, fingerprint: new X509Certificate(certPem).fingerprint256, constraints: options.constraints };
}

/** Create a CA (prepareCa's profile, or the one `prepared` holds) and write it to the CA root. */
export async function createCa(options: CreateCaOptions): Promise<LocalCa> {
  await checkCaRootDir(options.dir);
  const { certPem, keyPem } = options.prepared ?? (await prepareCa(options));
  const files = caFiles(options.dir);
  const record = await openCreatedRecord(options.env ?? process.env);
  try {
    await options.beforeWrite?.();
    // Only the owner may list a CA root richie-dev creates: it holds a key that signs for the
    // project's hosts. An existing directory keeps its mode (checkCaRootDir refused a writable one).
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    // Key first: a crash between the two writes leaves a key without a certificate, which
    // readCa() reports instead of silently replacing.
    writeFileSafely(files.key, keyPem, 0o400, true);
    writeFileSafely(files.cert, certPem, 0o644, true);
    const ca = await parseCa(options.dir, certPem, keyPem);
    await record.write(`${ca.fingerprint}\n`);
    return ca;
  } finally {
    await record.close();
  }
}

/**
 * Move the current CA files aside (rootCA.pem -> rootCA.<date>.pem) before a forced
 * recreation, so no key is ever overwritten. Returns the new paths.
 */
export async function retireCa(ca: LocalCa, now = new Date()): Promise<string[]> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const moved: string[] = [];
  for (const [from, suffix] of [
    [ca.certFile, 'pem'],
    [ca.keyFile, 'key.pem'],
  ] as const) {
    const to = `${ca.dir}/rootCA.retired-${stamp}.${suffix}`;
    await rename(from, to);
    moved.push(to);
  }
  return moved;
}

/** Warnings about a CA root's permissions (a reused CA root we did not create, say). */
/** The CA key's permission bits, and whether anyone but its owner has any of them. */
export async function caKeyMode(ca: LocalCa): Promise<{ mode: number; exposed: boolean }> {
  const mode = (await stat(ca.keyFile)).mode & 0o777;
  return { mode, exposed: (mode & 0o077) !== 0 };
}

export async function caPermissionWarnings(ca: LocalCa): Promise<string[]> {
  const { mode, exposed } = await caKeyMode(ca);
  return exposed ? [`${ca.keyFile} is readable by other users (mode ${mode.toString(8)}); run: chmod 400 ${ca.keyFile}`] : [];
}
