/**
 * Key pairs, only from Node's native generator (OpenSSL underneath): richie-dev assembles no
 * key material itself. ECDSA P-256 by default, for the CA and the certificate, as Caddy's
 * local CA does (caddyserver/caddy modules/caddypki/crypto.go, KeyTypeP256); `rsa` keeps
 * mkcert's profile: RSA-3072 for the CA, RSA-2048 for the certificate (mkcert cert.go,
 * newCA and generateKey).
 */
import { generateKeyPair } from 'node:crypto';

export const KEY_TYPES = ['ecdsa', 'rsa'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const DEFAULT_KEY_TYPE: KeyType = 'ecdsa';

/** What a key signs for: a CA key or a certificate's key. */
export type KeyRole = 'ca' | 'leaf';

/** RSA sizes of mkcert's profile. */
export const RSA_BITS: Readonly<Record<KeyRole, 2048 | 3072>> = { ca: 3072, leaf: 2048 };

/**
 * A new private key as PKCS#8 PEM ("PRIVATE KEY"), the encoding mkcert writes for
 * rootCA-key.pem and its certificate keys, so either tool reads the other's files.
 * Asynchronous: the work runs on libuv's thread pool, so a CA key and a leaf key are made at once.
 */
export function generateKey(type: KeyType, role: KeyRole): Promise<string> {
  const encoding = { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: string, privateKey: string) => (error ? reject(error) : resolve(privateKey));
    if (type === 'ecdsa') generateKeyPair('ec', { namedCurve: 'prime256v1', ...encoding }, done);
    else generateKeyPair('rsa', { modulusLength: RSA_BITS[role], publicExponent: 0x10001, ...encoding }, done);
  });
}
