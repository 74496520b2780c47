/**
 * The leaf certificate: one for every configured host plus localhost and loopback, in
 * mkcert's profile (serverAuth, names only in subjectAltName, 2 years 3 months), with an
 * ECDSA P-256 key by default or mkcert's RSA-2048.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { LocalCa } from './ca.js';
import { owner } from './ca.js';
import {
  authorityKeyIdentifierExtension,
  ipVersion,
  basicConstraints,
  buildCertificate,
  keyUsage,
  randomSerialHex,
  serverAuthUsage,
  subjectAltName,
  subjectDer,
  subjectKeyIdentifier,
} from './x509.js';

/** Reissue when fewer days than this are left. */
export const RENEW_DAYS = 30;
const DAY_MS = 86_400_000;

/** Every name the leaf covers: the hosts first (catalog, LMS), then loopback. */
export function leafNames(hosts: readonly string[]): string[] {
  return [...new Set([...hosts, 'localhost', '127.0.0.1', '::1'])];
}

/** 2 years 3 months, as mkcert: always under the 825 days Apple allows even for user-added roots. */
export function leafNotAfter(now: Date): Date {
  const end = new Date(now);
  end.setUTCMonth(end.getUTCMonth() + 27);
  return end;
}

/**
 * A certificate never outlives its CA: its end is capped at the CA's (RFC 5280 6.1.3 checks
 * every certificate of the path for validity, so the days after the CA's end are worth nothing).
 */
export function cappedNotAfter(now: Date, ca: Pick<LocalCa, 'notAfter'>): Date {
  const full = leafNotAfter(now);
  return ca.notAfter.getTime() < full.getTime() ? new Date(ca.notAfter) : full;
}

export interface CaDatesProblem {
  /** "expired": past its end; "ends-early": ends before a certificate issued now would. */
  kind: 'expired' | 'ends-early';
  message: string;
}

/** What is wrong with the CA's dates for issuing a certificate now, if anything. */
export function caDatesProblem(ca: Pick<LocalCa, 'notAfter' | 'certFile'>, now: Date): CaDatesProblem | undefined {
  const end = ca.notAfter.toISOString().slice(0, 10);
  if (ca.notAfter.getTime() <= now.getTime()) {
    return { kind: 'expired', message: `the CA ${ca.certFile} expired on ${end}: nothing it signs is trusted` };
  }
  const full = leafNotAfter(now);
  if (ca.notAfter.getTime() < full.getTime()) {
    return {
      kind: 'ends-early',
      message: `the CA ${ca.certFile} ends on ${end}, before a certificate issued now would (${full.toISOString().slice(0, 10)}); certificates end with it`,
    };
  }
  return undefined;
}

export async function issueLeaf(options: { ca: LocalCa; names: readonly string[]; keyPem: string; now?: Date }): Promise<string> {
  const now = options.now ?? new Date();
  // keyEncipherment only for RSA keys, as mkcert does (cert.go, makeCert): ECDSA keys sign.
  const isRsa = createPrivateKey(options.keyPem).asymmetricKeyType === 'rsa';
  return buildCertificate({
    serialHex: randomSerialHex(),
    // Names live only in subjectAltName; the subject just says where the certificate came from.
    subject: {
      attributes: [
        { type: 'O', value: 'richie-dev development certificate' },
        { type: 'OU', value: owner() },
      ],
    },
    issuer: { der: subjectDer(options.ca.x509) },
    notBefore: now,
    notAfter: cappedNotAfter(now, options.ca),
    publicKeyFrom: options.keyPem,
    signingKeyPem: options.ca.keyPem,
    extensions: [
      keyUsage(isRsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature']),
      serverAuthUsage(),
      basicConstraints(false),
      authorityKeyIdentifierExtension(subjectKeyIdentifier(options.ca.x509)),
      subjectAltName(options.names),
    ],
  });
}

/** The DNS and IP names a certificate's subjectAltName lists. */
export function certificateNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) names.push(part.slice(4).toLowerCase());
    else if (part.startsWith('IP Address:')) names.push(normalizeIp(part.slice(11)));
  }
  return names;
}

export interface LeafCheck {
  names: string[];
  notAfter: Date;
  daysLeft: number;
}

/**
 * Why a certificate/key pair is not good enough for these names, as readable reasons; an
 * empty list means it can be kept. Looks at content: key match, names, dates, issuer.
 */
export function leafProblems(options: {
  certPem: string;
  keyPem: string;
  names: readonly string[];
  ca?: LocalCa;
  now?: Date;
  minDaysLeft?: number;
  certFile?: string;
  keyFile?: string;
}): { problems: string[]; info?: LeafCheck } {
  const certFile = options.certFile ?? 'the certificate';
  const keyFile = options.keyFile ?? 'the key';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(options.certPem);
  } catch {
    return { problems: [`${certFile} is not a PEM certificate`] };
  }
  let key;
  try {
    key = createPrivateKey(options.keyPem);
  } catch {
    return { problems: [`${keyFile} is not a PEM private key`] };
  }
  const problems: string[] = [];
  if (!cert.checkPrivateKey(key)) problems.push(`${keyFile} does not match ${certFile}`);
  const have = certificateNames(cert);
  const missing = options.names.filter((name) => !have.includes(ipVersion(name) ? normalizeIp(name) : name));
  if (missing.length) problems.push(`${certFile} does not cover ${missing.join(', ')}`);
  const now = options.now ?? new Date();
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  const minDays = options.minDaysLeft ?? RENEW_DAYS;
  if (notBefore.getTime() > now.getTime()) problems.push(`${certFile} is not valid before ${notBefore.toISOString()}`);
  if (daysLeft < 0) problems.push(`${certFile} expired on ${notAfter.toISOString().slice(0, 10)}`);
  else if (daysLeft < minDays) problems.push(`${certFile} expires in ${daysLeft} days (renewed under ${minDays})`);
  if (options.ca) {
    const ca = options.ca;
    if (!cert.checkIssued(ca.x509) || !cert.verify(ca.x509.publicKey)) {
      problems.push(`${certFile} was not issued by the current CA (${ca.certFile})`);
    }
    if (notAfter.getTime() > ca.notAfter.getTime()) {
      problems.push(`${certFile} ends on ${notAfter.toISOString().slice(0, 10)}, after its CA (${ca.notAfter.toISOString().slice(0, 10)})`);
    }
  }
  return { problems, info: { names: have, notAfter, daysLeft } };
}

function normalizeIp(ip: string): string {
  // Node prints ::1 as 0:0:0:0:0:0:0:1 in subjectAltName.
  if (!ip.includes(':')) return ip;
  const url = new URL(`http://[${ip}]/`);
  return url.hostname.slice(1, -1);
}
