/**
 * What each app reads, under the names and in the formats the real apps parse:
 * - the catalog env file: the variables Richie's sandbox settings read (richie
 *   sandbox/settings.py: `EDX_*`, `AUTHENTICATION_*`, and `DJANGO_`-prefixed
 *   django-configurations values such as DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS);
 * - the Python settings snippet: what Richie only takes from its settings file
 *   (RICHIE_LMS_BACKENDS with its sync mode and no-update fields), and, commented out, the SSO
 *   settings only Richie before v2.15.0 reads;
 * - the LMS env file: what openedx-docker's settings read
 *   (releases/<release>/.../config/lms/docker_run_production.py), where a `formatter=bool`
 *   value is True for any non-empty string, so False is an empty value, and structured
 *   values are JSON.
 * Variables named RICHIE_DEV_* are read by richie-dev's demo apps only.
 */
import { UserError } from '../errors.js';
import { pythonMatchRegExp } from './regex.js';
import { RELEASES, corsWhitelist } from './releases.js';
import type { ProjectSecrets } from './secret.js';
import type { SiteModel } from './site.js';

/**
 * RICHIE_DEV_DEMO_NOW, read from richie-dev's environment: the instant the demo apps take as
 * "now" when they start (templates/demo-shared/clock.mjs, which accepts the same forms), so a
 * test can start the demo a year later. A date (midnight UTC) or a date and time with Z or an
 * offset: without one, the host and a container in another zone would read different instants.
 */
export const DEMO_NOW_VARIABLE = 'RICHIE_DEV_DEMO_NOW';
const DEMO_NOW_FORM = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** The value checked (undefined when unset or empty); a UserError naming the variable otherwise. */
export function demoNow(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const match = DEMO_NOW_FORM.exec(value);
  // Date.parse rolls 2026-02-30 over to March: the day must exist in its month.
  const real = match && new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))).getUTCDate() === Number(match[3]);
  if (!match || !real || Number.isNaN(Date.parse(value))) {
    throw new UserError(`${DEMO_NOW_VARIABLE}="${value}" is not an ISO 8601 date, or date and time with Z or an offset.`, {
      fix: `Set it like ${DEMO_NOW_VARIABLE}=2027-12-06 or ${DEMO_NOW_VARIABLE}=2027-12-06T09:30:00Z, or unset it (the demo apps then use the real clock).`,
    });
  }
  return value;
}

/** What the env files carry besides the site model: the project's secrets and the demo's clock. */
export interface EnvOptions {
  secrets: Pick<ProjectSecrets, 'edxApiKey' | 'jwtSigningKey'>;
  /** RICHIE_DEV_DEMO_NOW, checked (demoNow). */
  demoNow?: string | undefined;
}

/**
 * Richie's Django LMS backend, its front-end LMS module and its authentication module: the fake
 * backend keeps everything in the browser (dummy); the real one follows the LMS's release, and
 * Fonzie, when the LMS has it, carries authentication (JWT user info).
 */
export function backends(model: SiteModel): { backend: string; js: string; auth: string } {
  if (model.backend === 'fake') return { backend: 'richie.apps.courses.lms.base.BaseLMSBackend', js: 'dummy', auth: 'dummy' };
  const js = RELEASES[model.release].jsBackend;
  return { backend: 'richie.apps.courses.lms.edx.EdXLMSBackend', js, auth: model.fonzie ? 'fonzie' : js };
}

/** Where OpenEdX sends the user back after login: `next=richie/<path>` (richie sandbox/settings.py's default JS_NEXT_URL). */
export const JS_NEXT_URL = 'richie';

/** One RICHIE_LMS_BACKENDS entry, as Richie's settings hold it. */
export interface LmsBackendSettings {
  BASE_URL: string;
  BACKEND: string;
  COURSE_REGEX: string;
  JS_BACKEND: string;
  JS_COURSE_REGEX: string;
  JS_NEXT_URL: string;
  COURSE_RUN_SYNC_NO_UPDATE_FIELDS: string[];
  DEFAULT_COURSE_RUN_SYNC_MODE: string;
}

export function lmsBackend(model: SiteModel): LmsBackendSettings {
  const backend = backends(model);
  return {
    BASE_URL: model.lms.origin,
    BACKEND: backend.backend,
    COURSE_REGEX: model.regexes.python,
    JS_BACKEND: backend.js,
    JS_COURSE_REGEX: model.regexes.javascript,
    JS_NEXT_URL: JS_NEXT_URL,
    COURSE_RUN_SYNC_NO_UPDATE_FIELDS: model.sync.noUpdateFields,
    DEFAULT_COURSE_RUN_SYNC_MODE: model.sync.mode,
  };
}

