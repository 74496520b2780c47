/**
 * RSA keys, generated natively: node-forge's pure-JS generation takes seconds for 3072 bits,
 * Node's asynchronous generateKeyPair runs off the main thread, so CA and leaf keys can be
 * made in parallel.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

/** A PKCS#8 PEM private key ("PRIVATE KEY"), the encoding mkcert writes for rootCA-key.pem. */
export async function generateRsaKey(bits: 2048 | 3072 | 4096): Promise<string> {
  const { privateKey } = await generate('rsa', {
    modulusLength: bits,
    publicExponent: 0x10001,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return privateKey;
}
