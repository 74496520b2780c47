/**
 * Richie's Keycloak authentication (`authentication` in richie-dev.config.json): the model of
 * the Keycloak site (the stand-in, or the user's own Keycloak behind richie-dev's nginx), the
 * settings Richie reads for it, the stand-in's env file, and the realm and client a real
 * Keycloak needs. Sources: richie sandbox/settings.py (RICHIE_AUTHENTICATION_DELEGATION's
 * AUTHENTICATION_* variables), src/richie/apps/core/context_processors.py
 * (get_authentication_context: keycloak_endpoint, keycloak_client_id, keycloak_realm),
 * richie-education js/api/auth/keycloak.ts and keycloak-js lib/keycloak.js (the URLs it uses).
 */
import type { ProjectConfig } from '../config.js';
import type { KeycloakBackend } from '../config-model.js';
import { UserError } from '../errors.js';

// The config's side of it (types, defaults, schema, refusals) is in config-model.ts and
// config-auth.ts, below the config; this module models the site from a validated config.
export { AUTHENTICATION_DEFAULTS, KEYCLOAK_BACKENDS, type AuthenticationConfig, type KeycloakBackend } from '../config-model.js';

/** The stand-in's demo account (README, "Keycloak"): the demo LMS's own. */
export const KEYCLOAK_DEMO_USER = { username: 'student', password: 'student' } as const;

export const KEYCLOAK_IMAGE = 'richie-dev/demo-keycloak:latest';

export interface KeycloakModel {
  backend: KeycloakBackend;
  realm: string;
  clientId: string;
  host: string;
  port: number;
  /** Keycloak's base URL as the browser uses it (keycloak-js's `url`): https://keycloak.local.dev:8074. */
  origin: string;
  /** Where the realm lives: {origin}/realms/{realm}. */
  realmUrl: string;
  /** The catalog's origin: the client's web origin (CORS) and where it sends users back. */
  catalogOrigin: string;
  /** Keycloak's "Valid redirect URIs" (and post-logout ones): every catalog page. */
  redirectUris: string[];
  webOrigins: string[];
  upstream?: string | undefined;
  /**
   * `fonzie-keycloak`: the first LMS as Keycloak's second, confidential client. Its
   * /keycloak-login sends the user to Keycloak and takes them back at python-social-auth's
   * callback for a backend named "keycloak" (social_django's /auth/complete/<backend>/).
   */
  lmsClient?: { clientId: string; origin: string; redirectUris: string[] } | undefined;
}

/** The LMS's client id in the realm (fonzie-keycloak). */
export const KEYCLOAK_LMS_CLIENT_ID = 'openedx';
/** python-social-auth's callback for the LMS's backend named "keycloak" (social_django/urls.py: complete/<backend>/, under edx-platform's /auth/). */
export const LMS_KEYCLOAK_CALLBACK = '/auth/complete/keycloak/';

/** The Keycloak site of a config, or undefined when authentication is not Keycloak's. */
export function keycloakModel(config: ProjectConfig, options: { tls: boolean }): KeycloakModel | undefined {
  const auth = config.authentication;
  if (!auth) return undefined;
  if (!options.tls) {
    throw new UserError(
      `authentication.backend "${auth.backend}" needs TLS: richie-dev serves Keycloak on ${auth.host}:${auth.port} over TLS only, and keycloak-js needs a secure page for PKCE (crypto.subtle).`,
      { fix: 'Use "richie-dev run-ssl" (or "render --ssl"), or remove "authentication" from richie-dev.config.json for plain HTTP.' },
    );
  }
  const origin = `https://${auth.host}:${auth.port}`;
  const catalogOrigin = `https://${config.catalog.host}:${config.catalog.port}`;
  const lms = config.lmses[0];
  const lmsOrigin = lms && `https://${lms.host}:${lms.port}`;
  return {
    backend: auth.backend,
    realm: auth.realm,
    clientId: auth.clientId,
    host: auth.host,
    port: auth.port,
    origin,
    realmUrl: `${origin}/realms/${encodeURIComponent(auth.realm)}`,
    catalogOrigin,
    redirectUris: [`${catalogOrigin}/*`],
    webOrigins: [catalogOrigin],
    ...(auth.upstream ? { upstream: auth.upstream } : {}),
    ...(auth.backend === 'fonzie-keycloak' && lmsOrigin ? { lmsClient: { clientId: KEYCLOAK_LMS_CLIENT_ID, origin: lmsOrigin, redirectUris: [`${lmsOrigin}${LMS_KEYCLOAK_CALLBACK}`] } } : {}),
  };
}

/** What Richie reads for Keycloak (sandbox/settings.py, RICHIE_AUTHENTICATION_DELEGATION); over the catalog env's AUTHENTICATION_*. */
export function catalogKeycloakEnv(model: KeycloakModel, lmsOrigin: string): Record<string, string> {
  return {
    // keycloak: keycloak-js's url is the backend's endpoint; fonzie-keycloak: the LMS, with Keycloak beside it.
    AUTHENTICATION_BASE_URL: model.backend === 'keycloak' ? model.origin : lmsOrigin,
    AUTHENTICATION_BACKEND: model.backend,
    AUTHENTICATION_KEYCLOAK_BASE_URL: model.origin,
    AUTHENTICATION_KEYCLOAK_REALM: model.realm,
    AUTHENTICATION_KEYCLOAK_CLIENT_ID: model.clientId,
  };
}

