/**
 * Joanie's side of the render (config `joanie`, config-joanie.ts): Richie's JOANIE_* settings
 * for the catalog, the env file of the demo Joanie (templates/images/demo-joanie/server.mjs), which
 * reads Joanie's own names, so the same list is what a Joanie checkout of yours needs
 * (`joanieSettings`), and the values of its nginx site.
 *
 * - Richie: sandbox/settings.py JOANIE_BACKEND (JOANIE_BASE_URL enables it and Base.post_setup
 *   appends it to RICHIE_LMS_BACKENDS), core/context_processors.py (`joanie_backend`).
 * - Joanie: settings.py SIMPLE_JWT (DJANGO_JWT_PRIVATE_SIGNING_KEY, _ALGORITHM, _TYPE_CLAIM; with
 *   Keycloak DJANGO_KEYCLOAK_ISSUER, _JWK_URL, _USERNAME_CLAIM and JOANIE_JWT_USER_FIELDS_SYNC,
 *   as env.d/development/common.dist sets them),
 *   COURSE_WEB_HOOKS (DJANGO_COURSE_WEB_HOOKS), JOANIE_LMS_BACKENDS (lms_handler/backends/openedx.py
 *   reads API_TOKEN, BASE_URL, SELECTOR_REGEX, COURSE_REGEX), CORS_ALLOWED_ORIGINS.
 */
import { keycloakModel } from '../auth/keycloak.js';
import type { JoanieConfig } from '../config-joanie.js';
import type { ProjectConfig } from '../config.js';
import type { ProjectSecrets } from '../lms/secret.js';
import { pythonMatchRegExp } from '../lms/regex.js';
import type { Site, SiteModel } from '../lms/site.js';
import { escapeRegExp } from '../regexp.js';

export const JOANIE_RICHIE_BACKEND = 'richie.apps.courses.lms.joanie.JoanieBackend';
/** Richie's defaults for JOANIE_COURSE_REGEX and JOANIE_JS_COURSE_REGEX (sandbox/settings.py). */
export const JOANIE_COURSE_REGEX = '^.*/api/v1.0(?P<resource_uri>(?:/(?:courses|course-runs|products)/[^/]+)+)/?$';
export const JOANIE_JS_COURSE_REGEX = '^.*/api/v1.0((?:/(?:courses|course-runs|products)/[^/]+)+)/?$';
/** The course-run links the demo Joanie keeps on the LMS (and Joanie's COURSE_REGEX for them). */
const LMS_COURSE_REGEX = '^.*/courses/(?P<course_id>.*)/info/?$';

/**
 * Whose tokens Joanie checks: the token Richie's front end sends is its authentication backend's
 * (richie-education js/api/joanie.ts, `accessToken()`): Fonzie's (HS256 under the key Joanie
 * shares with it), or with the `keycloak` backend Keycloak's ID token (js/api/auth/keycloak.ts
 * keeps `keycloak.idToken`), RS256 under the realm's published keys.
 */
export type JoanieTokens = { issuer: 'fonzie' } | { issuer: 'keycloak'; realmUrl: string };

export interface JoanieModel {
  site: Site;
  upstream?: string | undefined;
  tokens: JoanieTokens;
}

/** Joanie's site (same scheme as the others), or undefined when the config has no `joanie`. */
export function joanieModel(config: ProjectConfig, model: SiteModel): JoanieModel | undefined {
  const joanie: JoanieConfig | undefined = config.joanie;
  if (!joanie) return undefined;
  const scheme = model.tls ? 'https' : 'http';
  const keycloak = config.authentication?.backend === 'keycloak' ? keycloakModel(config, { tls: model.tls }) : undefined;
  const tokens: JoanieTokens = keycloak ? { issuer: 'keycloak', realmUrl: keycloak.realmUrl } : { issuer: 'fonzie' };
  return { site: { host: joanie.host, port: joanie.port, origin: `${scheme}://${joanie.host}:${joanie.port}` }, ...(joanie.upstream ? { upstream: joanie.upstream } : {}), tokens };
}

