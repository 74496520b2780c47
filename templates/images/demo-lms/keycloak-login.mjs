// The demo LMS's login through Keycloak, for Richie's `fonzie-keycloak` front-end backend
// (richie-education js/api/lms/openedx-fonzie-keycloak.ts sends the user to
// {LMS}/keycloak-login?next=<the page>). An OpenEdX with Keycloak does it with
// python-social-auth (social_django, under edx-platform's /auth/): /auth/login/keycloak/ keeps a
// sanitized `next` and the state in the session and sends the browser to Keycloak's auth
// endpoint; Keycloak sends it back to /auth/complete/keycloak/, where the code is exchanged
// server to server (client id and secret in the request body, as BaseOAuth2 does), the user is
// the token's preferred_username (Keycloak's "username" mapper), and the session is made for
// them before `next`. Here the relying party is openid-client (bundled at build time into
// vendor/openid-client.mjs by build/demo-apps.mjs): discovery, PKCE S256, state, nonce, the ID
// token checked. Sources: social_core/actions.py (do_auth, do_complete), social_core/utils.py
// (sanitize_redirect), social_core/backends/{oauth,open_id_connect,keycloak}.py.
import {
  ClientSecretPost,
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  calculatePKCECodeChallenge,
  discovery,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
} from './vendor/openid-client.mjs';

/** python-social-auth's callback path for the backend named "keycloak". */
export const CALLBACK_PATH = '/auth/complete/keycloak/';
/** Seconds for each call to Keycloak: none waits for ever. */
const TIMEOUT = 10;

/**
 * social_core.utils.sanitize_redirect: the URL when its host:port (a relative URL: the first
 * allowed host) is allowed and it does not start with "///"; else undefined.
 */
export function sanitizeRedirect(hosts, redirectTo) {
  if (!redirectTo || typeof redirectTo !== 'string' || redirectTo.startsWith('///')) return undefined;
  // urlparse's netloc: what follows "//" up to the path, for any scheme.
  const netloc = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/([^/?#]*)/.exec(redirectTo)?.[1] ?? '';
  return hosts.includes(netloc || hosts[0]) ? redirectTo : undefined;
}

/**
 * The Keycloak login of an LMS whose settings name one (SOCIAL_AUTH_KEYCLOAK_OIDC_ENDPOINT,
 * _KEY, _SECRET), else undefined. `root`: LMS_ROOT_URL, where the callback is.
 */
export function keycloakLogin(env, root) {
  const endpoint = env.SOCIAL_AUTH_KEYCLOAK_OIDC_ENDPOINT;
  const clientId = env.SOCIAL_AUTH_KEYCLOAK_KEY;
  const secret = env.SOCIAL_AUTH_KEYCLOAK_SECRET;
  if (!endpoint || !clientId || !secret) return undefined;
  const allowedHosts = env.SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS ? JSON.parse(env.SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS) : [];
  const redirectUri = new URL(CALLBACK_PATH, root).href;
  let config;
  /** Keycloak's discovery document, read once it answers (it may start after the LMS). */
  const configuration = () => {
    config ??= discovery(new URL(endpoint), clientId, { redirect_uris: [redirectUri] }, ClientSecretPost(secret), {
      timeout: TIMEOUT,
      // python-social-auth talks to an http:// Keycloak too; openid-client needs to be told.
      ...(endpoint.startsWith('http:') ? { execute: [allowInsecureRequests] } : {}),
    }).catch((error) => {
      config = undefined;
      throw error;
    });
    return config;
  };
  return {
    /**
     * do_auth: `next` sanitized against the allowed hosts and the request's own host
     * (LOGIN_REDIRECT_URL, /dashboard, when refused); the URL of Keycloak's auth endpoint and
     * what the session keeps until the callback.
     */
    async begin(next, requestHost) {
      const pkceCodeVerifier = randomPKCECodeVerifier();
      const pending = {
        state: randomState(),
        nonce: randomNonce(),
        pkceCodeVerifier,
        next: sanitizeRedirect([...allowedHosts, requestHost], next) ?? '/dashboard',
      };
      const url = buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri,
        // Keycloak's default client scopes; the ID token then carries preferred_username.
        scope: 'openid profile email',
        response_type: 'code',
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await calculatePKCECodeChallenge(pkceCodeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, pending };
    },
    /**
     * do_complete: the code exchanged for tokens (state, PKCE, nonce and the ID token checked by
     * openid-client); the Keycloak user's username. Throws when Keycloak or the checks refuse.
     */
    async complete(callbackUrl, pending) {
      const tokens = await authorizationCodeGrant(await configuration(), new URL(callbackUrl), {
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        pkceCodeVerifier: pending.pkceCodeVerifier,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      const username = claims?.preferred_username;
      if (typeof username !== 'string' || !username) throw new Error('the ID token has no preferred_username');
      return { username, name: typeof claims.name === 'string' ? claims.name : undefined };
    },
  };
}
