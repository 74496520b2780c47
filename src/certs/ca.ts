/**
 * The local certificate authority: found at the CA root (mkcert's file names and formats, so
 * either tool can use the other's CA), or created there, name-constrained to the project's
 * parent domain, localhost and loopback.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, rename, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { UserError } from '../errors.js';
import { readIfExists, writeFileAtomic } from '../fsutil.js';
import { caFiles } from '../paths.js';
import { generateRsaKey } from './keys.js';
import { buildCertificate, nameConstraintsExtension, randomSerialHex, readNameConstraints, utf8 } from './x509.js';

export const CA_ORGANIZATION = 'richie-dev development CA';
/** Loopback is always permitted: the leaf also names localhost, 127.0.0.1 and ::1. */
export const LOOPBACK_CONSTRAINTS = { dns: ['localhost'], ip: ['127.0.0.0/8', '::1/128'] } as const;

export interface LocalCa {
  dir: string;
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
  x509: X509Certificate;
  /** SHA-256 fingerprint, colon-separated hex (as `openssl x509 -fingerprint -sha256`). */
  fingerprint: string;
  /** Undefined for an unconstrained CA, such as one mkcert made. */
  constraints: { dns: string[]; ip: string[] } | undefined;
  /** The subject's O, which also names the CA in NSS databases (mkcert does the same). */
  organization: string;
  serialDecimal: string;
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

export async function parseCa(dir: string, certPem: string, keyPem: string): Promise<LocalCa> {
  const files = caFiles(dir);
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
  return {
    dir,
    certFile: files.cert,
    keyFile: files.key,
    certPem,
    keyPem,
    x509,
    fingerprint: x509.fingerprint256,
    constraints: readNameConstraints(certPem),
    organization: /^O=(.*)$/m.exec(x509.subject)?.[1] ?? CA_ORGANIZATION,
    serialDecimal: BigInt(`0x${x509.serialNumber}`).toString(10),
  };
}

export interface CreateCaOptions {
  dir: string;
  constraints: { dns: string[]; ip: string[] };
  /** A key generated ahead (in parallel with the leaf's). */
  keyPem?: Promise<string>;
  now?: Date;
}

/** Create a CA: RSA-3072, 10 years, CA:TRUE pathlen 0, certSign + cRLSign, SKI, name constraints. */
export async function createCa(options: CreateCaOptions): Promise<LocalCa> {
  const keyPem = await (options.keyPem ?? generateRsaKey(3072));
  const now = options.now ?? new Date();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  const who = owner();
  const subject = [
    utf8('O', CA_ORGANIZATION),
    utf8('OU', who),
    utf8('CN', `richie-dev ${who}`),
  ];
  const certPem = buildCertificate({
    serialHex: randomSerialHex(),
    subject,
    issuer: subject,
    notBefore: now,
    notAfter,
    publicKeyFrom: keyPem,
    signingKeyPem: keyPem,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
      nameConstraintsExtension(options.constraints),
    ],
  });

  const files = caFiles(options.dir);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  // Only the owner may list the CA root: it holds a key that can sign for the project's hosts.
  await chmod(options.dir, 0o700);
  // Key first: a crash between the two writes leaves a key without a certificate, which
  // readCa() reports instead of silently replacing.
  await writeFileAtomic(files.key, keyPem, 0o400);
  await writeFileAtomic(files.cert, certPem, 0o644);
  return parseCa(options.dir, certPem, keyPem);
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