/** Keycloak's claims for Joanie's user fields (joanie env.d/development/common.dist). */
const KEYCLOAK_USER_FIELDS = { username: 'preferred_username', first_name: 'given_name', last_name: 'family_name', email: 'email', language: 'locale' };

/** SIMPLE_JWT's settings for the tokens Joanie checks (settings.py), under Joanie's env names. */
function jwtEnv(tokens: JoanieTokens, signingKey: string): Record<string, string> {
  if (tokens.issuer === 'fonzie') return { DJANGO_JWT_PRIVATE_SIGNING_KEY: signingKey, DJANGO_JWT_ALGORITHM: 'HS256', DJANGO_JWT_TYPE_CLAIM: 'token_type' };
  // No signing key: with RS256 and a JWK URL simplejwt verifies with the realm's keys, and Fonzie's
  // key would let Joanie mint tokens nobody asked it to.
  return {
    DJANGO_JWT_ALGORITHM: 'RS256',
    DJANGO_JWT_TYPE_CLAIM: 'typ',
    DJANGO_KEYCLOAK_USERNAME_CLAIM: 'preferred_username',
    DJANGO_KEYCLOAK_ISSUER: tokens.realmUrl,
    DJANGO_KEYCLOAK_JWK_URL: `${tokens.realmUrl}/protocol/openid-connect/certs`,
    JOANIE_JWT_USER_FIELDS_SYNC: JSON.stringify(KEYCLOAK_USER_FIELDS),
  };
}

/** Richie's JOANIE_BACKEND entry as its settings hold it once BASE_URL is set. */
export function joanieLmsBackend(joanie: JoanieModel) {
  return {
    BASE_URL: joanie.site.origin,
    BACKEND: JOANIE_RICHIE_BACKEND,
    API_TOKEN: null,
    JS_BACKEND: 'joanie',
    COURSE_REGEX: JOANIE_COURSE_REGEX,
    JS_COURSE_REGEX: JOANIE_JS_COURSE_REGEX,
    COURSE_RUN_SYNC_NO_UPDATE_FIELDS: [] as string[],
    DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_public',
  };
}

/**
 * The catalog env with Joanie: the JOANIE_* variables Richie reads, and Joanie's entry appended
 * to the demo catalog's copy of RICHIE_LMS_BACKENDS (as post_setup appends it), with its regex.
 */
export function withJoanieCatalogEnv(env: Record<string, string>, joanie: JoanieModel | undefined): Record<string, string> {
  if (!joanie) return env;
  const entry = joanieLmsBackend(joanie);
  const backends = [...(JSON.parse(env.RICHIE_DEV_LMS_BACKENDS ?? '[]') as unknown[]), entry];
  const matchers = [...(JSON.parse(env.RICHIE_DEV_COURSE_REGEX_MATCH ?? '[]') as unknown[]), pythonMatchRegExp(entry.COURSE_REGEX)];
  return {
    ...env,
    JOANIE_BASE_URL: entry.BASE_URL,
    JOANIE_BACKEND: entry.BACKEND,
    JOANIE_JS_BACKEND: entry.JS_BACKEND,
    JOANIE_COURSE_REGEX: entry.COURSE_REGEX,
    JOANIE_JS_COURSE_REGEX: entry.JS_COURSE_REGEX,
    RICHIE_DEV_LMS_BACKENDS: JSON.stringify(backends),
    RICHIE_DEV_COURSE_REGEX_MATCH: JSON.stringify(matchers),
  };
}

/**
 * Joanie's settings, under Joanie's names: the demo Joanie's env file, and what a Joanie checkout
 * of yours needs. What it shares: how to check the token Richie sends (Fonzie's JWT signing key,
 * or Keycloak's realm), the catalog's sync secret, the LMS's EDX_API_KEY.
 */
