/**
 * X.509 certificates for ECDSA and RSA keys: the fields of RFC 5280 section 4.1 laid out as
 * DER with node-forge's ASN.1 module, the key and the signature from Node (OpenSSL). forge's
 * own X.509 module only knows RSA keys (its publicKeyToAsn1 and certificateFromAsn1 reject
 * any other), so it is not used: the subjectPublicKeyInfo is Node's own SPKI export, and
 * crypto.sign signs the to-be-signed bytes. Reading uses Node's X509Certificate, except for
 * the extensions Node does not expose (name constraints, key identifiers) and the subject's
 * exact bytes, read here from the DER.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

// Only forge's ASN.1 module (with its util and OID tables), about 4 ms to load; the package
// entry loads every cipher and protocol forge has.
const load = createRequire(import.meta.url);
load('node-forge/lib/asn1');
const forge = load('node-forge/lib/forge') as typeof Forge;
const { asn1 } = forge;
type Asn1 = Forge.asn1.Asn1;

// Parts of node-forge's API that @types/node-forge does not declare.
const forgeUtil = forge.util as unknown as {
  bytesFromIP(ip: string): string | null;
  bytesToIP(bytes: string): string | null;
  encodeUtf8(text: string): string;
};

const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
const T = asn1.Type;

/** OIDs used below, with where they are defined. */
const OID = {
  // RFC 4519 / X.520 attribute types
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  // RFC 5280 4.2.1 extensions
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  // RFC 4055 and RFC 5758 3.2 signature algorithms
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
} as const;

export interface NameConstraints {
  /** DNS subtrees: the name itself and everything below it. */
  dns: string[];
  /** IP ranges as CIDR strings: "127.0.0.0/8", "::1/128". */
  ip: string[];
}

/** A distinguished name: attributes written as UTF8String, or the exact DER of another certificate's subject. */
export type DistinguishedName = { attributes: { type: 'O' | 'OU' | 'CN'; value: string }[] } | { der: Buffer };

/** One extension, already encoded (see the builders below). */
export interface Extension {
  oid: string;
  critical: boolean;
  value: Asn1;
}

export interface CertificateSpec {
  serialHex: string;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  /** The certified public key, as any PEM Node accepts (a private key PEM works too). */
  publicKeyFrom: string;
  extensions: Extension[];
  /** PEM private key of the issuer. */
  signingKeyPem: string;
}

/**
 * A random 128-bit serial, as a positive DER INTEGER in hex: a leading 00 when the top bit is
 * set, and no redundant leading zero bytes.
 */
export function randomSerialHex(bytes: Buffer = randomBytes(16)): string {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1] ?? 0) < 0x80) start++;
  const body = bytes.subarray(start);
  return ((body[0] ?? 0) >= 0x80 ? '00' : '') + body.toString('hex');
}

const bin = (buffer: Buffer) => buffer.toString('binary');
const buf = (binary: string) => Buffer.from(binary, 'binary');
const der = (node: Asn1) => buf(asn1.toDer(node).getBytes());
const seq = (items: Asn1[]) => asn1.create(UNIVERSAL, T.SEQUENCE, true, items);
const oid = (id: string) => asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(id).getBytes());
const octets = (bytes: Buffer) => asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(bytes));
/** DER to forge's tree, leaving BIT STRING contents as bytes (forge otherwise tries to parse them). */
const fromDer = (bytes: Buffer): Asn1 =>
  (asn1.fromDer as unknown as (input: string, options: object) => Asn1)(bin(bytes), { decodeBitStrings: false });
const bool = (value: boolean) => asn1.create(UNIVERSAL, T.BOOLEAN, false, value ? '\xff' : '\x00');

/** The signature algorithm for a signing key: SHA-256 with RSA, or ECDSA with the curve's hash. */
function signatureAlgorithm(key: KeyObject): { hash: string; identifier: Asn1 } {
  if (key.asymmetricKeyType === 'rsa') {
    // RFC 4055 5: the parameters are NULL for sha256WithRSAEncryption.
    return { hash: 'sha256', identifier: seq([oid(OID.sha256WithRSAEncryption), asn1.create(UNIVERSAL, T.NULL, false, '')]) };
  }
  if (key.asymmetricKeyType === 'ec') {
    // RFC 5758 3.2: the parameters are absent for ecdsa-with-SHA*; the hash follows the curve (RFC 5480 4).
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const [hash, id] = curve === 'secp384r1' ? ['sha384', OID.ecdsaWithSHA384] : curve === 'secp521r1' ? ['sha512', OID.ecdsaWithSHA512] : ['sha256', OID.ecdsaWithSHA256];
    return { hash, identifier: seq([oid(id)]) };
  }
  throw new Error(`unsupported signing key type: ${key.asymmetricKeyType}`);
}

const ATTRIBUTE_OIDS = { O: OID.organization, OU: OID.organizationalUnit, CN: OID.commonName } as const;

