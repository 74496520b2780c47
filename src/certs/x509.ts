/**
 * X.509 building: node-forge lays out the fields and extensions (DER and PEM), Node signs the
 * to-be-signed bytes natively (forge's pure-JS RSA signing costs ~90 ms with a 3072-bit key,
 * crypto.sign ~2 ms). Reading certificates uses Node's X509Certificate, except for name
 * constraints, which only forge parses.
 */
import { createPublicKey, randomBytes, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { isIPv4, isIPv6 } from 'node:net';
import type Forge from 'node-forge';

// Only forge's X.509 module (with ASN.1, OIDs, PEM and RSA keys): the package entry loads every
// cipher and protocol forge has, twice the load time of a cold setup-ssl's certificate work.
const load = createRequire(import.meta.url);
load('node-forge/lib/x509'); // registers pki, asn1, oids, pem and rsa on the forge object
const forge = load('node-forge/lib/forge') as typeof Forge;

const { asn1, pki } = forge;

// Parts of node-forge's API that @types/node-forge does not declare.
const forgeExtra = forge as unknown as {
  pki: { getTBSCertificate(cert: Forge.pki.Certificate): Forge.asn1.Asn1 };
  util: { bytesFromIP(ip: string): string | null; bytesToIP(bytes: string): string | null };
};

export interface NameConstraints {
  /** DNS subtrees: the name itself and everything below it. */
  dns: string[];
  /** IP ranges as CIDR strings: "127.0.0.0/8", "::1/128". */
  ip: string[];
}

/**
 * A subject attribute encoded as UTF8String. forge defaults to PrintableString, which cannot
 * hold "@" (user@host): Go's parser, and so mkcert, rejects such a certificate.
 */
export function utf8(shortName: string, value: string): Forge.pki.CertificateField {
  return { shortName, value, valueTagClass: asn1.Type.UTF8 } as unknown as Forge.pki.CertificateField;
}

export interface CertificateSpec {
  serialHex: string;
  subject: Forge.pki.CertificateField[];
  issuer: Forge.pki.CertificateField[];
  notBefore: Date;
  notAfter: Date;
  /** The certified public key, as any PEM Node accepts (a private key PEM works too). */
  publicKeyFrom: string;
  extensions: object[];
  /** PEM private key of the issuer. */
  signingKeyPem: string;
}

/**
 * A random 128-bit serial, as a positive DER INTEGER in hex (what forge writes verbatim):
 * a leading 00 when the top bit is set, and no redundant leading zero bytes.
 */
export function randomSerialHex(bytes: Buffer = randomBytes(16)): string {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1] ?? 0) < 0x80) start++;
  const body = bytes.subarray(start);
  return ((body[0] ?? 0) >= 0x80 ? '00' : '') + body.toString('hex');
}

export function buildCertificate(spec: CertificateSpec): string {
  const cert = pki.createCertificate();
  cert.serialNumber = spec.serialHex;
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.issuer);
  const spki = createPublicKey(spec.publicKeyFrom).export({ type: 'spki', format: 'pem' }).toString();
  cert.publicKey = pki.publicKeyFromPem(spki);
  cert.setExtensions(spec.extensions as never[]);

  // What forge's cert.sign() does, with the RSA operation done by OpenSSL instead.
  cert.signatureOid = cert.siginfo.algorithmOid = pki.oids.sha256WithRSAEncryption!;
  const tbs = forgeExtra.pki.getTBSCertificate(cert);
  (cert as unknown as { tbsCertificate: Forge.asn1.Asn1 }).tbsCertificate = tbs;
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = sign('sha256', tbsDer, spec.signingKeyPem).toString('binary');
  return pki.certificateToPem(cert);
}

