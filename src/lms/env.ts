/**
 * The settings of both apps, as env entries: the catalog's (what Richie reads into
 * RICHIE_LMS_BACKENDS and RICHIE_AUTHENTICATION_DELEGATION) and the LMS's (OpenEdX's CORS,
 * CSRF-cookie, session and course-hook settings). Structured values are JSON.
 */
import type { SiteModel } from './site.js';

export const BACKENDS = {
  fake: { backend: 'richie.apps.courses.lms.base.BaseLMSBackend', js: 'dummy', auth: 'dummy' },
  real: { backend: 'richie.apps.courses.lms.edx.EdXLMSBackend', js: 'openedx-hawthorn', auth: 'openedx-hawthorn' },
} as const;

export function catalogEnv(model: SiteModel): Record<string, string> {
  const backend = BACKENDS[model.backend];
  const lmsBackend = {
    BASE_URL: model.lms.origin,
    BACKEND: backend.backend,
    COURSE_REGEX: model.regexes.python,
    JS_BACKEND: backend.js,
    JS_COURSE_REGEX: model.regexes.javascript,
    COURSE_RUN_SYNC_NO_UPDATE_FIELDS: model.sync.noUpdateFields,
    DEFAULT_COURSE_RUN_SYNC_MODE: model.sync.mode,
  };
  return {
    EDX_BASE_URL: model.lms.origin,
    EDX_BACKEND: backend.backend,
    EDX_COURSE_REGEX: model.regexes.python,
    EDX_JS_BACKEND: backend.js,
    EDX_JS_COURSE_REGEX: model.regexes.javascript,
    AUTHENTICATION_BASE_URL: model.lms.origin,
    AUTHENTICATION_BACKEND: backend.auth,
    COURSE_RUN_SYNC_NO_UPDATE_FIELDS: JSON.stringify(model.sync.noUpdateFields),
    DEFAULT_COURSE_RUN_SYNC_MODE: model.sync.mode,
    RICHIE_COURSE_RUN_SYNC_SECRETS: model.sync.secret,
    RICHIE_LMS_BACKENDS: JSON.stringify([lmsBackend]),
    CSRF_TRUSTED_ORIGINS: model.catalog.origin,
    RICHIE_DEV_SITE_URL: model.catalog.origin,
    RICHIE_DEV_SAMPLE_COURSE_URL: model.sampleCourseUrl,
  };
}

export function lmsEnv(model: SiteModel): Record<string, string> {
  return {
    LMS_ROOT_URL: model.lms.origin,
    FEATURES: JSON.stringify({ ENABLE_CORS_HEADERS: true, ENABLE_CROSS_DOMAIN_CSRF_COOKIE: model.tls }),
    CORS_ALLOW_CREDENTIALS: 'true',
    CORS_ALLOW_INSECURE: String(!model.tls),
    // Exactly the catalog origin: a credentialed CORS request from anywhere else is refused.
    CORS_ORIGIN_WHITELIST: JSON.stringify([model.catalog.origin]),
    CSRF_TRUSTED_ORIGINS: JSON.stringify([model.catalog.origin]),
    CROSS_DOMAIN_CSRF_COOKIE_DOMAIN: model.cookieDomain ?? '',
    CROSS_DOMAIN_CSRF_COOKIE_NAME: 'edx_csrf_token',
    SESSION_COOKIE_NAME: 'edx_session',
    SESSION_COOKIE_SECURE: String(model.tls),
    CSRF_COOKIE_SECURE: String(model.tls),
    // OpenEdX's course hooks: POST course runs to the catalog, verifying its certificate with our CA.
    COURSE_HOOKS: JSON.stringify([{ url: model.sync.url, secret: model.sync.secret, verify: true }]),
    RICHIE_DEV_CATALOG_URL: model.catalog.origin,
  };
}