/**
 * The stand-in's env file (templates/images/demo-keycloak/server.mjs reads these); with
 * `fonzie-keycloak`, the LMS's client too, its secret the project's `keycloakLmsClientSecret`.
 */
export function keycloakEnv(model: KeycloakModel, secrets: { keycloakLmsClientSecret: string }): Record<string, string> {
  return {
    KEYCLOAK_URL: model.origin,
    KEYCLOAK_REALM: model.realm,
    KEYCLOAK_CLIENT_ID: model.clientId,
    KEYCLOAK_WEB_ORIGINS: JSON.stringify(model.webOrigins),
    KEYCLOAK_REDIRECT_URIS: JSON.stringify(model.redirectUris),
    ...(model.lmsClient
      ? {
          KEYCLOAK_LMS_CLIENT_ID: model.lmsClient.clientId,
          KEYCLOAK_LMS_CLIENT_SECRET: secrets.keycloakLmsClientSecret,
          KEYCLOAK_LMS_REDIRECT_URIS: JSON.stringify(model.lmsClient.redirectUris),
        }
      : {}),
  };
}

/**
 * `fonzie-keycloak`: what the first LMS reads to log users in through Keycloak, over its env
 * (src/lms/env.ts lmsEnv), under python-social-auth's names for an OpenID Connect backend named
 * "keycloak" (social_core/backends/open_id_connect.py: SOCIAL_AUTH_<NAME>_OIDC_ENDPOINT, _KEY,
 * _SECRET; social_core/actions.py: SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS, which `next` must name,
 * host and port, to leave the LMS) and edx-platform's FEATURES['ENABLE_THIRD_PARTY_AUTH'] (its
 * /auth/ URLs). The LMS reaches Keycloak at its public URL (nginx answers to that name inside
 * the stack) and trusts richie-dev's CA as for its other https calls.
 */
export function withLmsKeycloakEnv(env: Record<string, string>, model: KeycloakModel, secrets: { keycloakLmsClientSecret: string }): Record<string, string> {
  if (!model.lmsClient) return env;
  const features = JSON.parse(env.FEATURES ?? '{}') as Record<string, unknown>;
  return {
    ...env,
    FEATURES: JSON.stringify({ ...features, ENABLE_THIRD_PARTY_AUTH: true }),
    SOCIAL_AUTH_KEYCLOAK_OIDC_ENDPOINT: model.realmUrl,
    SOCIAL_AUTH_KEYCLOAK_KEY: model.lmsClient.clientId,
    SOCIAL_AUTH_KEYCLOAK_SECRET: secrets.keycloakLmsClientSecret,
    SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS: JSON.stringify([new URL(model.catalogOrigin).host]),
  };
}

/** The realm and client a real Keycloak needs for this catalog (Keycloak's admin console fields). */
export interface RealmSettings {
  /** Keycloak's own URL as browsers reach it (its hostname setting), and how it is served. */
  url: string;
  realm: string;
  client: {
    clientId: string;
    publicClient: true;
    standardFlowEnabled: true;
    /** Client → Advanced → "Proof Key for Code Exchange Code Challenge Method". */
    pkceCodeChallengeMethod: 'S256';
    redirectUris: string[];
    postLogoutRedirectUris: string[];
    webOrigins: string[];
  };
  /**
   * `fonzie-keycloak`: the LMS's client, confidential ("Client authentication" on, the secret
   * the LMS's SOCIAL_AUTH_KEYCLOAK_SECRET holds, never printed here), standard flow.
   */
  lmsClient?: {
    clientId: string;
    publicClient: false;
    standardFlowEnabled: true;
    redirectUris: string[];
    /** Where the secret is: not printed unless asked. */
    secret: string;
  };
  /** With an upstream: the Keycloak options that make it answer behind richie-dev's nginx. */
  serverOptions?: string[];
}

export function realmSettings(model: KeycloakModel): RealmSettings {
  return {
    url: model.origin,
    realm: model.realm,
    client: {
      clientId: model.clientId,
      publicClient: true,
      standardFlowEnabled: true,
      pkceCodeChallengeMethod: 'S256',
      redirectUris: model.redirectUris,
      postLogoutRedirectUris: model.redirectUris,
      webOrigins: model.webOrigins,
    },
    ...(model.lmsClient
      ? {
          lmsClient: {
            clientId: model.lmsClient.clientId,
            publicClient: false as const,
            standardFlowEnabled: true as const,
            redirectUris: model.lmsClient.redirectUris,
            secret: 'SOCIAL_AUTH_KEYCLOAK_SECRET in "richie-dev render --ssl --print lms"',
          },
        }
      : {}),
    // Keycloak 25+ (https://www.keycloak.org/server/reverseproxy, /server/hostname): its public
    // URL and the X-Forwarded-* headers nginx sets.
    ...(model.upstream ? { serverOptions: [`--hostname=${model.origin}`, '--proxy-headers=xforwarded', '--http-enabled=true'] } : {}),
  };
}