/**
 * A Name (RFC 5280 4.1.2.4). Values are UTF8String: forge defaults to PrintableString, which
 * cannot hold "@" (user@host), and Go's parser, so mkcert, rejects such a certificate.
 */
function encodeName(name: DistinguishedName): Asn1 {
  if ('der' in name) return fromDer(name.der);
  return seq(
    name.attributes.map(({ type, value }) =>
      asn1.create(UNIVERSAL, T.SET, true, [seq([oid(ATTRIBUTE_OIDS[type]), asn1.create(UNIVERSAL, T.UTF8, false, forgeUtil.encodeUtf8(value))])]),
    ),
  );
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function encodeTime(date: Date): Asn1 {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return whole.getUTCFullYear() < 2050
    ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(whole))
    : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(whole));
}

function spkiDer(publicKeyFrom: string): Buffer {
  return createPublicKey(publicKeyFrom).export({ type: 'spki', format: 'der' });
}

/** Build and sign a certificate; returns it as PEM. */
export function buildCertificate(spec: CertificateSpec): string {
  const signingKey = createPrivateKey(spec.signingKeyPem);
  const algorithm = signatureAlgorithm(signingKey);
  const tbs = seq([
    asn1.create(CONTEXT_SPECIFIC, 0, true, [asn1.create(UNIVERSAL, T.INTEGER, false, '\x02')]), // v3
    asn1.create(UNIVERSAL, T.INTEGER, false, bin(Buffer.from(spec.serialHex, 'hex'))),
    algorithm.identifier,
    encodeName(spec.issuer),
    seq([encodeTime(spec.notBefore), encodeTime(spec.notAfter)]),
    encodeName(spec.subject),
    fromDer(spkiDer(spec.publicKeyFrom)),
    asn1.create(CONTEXT_SPECIFIC, 3, true, [
      seq(spec.extensions.map((e) => seq([oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(der(e.value))]))),
    ]),
  ]);
  const tbsDer = der(tbs);
  // Node signs ECDSA as a DER Ecdsa-Sig-Value, the encoding X.509 uses (RFC 5480 / RFC 3279 2.2.3).
  const signature = sign(algorithm.hash, tbsDer, signingKey);
  const certificate = der(seq([tbs, algorithm.identifier, asn1.create(UNIVERSAL, T.BITSTRING, false, `\x00${bin(signature)}`)]));
  return toPem(certificate);
}

function toPem(derBytes: Buffer): string {
  const lines = derBytes.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

// Extension builders (RFC 5280 4.2.1).

export function basicConstraints(ca: boolean, pathLen?: number): Extension {
  const items = ca ? [bool(true), ...(pathLen === undefined ? [] : [asn1.create(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(pathLen).getBytes())])] : [];
  return { oid: OID.basicConstraints, critical: true, value: seq(items) };
}

const KEY_USAGE_BITS = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** KeyUsage as a DER named-bit BIT STRING: trailing zero bits dropped (X.690 11.2.2). */
export function keyUsage(usages: (keyof typeof KEY_USAGE_BITS)[]): Extension {
  const bits = usages.map((u) => KEY_USAGE_BITS[u]);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest % 8);
  return { oid: OID.keyUsage, critical: true, value: asn1.create(UNIVERSAL, T.BITSTRING, false, String.fromCharCode(unused) + bin(bytes)) };
}

export function serverAuthUsage(): Extension {
  return { oid: OID.extKeyUsage, critical: false, value: seq([oid(OID.serverAuth)]) };
}

export function subjectKeyIdentifierExtension(keyId: Buffer): Extension {
  return { oid: OID.subjectKeyIdentifier, critical: false, value: octets(keyId) };
}

export function authorityKeyIdentifierExtension(keyId: Buffer): Extension {
  return { oid: OID.authorityKeyIdentifier, critical: false, value: seq([asn1.create(CONTEXT_SPECIFIC, 0, false, bin(keyId))]) };
}

/** DNS names as dNSName, IP addresses as iPAddress (4 or 16 bytes). */
export function subjectAltName(names: readonly string[]): Extension {
  return {
    oid: OID.subjectAltName,
    critical: false,
    value: seq(
      names.map((name) =>
        ipVersion(name)
          ? asn1.create(CONTEXT_SPECIFIC, 7, false, forgeUtil.bytesFromIP(name) ?? '')
          : asn1.create(CONTEXT_SPECIFIC, 2, false, name),
      ),
    ),
  };
}

/** The critical name constraints extension mkcert refuses to add (RFC 5280 4.2.1.10). */
export function nameConstraintsExtension(constraints: NameConstraints): Extension {
  const subtree = (tag: number, bytes: string) => seq([asn1.create(CONTEXT_SPECIFIC, tag, false, bytes)]);
  const permitted = [
    ...constraints.dns.map((name) => subtree(2 /* dNSName */, name)),
    ...constraints.ip.map((cidr) => subtree(7 /* iPAddress */, cidrToBytes(cidr))),
  ];
  return { oid: OID.nameConstraints, critical: true, value: seq([asn1.create(CONTEXT_SPECIFIC, 0 /* permittedSubtrees */, true, permitted)]) };
}

