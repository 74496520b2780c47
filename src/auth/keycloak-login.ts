/**
 * Signing a user in on the Keycloak site as keycloak-js's standard flow does (authorization code
 * with PKCE S256, node_modules/keycloak-js/lib/keycloak.js createLoginUrl and fetchAccessToken),
 * through the login form Keycloak shows (#kc-form-login), to get the ID token Richie's `keycloak`
 * backend hands to Joanie (richie-education js/api/auth/keycloak.ts keeps `keycloak.idToken`).
 * Doctor uses it to prove Joanie accepts what the identity provider issues. Keycloak's name is
 * pinned to where the stack publishes it (as curl --resolve does), trusting the CA given.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KeycloakModel } from './keycloak.js';

export interface KeycloakDial {
  /** Where Keycloak's port is published (the stack's address), whatever the name resolves to. */
  address: string;
  /** The PEM of the CA to trust (the project's). */
  ca: string;
}

interface Answer {
  status: number;
  location?: string | undefined;
  cookies: string[];
  body: string;
}

function send(url: URL, dial: KeycloakDial, options: { method?: string; cookies: Map<string, string>; form?: URLSearchParams }): Promise<Answer> {
  const body = options.form?.toString();
  return new Promise((resolve, reject) => {
    // http only where Keycloak's URL says so (the stand-in run bare, in tests).
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: dial.ca,
        lookup: (_host, _opts, callback) => callback(null, [{ address: dial.address, family: dial.address.includes(':') ? 6 : 4 }]),
        headers: {
          accept: 'text/html,application/json',
          ...(options.cookies.size ? { cookie: [...options.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }),
        },
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, cookies: res.headers['set-cookie'] ?? [], body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url.origin} did not answer within 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A browser's cookie jar, enough for one site: set, replaced, or dropped when expired. */
function keep(jar: Map<string, string>, answer: Answer): Answer {
  for (const line of answer.cookies) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1)];
    if (!name) continue;
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return answer;
}

/**
 * The ID token Keycloak issues `user` for the catalog's client. Throws an Error saying which step
 * failed (the login page missing, the password refused, no code, no token).
 */
export async function keycloakIdToken(model: KeycloakModel, dial: KeycloakDial, user: { username: string; password: string }): Promise<string> {
  const verifier = randomBytes(48).toString('base64url');
  const redirectUri = `${model.catalogOrigin}/`;
  const auth = new URL(`${model.realmUrl}/protocol/openid-connect/auth`);
  for (const [k, v] of Object.entries({ client_id: model.clientId, redirect_uri: redirectUri, response_type: 'code', response_mode: 'query', scope: 'openid', state: randomBytes(8).toString('hex'), nonce: randomBytes(8).toString('hex'), code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })) {
    auth.searchParams.set(k, v);
  }
  const jar = new Map<string, string>();
  let url = auth;
  let answer = keep(jar, await send(url, dial, { cookies: jar }));
  let signedIn = false;
  for (let step = 0; step < 12; step++) {
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      url = new URL(answer.location, url);
      if (url.href.startsWith(redirectUri)) break;
      answer = keep(jar, await send(url, dial, { cookies: jar }));
      continue;
    }
    if (answer.status === 401 && signedIn) throw new Error(`Keycloak refused ${user.username}'s password`);
    const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(answer.body)?.[1] ?? /<form[^>]*action="([^"]+)"[^>]*id="kc-form-login"/.exec(answer.body)?.[1];
    if (answer.status !== 200 || !action || signedIn) throw new Error(`${url.origin}${url.pathname} answered ${answer.status}, not Keycloak's login form`);
    signedIn = true;
    url = new URL(action.replaceAll('&amp;', '&'), url);
    answer = keep(jar, await send(url, dial, { method: 'POST', cookies: jar, form: new URLSearchParams({ username: user.username, password: user.password }) }));
  }
  const code = url.href.startsWith(redirectUri) ? url.searchParams.get('code') : null;
  if (!code) throw new Error(`Keycloak sent no code back to ${redirectUri}${url.searchParams.get('error') ? ` (${url.searchParams.get('error')})` : ''}`);
  const token = await send(new URL(`${model.realmUrl}/protocol/openid-connect/token`), dial, {
    method: 'POST',
    cookies: new Map(),
    form: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: model.clientId, redirect_uri: redirectUri, code_verifier: verifier }),
  });
  let idToken: unknown;
  try {
    idToken = (JSON.parse(token.body) as { id_token?: unknown }).id_token;
  } catch {
    idToken = undefined;
  }
  if (token.status !== 200 || typeof idToken !== 'string') throw new Error(`Keycloak's token endpoint answered ${token.status} without an ID token`);
  return idToken;
}