/** The critical name constraints extension mkcert refuses to add (RFC 5280 4.2.1.10). */
export function nameConstraintsExtension(constraints: NameConstraints): object {
  const subtree = (tag: number, bytes: string) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, false, bytes)]);
  const permitted = [
    ...constraints.dns.map((name) => subtree(2 /* dNSName */, name)),
    ...constraints.ip.map((cidr) => subtree(7 /* iPAddress */, cidrToBytes(cidr))),
  ];
  return {
    id: '2.5.29.30',
    name: 'nameConstraints',
    critical: true,
    value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0 /* permittedSubtrees */, true, permitted),
    ]),
  };
}

/** Name constraints of a certificate, or undefined when it has none (mkcert's CA). */
export function readNameConstraints(certPem: string): NameConstraints | undefined {
  const cert = pki.certificateFromPem(certPem);
  const ext = cert.extensions.find((e: { id?: string }) => e.id === '2.5.29.30') as
    | { permittedSubtrees?: { type: number; value: string }[] }
    | undefined;
  if (!ext) return undefined;
  const result: NameConstraints = { dns: [], ip: [] };
  for (const tree of ext.permittedSubtrees ?? []) {
    if (tree.type === 2) result.dns.push(tree.value.toLowerCase());
    else if (tree.type === 7) result.ip.push(bytesToCidr(tree.value));
  }
  return result;
}

/** The subject key identifier of a certificate, as forge binary string, for authority key ids. */
export function subjectKeyIdentifier(certPem: string): string {
  const cert = pki.certificateFromPem(certPem);
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  // A CA without the extension (unusual): RFC 5280's method 1, SHA-1 of the public key bits.
  return ext?.subjectKeyIdentifier
    ? forge.util.hexToBytes(ext.subjectKeyIdentifier)
    : cert.generateSubjectKeyIdentifier().getBytes();
}

/**
 * A certificate's subject as forge attributes, keeping each value's ASN.1 string type, so a
 * leaf's issuer is byte-for-byte the CA's subject (some verifiers compare names as bytes).
 */
export function subjectAttributes(certPem: string): Forge.pki.CertificateField[] {
  return pki.certificateFromPem(certPem).subject.attributes;
}

/** Whether a name (DNS or IP) falls inside the constraints (RFC 5280 matching). */
export function isPermitted(name: string, constraints: NameConstraints | undefined): boolean {
  if (!constraints) return true;
  if (isIPv4(name) || isIPv6(name)) {
    if (constraints.ip.length === 0) return true; // no IP subtrees: IPs are unconstrained
    const addr = Buffer.from(forgeExtra.util.bytesFromIP(name) ?? '', 'binary');
    return constraints.ip.some((cidr) => {
      const both = Buffer.from(cidrToBytes(cidr), 'binary');
      const half = both.length / 2;
      if (half !== addr.length) return false;
      for (let i = 0; i < half; i++) if (((addr[i] ?? 0) & (both[half + i] ?? 0)) !== (both[i] ?? 0)) return false;
      return true;
    });
  }
  if (constraints.dns.length === 0) return true;
  const lower = name.toLowerCase();
  return constraints.dns.some((base) => lower === base || lower.endsWith(`.${base}`));
}

function cidrToBytes(cidr: string): string {
  const [address = '', prefixText] = cidr.split('/');
  const bytes = forgeExtra.util.bytesFromIP(address);
  if (!bytes) throw new Error(`not an IP address: ${address}`);
  const length = bytes.length;
  const prefix = prefixText === undefined ? length * 8 : Number(prefixText);
  let mask = '';
  for (let i = 0; i < length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    mask += String.fromCharCode((0xff << (8 - bits)) & 0xff);
  }
  return bytes + mask;
}

function bytesToCidr(bytes: string): string {
  const half = bytes.length / 2;
  const address = forgeExtra.util.bytesToIP(bytes.slice(0, half)) ?? '?';
  let prefix = 0;
  for (const ch of bytes.slice(half)) prefix += ch.charCodeAt(0).toString(2).replaceAll('0', '').length;
  return `${address}/${prefix}`;
}
