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
import { UserError } from '../errors.js';

/** Richie's front-end backends that go through Keycloak (richie-education js/types/api.ts APIBackend). */
export const KEYCLOAK_BACKENDS = ['keycloak', 'fonzie-keycloak'] as const;
export type KeycloakBackend = (typeof KEYCLOAK_BACKENDS)[number];

/** `authentication` once validated (src/auth/schema.ts). */
export interface AuthenticationConfig {
  /** `keycloak`: Richie logs in through keycloak-js; `fonzie-keycloak`: through the LMS's /keycloak-login and Fonzie. */
  backend: KeycloakBackend;
  realm: string;
  clientId: string;
  /** The Keycloak site's own sibling host and port, served over TLS by richie-dev's nginx. */
  host: string;
  port: number;
  /** A Keycloak of the user's own (an http(s) URL) that nginx serves on that host instead of the stand-in. */
  upstream?: string | undefined;
}

export const AUTHENTICATION_DEFAULTS = { realm: 'richie', clientId: 'richie', host: 'keycloak.local.dev', port: 8074 } as const;

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
}

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
  };
}

type Site = { host: string; port: number };
type LmsSite = Site & { fonzie: boolean; upstream?: string | undefined };

/**
 * Why `authentication` cannot work with the rest of the config, each naming its key; checked
 * with the config, before anything is written.
 */
export function authenticationProblems(config: { catalog: Site; lms: LmsSite | LmsSite[]; authentication?: AuthenticationConfig | undefined }): string[] {
  const auth = config.authentication;
  if (!auth) return [];
  const problems: string[] = [];
  const lmses = Array.isArray(config.lms) ? config.lms : [config.lms];
  const sites = [{ key: 'catalog', host: config.catalog.host, port: config.catalog.port }, ...lmses.map((l, i) => ({ key: Array.isArray(config.lms) ? `lms.${i}` : 'lms', host: l.host, port: l.port }))];
  for (const site of sites) {
    if (site.host === auth.host) problems.push(`authentication.host: got "${auth.host}", already taken by ${site.key}.host; Keycloak needs a sibling host of its own, like "${AUTHENTICATION_DEFAULTS.host}"`);
    if (site.port === auth.port) problems.push(`authentication.port: got ${auth.port}, already taken by ${site.key}.port; Keycloak needs a port of its own, like ${AUTHENTICATION_DEFAULTS.port}`);
  }
  if (auth.backend === 'fonzie-keycloak') {
    const first = lmses[0];
    if (first && !first.fonzie) problems.push('authentication.backend: "fonzie-keycloak" reads the user from Fonzie (the LMS\'s /api/v1.0/user/me): set lms.fonzie to true, or use "keycloak"');
    if (first && !first.upstream) problems.push('authentication.backend: "fonzie-keycloak" logs in through the LMS\'s /keycloak-login, which the demo LMS does not have: set lms.upstream to an OpenEdX of your own with Fonzie and Keycloak, or use "keycloak"');
  }
  return problems;
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

/** The stand-in's env file (templates/images/demo-keycloak/server.mjs reads these). */
export function keycloakEnv(model: KeycloakModel): Record<string, string> {
  return {
    KEYCLOAK_URL: model.origin,
    KEYCLOAK_REALM: model.realm,
    KEYCLOAK_CLIENT_ID: model.clientId,
    KEYCLOAK_WEB_ORIGINS: JSON.stringify(model.webOrigins),
    KEYCLOAK_REDIRECT_URIS: JSON.stringify(model.redirectUris),
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
    // Keycloak 25+ (https://www.keycloak.org/server/reverseproxy, /server/hostname): its public
    // URL and the X-Forwarded-* headers nginx sets.
    ...(model.upstream ? { serverOptions: [`--hostname=${model.origin}`, '--proxy-headers=xforwarded', '--http-enabled=true'] } : {}),
  };
}