/** The catalog env: the first RICHIE_LMS_BACKENDS entry under the EDX_* names Richie's sandbox settings read. */
export function catalogEnv(models: readonly SiteModel[], options: Pick<EnvOptions, 'demoNow'> = {}): Record<string, string> {
  const model = models[0]!;
  const all = models.map(lmsBackend);
  const lms = all[0]!;
  return {
    EDX_BASE_URL: lms.BASE_URL,
    EDX_BACKEND: lms.BACKEND,
    EDX_COURSE_REGEX: lms.COURSE_REGEX,
    EDX_JS_BACKEND: lms.JS_BACKEND,
    EDX_JS_COURSE_REGEX: lms.JS_COURSE_REGEX,
    EDX_JS_NEXT_URL: lms.JS_NEXT_URL,
    AUTHENTICATION_BASE_URL: model.lms.origin,
    AUTHENTICATION_BACKEND: backends(model).auth,
    // django-configurations' ListValue: comma-separated (the secret is hex, no commas).
    DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS: model.sync.secret,
    // The demo catalog's copy of the settings snippet, and each COURSE_REGEX as a JavaScript
    // RegExp with Python's re.match semantics (it has no Python to run them).
    RICHIE_DEV_LMS_BACKENDS: JSON.stringify(all),
    RICHIE_DEV_COURSE_REGEX_MATCH: JSON.stringify(all.map((l) => pythonMatchRegExp(l.COURSE_REGEX))),
    RICHIE_DEV_SAMPLE_COURSE_URL: model.sampleCourseUrl,
    // One demo course per LMS (the first is the one above).
    ...(models.length > 1 ? { RICHIE_DEV_SAMPLE_COURSE_URLS: JSON.stringify(models.map((m) => m.sampleCourseUrl)) } : {}),
    ...(options.demoNow ? { [DEMO_NOW_VARIABLE]: options.demoNow } : {}),
  };
}

/** openedx-docker's `formatter=bool`: Python's bool() of the string, so only "" is False. */
export function pythonBool(value: boolean): string {
  return value ? 'true' : '';
}

/**
 * The LMS env. `first`: the first LMS's demo course holds a run in each state a learner can
 * meet (templates/demo-shared/runs.mjs), as the catalog seeds it; the others, their sample run.
 */
export function lmsEnv(model: SiteModel, options: EnvOptions & { first: boolean }): Record<string, string> {
  const lms = new URL(model.lms.origin);
  const hooks = JSON.stringify([{ url: model.sync.url, secret: model.sync.secret, verify: true }]);
  return {
    LMS_BASE: lms.host,
    LMS_ROOT_URL: model.lms.origin,
    // Default: LMS_BASE's host only; the browser may reach it under another name (localhost over HTTP).
    ALLOWED_HOSTS: JSON.stringify([...new Set([model.lms.host, lms.hostname])]),
    FEATURES: JSON.stringify({ ENABLE_CORS_HEADERS: true, ENABLE_CROSS_DOMAIN_CSRF_COOKIE: model.tls }),
    CORS_ORIGIN_WHITELIST: JSON.stringify(corsWhitelist(model.release, model.catalog.origin)),
    CORS_ALLOW_INSECURE: pythonBool(!model.tls),
    CROSS_DOMAIN_CSRF_COOKIE_NAME: 'edx_csrf_token',
    // Read (without a default) whenever FEATURES enables CORS; unused over HTTP, where the cookie is off.
    CROSS_DOMAIN_CSRF_COOKIE_DOMAIN: model.cookieDomain ?? '',
    SESSION_COOKIE_NAME: 'edx_session',
    SESSION_COOKIE_SECURE: pythonBool(model.tls),
    CSRF_COOKIE_SECURE: pythonBool(model.tls),
    // OpenEdX's course hooks: POST course runs to the catalog, verifying its certificate with our CA.
    [RELEASES[model.release].readsCourseHooks ? 'COURSE_HOOKS' : 'RICHIE_DEV_COURSE_HOOKS']: hooks,
    RICHIE_DEV_OPENEDX_RELEASE: model.release,
    RICHIE_DEV_FONZIE: pythonBool(model.fonzie),
    RICHIE_DEV_CATALOG_URL: model.catalog.origin,
    // openedx-docker: EDX_API_KEY = config("EDX_API_KEY", default=None); the X-Edx-Api-Key a
    // server-to-server caller (Joanie) sends (openedx/core/lib/api/permissions.py).
    EDX_API_KEY: options.secrets.edxApiKey,
    // Fonzie's SIMPLE_JWT, as fonzie's edx-platform/config/lms/docker_run_development.py sets it
    // (HS256, the user's username as its id claim), with the project's key instead of the dev
    // one; JSON, as openedx-docker renders structured settings. Only when Fonzie is on.
    ...(model.fonzie ? { SIMPLE_JWT: JSON.stringify({ ALGORITHM: 'HS256', SIGNING_KEY: options.secrets.jwtSigningKey, USER_ID_FIELD: 'username', USER_ID_CLAIM: 'username' }) } : {}),
    // The demo LMS's courses (templates/demo-shared/runs.mjs): the sample course's runs.
    RICHIE_DEV_SAMPLE_COURSE_ID: model.courseId,
    RICHIE_DEV_DEMO_STATE_RUNS: pythonBool(options.first),
    ...(options.demoNow ? { [DEMO_NOW_VARIABLE]: options.demoNow } : {}),
  };
}