export function joanieEnv(joanie: JoanieModel, model: SiteModel, secrets: Pick<ProjectSecrets, 'edxApiKey' | 'jwtSigningKey'>): Record<string, string> {
  return {
    ...jwtEnv(joanie.tokens, secrets.jwtSigningKey),
    DJANGO_COURSE_WEB_HOOKS: JSON.stringify([{ url: model.sync.url, secret: model.sync.secret, verify: true }]),
    JOANIE_LMS_BACKENDS: JSON.stringify([
      {
        API_TOKEN: secrets.edxApiKey,
        BACKEND: 'joanie.lms_handler.backends.openedx.OpenEdXLMSBackend',
        BASE_URL: model.lms.origin,
        SELECTOR_REGEX: `^${escapeRegExp(model.lms.origin)}/courses/.*$`,
        COURSE_REGEX: LMS_COURSE_REGEX,
      },
    ]),
    // django-configurations' ListValue: comma-separated.
    DJANGO_CORS_ALLOWED_ORIGINS: model.catalog.origin,
    // The demo's own: its Django site (course-run links), the LMS's sample course.
    RICHIE_DEV_JOANIE_ORIGIN: joanie.site.origin,
    RICHIE_DEV_SAMPLE_COURSE_ID: model.courseId,
  };
}

/** The values in joanieEnv that are secrets (masked unless asked). */
export const JOANIE_SECRET_NAMES = ['DJANGO_JWT_PRIVATE_SIGNING_KEY', 'DJANGO_COURSE_WEB_HOOKS', 'JOANIE_LMS_BACKENDS'] as const;

/** What a Joanie checkout of yours needs, one line each; secret values masked unless `showSecrets`. */
export function joanieSettings(joanie: JoanieModel, model: SiteModel, secrets: Pick<ProjectSecrets, 'edxApiKey' | 'jwtSigningKey'>, showSecrets = false): string[] {
  const mask = (value: string) => (showSecrets ? value : '***');
  const env = joanieEnv(joanie, model, secrets);
  const tokens =
    joanie.tokens.issuer === 'fonzie'
      ? [`DJANGO_JWT_PRIVATE_SIGNING_KEY=${mask(env.DJANGO_JWT_PRIVATE_SIGNING_KEY!)}  (Fonzie's SIMPLE_JWT signing key on the LMS)`, `DJANGO_JWT_ALGORITHM=${env.DJANGO_JWT_ALGORITHM}`, `DJANGO_JWT_TYPE_CLAIM=${env.DJANGO_JWT_TYPE_CLAIM}`]
      : [
          'DJANGO_JWT_PRIVATE_SIGNING_KEY=<any value of yours>  (Joanie needs one to start; it checks Keycloak\'s tokens with the realm\'s keys)',
          ...['DJANGO_JWT_ALGORITHM', 'DJANGO_JWT_TYPE_CLAIM', 'DJANGO_KEYCLOAK_USERNAME_CLAIM', 'DJANGO_KEYCLOAK_ISSUER'].map((name) => `${name}=${env[name]}`),
          `DJANGO_KEYCLOAK_JWK_URL=${env.DJANGO_KEYCLOAK_JWK_URL}  (fetched by your Joanie: Python must trust richie-dev's CA, e.g. SSL_CERT_FILE=.richie-dev/ssl/ca.pem of this project)`,
          `JOANIE_JWT_USER_FIELDS_SYNC=${env.JOANIE_JWT_USER_FIELDS_SYNC}`,
        ];
  return [
    ...tokens,
    `DJANGO_COURSE_WEB_HOOKS=[{"url": "${model.sync.url}", "secret": "${mask(model.sync.secret)}", "verify": true}]  (the secret is the catalog's DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS)`,
    `JOANIE_LMS_BACKENDS: BASE_URL ${model.lms.origin}, API_TOKEN ${mask(secrets.edxApiKey)} (the LMS's EDX_API_KEY), BACKEND joanie.lms_handler.backends.openedx.OpenEdXLMSBackend`,
    `DJANGO_CORS_ALLOWED_ORIGINS=${env.DJANGO_CORS_ALLOWED_ORIGINS}`,
    `Django site domain: ${joanie.site.host}:${joanie.site.port} (course-run links ${joanie.site.origin}/api/v1.0/course-runs/<id>/)`,
  ];
}
