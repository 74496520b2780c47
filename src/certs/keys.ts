/**
 * RSA keys, generated natively. node-forge's pure-JS generation takes seconds for 3072 bits;
 * Node's asynchronous crypto runs on libuv's thread pool. An RSA key is two independent
 * primes, so we ask for them as two jobs that run on two threads at once, and assemble the key:
 * the CA key costs about half the wall time of one generateKeyPair call, whose prime search
 * runs on a single thread.
 */
import { createPrivateKey, generatePrime } from 'node:crypto';

const E = 65537n;

function primeOf(bits: number): Promise<bigint> {
  return new Promise((resolve, reject) =>
    // OpenSSL's prime generator sets the top two bits, so p*q has exactly 2*bits bits.
    generatePrime(bits, { bigint: true }, (error, prime) => (error ? reject(error) : resolve(prime as bigint))),
  );
}

/** A usable RSA prime for e = 65537: gcd(e, p-1) = 1 (65537 is prime, so p mod e != 1). */
async function rsaPrime(bits: number): Promise<bigint> {
  for (;;) {
    const p = await primeOf(bits);
    if (p % E !== 1n) return p;
  }
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('not invertible');
  return ((oldS % m) + m) % m;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function base64url(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** Assemble an RSA private key (PKCS#8 PEM) from its two primes, as OpenSSL does (d mod lcm). */
export function rsaKeyFromPrimes(p: bigint, q: bigint): string {
  if (p === q) throw new Error('p and q must differ');
  if (p < q) [p, q] = [q, p];
  const n = p * q;
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInverse(E, lambda);
  const key = createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: base64url(n),
      e: base64url(E),
      d: base64url(d),
      p: base64url(p),
      q: base64url(q),
      dp: base64url(d % (p - 1n)),
      dq: base64url(d % (q - 1n)),
      qi: base64url(modInverse(q, p)),
    },
  });
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A PKCS#8 PEM private key ("PRIVATE KEY"), the encoding mkcert writes for rootCA-key.pem. */
export async function generateRsaKey(bits: 2048 | 3072 | 4096): Promise<string> {
  for (;;) {
    const [p, q] = await Promise.all([rsaPrime(bits / 2), rsaPrime(bits / 2)]);
    // FIPS 186-4 B.3.1: |p - q| > 2^(bits/2 - 100). Random primes miss this with probability ~2^-100.
    const diff = p > q ? p - q : q - p;
    if (diff > 1n << BigInt(bits / 2 - 100)) return rsaKeyFromPrimes(p, q);
  }
}