/**
 * RFC 5280 4.2.1.2 method (1): the SHA-1 of the subjectPublicKey bits, as mkcert and OpenSSL
 * compute it.
 */
export function keyIdentifier(publicKeyFrom: string | KeyObject): Buffer {
  const spki = fromDer(typeof publicKeyFrom === 'string' ? spkiDer(publicKeyFrom) : publicKeyFrom.export({ type: 'spki', format: 'der' }));
  const bits = (spki.value as Asn1[])[1]!.value as string;
  return createHash('sha1').update(buf(bits.slice(1))).digest();
}

// Reading.

interface ParsedCertificate {
  subjectDer: Buffer;
  extensions: Map<string, { critical: boolean; value: Buffer }>;
}

function parse(cert: X509Certificate): ParsedCertificate {
  const root = fromDer(cert.raw);
  const tbs = (root.value as Asn1[])[0]!.value as Asn1[];
  // The version field [0] is optional (absent for v1).
  const offset = tbs[0]?.tagClass === CONTEXT_SPECIFIC && tbs[0].type === 0 ? 1 : 0;
  const subjectDer = der(tbs[offset + 4]!);
  const extensions = new Map<string, { critical: boolean; value: Buffer }>();
  const holder = tbs.find((node) => node.tagClass === CONTEXT_SPECIFIC && node.type === 3);
  for (const ext of ((holder?.value as Asn1[] | undefined)?.[0]?.value as Asn1[] | undefined) ?? []) {
    const parts = ext.value as Asn1[];
    const id = asn1.derToOid(parts[0]!.value as string);
    const critical = parts.length === 3 && (parts[1]!.value as string) !== '\x00';
    extensions.set(id, { critical, value: buf(parts[parts.length - 1]!.value as string) });
  }
  return { subjectDer, extensions };
}

function x509(certPem: string | X509Certificate): X509Certificate {
  return typeof certPem === 'string' ? new X509Certificate(certPem) : certPem;
}

/** Name constraints of a certificate, or undefined when it has none (mkcert's CA). */
export function readNameConstraints(certPem: string | X509Certificate): NameConstraints | undefined {
  const ext = parse(x509(certPem)).extensions.get(OID.nameConstraints);
  if (!ext) return undefined;
  const result: NameConstraints = { dns: [], ip: [] };
  const value = fromDer(ext.value).value as Asn1[];
  const permitted = value.find((node) => node.tagClass === CONTEXT_SPECIFIC && node.type === 0);
  for (const subtree of (permitted?.value as Asn1[] | undefined) ?? []) {
    const base = (subtree.value as Asn1[])[0];
    if (!base || base.tagClass !== CONTEXT_SPECIFIC) continue;
    if (base.type === 2) result.dns.push((base.value as string).toLowerCase());
    else if (base.type === 7) result.ip.push(bytesToCidr(base.value as string));
  }
  return result;
}

/** The subject key identifier of a certificate (for authority key ids); computed when absent. */
export function subjectKeyIdentifier(certPem: string | X509Certificate): Buffer {
  const cert = x509(certPem);
  const ext = parse(cert).extensions.get(OID.subjectKeyIdentifier);
  if (ext) return buf(fromDer(ext.value).value as string);
  return keyIdentifier(cert.publicKey);
}

/**
 * A certificate's subject exactly as encoded, so a leaf's issuer is byte-for-byte the CA's
 * subject (some verifiers compare names as bytes).
 */
export function subjectDer(certPem: string | X509Certificate): Buffer {
  return parse(x509(certPem)).subjectDer;
}

/**
 * 4 or 6 for an IP address literal, 0 for a DNS name. The names here are validated host names
 * (hostNameProblem) and the loopback literals: a DNS name never holds ":", and forge parses
 * the address itself. net.isIPv6 compiles a large regular expression on first use (4 ms).
 */
export function ipVersion(name: string): 0 | 4 | 6 {
  if (name.includes(':')) return 6;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) ? 4 : 0;
}

/** Whether a name (DNS or IP) falls inside the constraints (RFC 5280 matching). */
export function isPermitted(name: string, constraints: NameConstraints | undefined): boolean {
  if (!constraints) return true;
  if (ipVersion(name)) {
    if (constraints.ip.length === 0) return true; // no IP subtrees: IPs are unconstrained
    const addr = buf(forgeUtil.bytesFromIP(name) ?? '');
    return constraints.ip.some((cidr) => {
      const both = buf(cidrToBytes(cidr));
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
  const bytes = forgeUtil.bytesFromIP(address);
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
  const address = forgeUtil.bytesToIP(bytes.slice(0, half)) ?? '?';
  let prefix = 0;
  for (const ch of bytes.slice(half)) prefix += ch.charCodeAt(0).toString(2).replaceAll('0', '').length;
  return `${address}/${prefix}`;
}