/** A Python literal for a JSON value (JSON's string escapes are valid in Python strings). */
export function pythonLiteral(value: unknown, indent = ''): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string' || typeof value === 'number') return JSON.stringify(value);
  const inner = `${indent}    `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${pythonLiteral(v, inner)},\n`).join('')}${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pythonLiteral(v, inner)},\n`).join('')}${indent}}`;
}

/**
 * Richie's SSO with the LMS before v2.15.0, through python-social-auth: the backend of the
 * LMS's release in AUTHENTICATION_BACKENDS and its SOCIAL_AUTH_EDX_* settings (richie
 * sandbox/settings.py and src/richie/apps/social/backends.py before f890d498d; the key and
 * secrets as that Richie's env.d/development/common set them). openfun/richie f890d498d (first
 * in v2.15.0) removed social auth and the richie.apps.social module: later Richie, whose front end
 * richie-education 3.4.0 is, authenticates by the LMS's cross-domain cookies only, and importing
 * these names into it breaks every login. So the snippet carries them commented out.
 */
export function legacySsoSettings(model: SiteModel): Record<string, unknown> {
  if (model.backend === 'fake') return {};
  // Both backends strip a trailing slash and add their paths (authorize/, access_token/...) to it.
  const endpoint = `${model.lms.origin}/oauth2`;
  const sso = RELEASES[model.release].sso;
  const authenticationBackends = [`richie.apps.social.backends.${sso}`, 'django.contrib.auth.backends.ModelBackend'];
  if (sso === 'EdXOIDC') {
    return {
      AUTHENTICATION_BACKENDS: authenticationBackends,
      SOCIAL_AUTH_EDX_OIDC_KEY: 'social-id',
      SOCIAL_AUTH_EDX_OIDC_SECRET: 'fakesecret',
      SOCIAL_AUTH_EDX_OIDC_ID_TOKEN_DECRYPTION_KEY: 'fakesecret',
      SOCIAL_AUTH_EDX_OIDC_ENDPOINT: endpoint,
    };
  }
  return {
    AUTHENTICATION_BACKENDS: authenticationBackends,
    SOCIAL_AUTH_EDX_OAUTH2_KEY: 'social-id',
    SOCIAL_AUTH_EDX_OAUTH2_SECRET: 'fakesecret',
    SOCIAL_AUTH_EDX_OAUTH2_ENDPOINT: endpoint,
  };
}

const commentOut = (text: string): string => text.split('\n').map((line) => `# ${line}`).join('\n');

/**
 * The Python settings snippet for a Richie checkout (the README says where it goes): live, only
 * what current Richie reads; for the real backend, the pre-2.15 SSO settings commented out.
 */
export function richieSettings(models: readonly SiteModel[], marker: string): string {
  const model = models[0]!;
  const settings: Record<string, unknown> = {
    // In priority order: Richie routes a course to the first whose COURSE_REGEX matches.
    RICHIE_LMS_BACKENDS: models.map(lmsBackend),
    RICHIE_COURSE_RUN_SYNC_SECRETS: [model.sync.secret],
  };
  const names = Object.keys(settings);
  const legacy = Object.entries(legacySsoSettings(model));
  return [
    `# ${marker} (delete this line to keep your own changes)`,
    '# Richie settings an env file cannot carry (richie sandbox/settings.py fixes them in the file).',
    "# Copy this file into your Richie checkout's sandbox/ and add this line to the class you run",
    '# in sandbox/settings.py (Development):',
    `#     from lms_backends import ${names.join(', ')}  # noqa`,
    ...Object.entries(settings).map(([name, value]) => `${name} = ${pythonLiteral(value)}`),
    ...(legacy.length === 0
      ? []
      : [
          '',
          '# ONLY FOR RICHIE BEFORE v2.15.0: SSO with the LMS through python-social-auth.',
          '# Richie v2.15.0 removed social auth (openfun/richie f890d498d) and the richie.apps.social',
          '# module with it; later Richie authenticates by the LMS\'s cross-domain cookies only. Do not',
          '# uncomment these lines on Richie 2.15 or later: they would break every login. On an older',
          '# Richie, uncomment them and add their names to the import line above.',
          ...legacy.map(([name, value]) => commentOut(`${name} = ${pythonLiteral(value)}`)),
        ]),
    '',
  ].join('\n');
}
