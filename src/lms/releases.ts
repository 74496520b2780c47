/**
 * OpenEdX releases and what differs between them for Richie:
 *
 * - the CORS_ORIGIN_WHITELIST form. Dogwood to Ironwood (Python 2):
 *   `is_cross_domain_request_allowed` (edx-platform openedx/core/djangoapps/cors_csrf/helpers.py)
 *   looks up the Referer's *hostname* (no port), and django-cors-headers 2.x matches the Origin
 *   by its *netloc* (`host:port`, no scheme): both forms are needed, one gating the CSRF cookie
 *   and unsafe requests, the other the CORS headers. Later releases (Python 3,
 *   django-cors-headers 3+): the Referer's *origin*, and entries must carry a scheme (a
 *   scheme-less entry stops the LMS at start, corsheaders.E013);
 * - Richie's front-end module (richie-education js/api/lms): `openedx-dogwood` reads the user
 *   from /api/mobile/v0.5/my_user_info, which Dogwood and Eucalyptus have instead of
 *   /api/user/v1/me; `openedx-hawthorn` for Hawthorn and later;
 * - Richie's SSO backend, for Richie before v2.15.0 only (richie
 *   src/richie/apps/social/backends.py before f890d498d, which removed social auth): `EdXOIDC`
 *   ("can be used with old OpenEdx releases, e.g. Dogwood") for Dogwood, `EdXOAuth2` from
 *   Eucalyptus. Richie 2.15 and later authenticate by the LMS's cross-domain cookies only;
 * - COURSE_HOOKS: read by openedx-docker's Dogwood and Eucalyptus settings only; their resource
 *   links end in /info, as richie env.d/development/dev.dist's EDX_COURSE_REGEX expects.
 *
 * Releases between Ironwood and Maple are not offered: richie-dev has not checked which
 * whitelist rule each of them applies. The names offered are the config's (config-model.ts
 * RELEASE_NAMES, below the layers that read the config); RELEASES must cover exactly them.
 */
import type { Release } from '../config-model.js';

export { DEFAULT_RELEASE, RELEASE_NAMES, type Release } from '../config-model.js';

export type WhitelistForm = 'netloc' | 'origin';

interface ReleaseFacts {
  whitelist: WhitelistForm;
  jsBackend: 'openedx-dogwood' | 'openedx-hawthorn';
  /** richie.apps.social.backends.<sso>: Richie before v2.15.0 only. */
  sso: 'EdXOIDC' | 'EdXOAuth2';
  readsCourseHooks: boolean;
}

const PY2 = { whitelist: 'netloc', jsBackend: 'openedx-hawthorn', sso: 'EdXOAuth2', readsCourseHooks: false } as const;
const LATER = { whitelist: 'origin', jsBackend: 'openedx-hawthorn', sso: 'EdXOAuth2', readsCourseHooks: false } as const;

export const RELEASES = {
  dogwood: { ...PY2, jsBackend: 'openedx-dogwood', sso: 'EdXOIDC', readsCourseHooks: true },
  eucalyptus: { ...PY2, jsBackend: 'openedx-dogwood', readsCourseHooks: true },
  hawthorn: PY2,
  ironwood: PY2,
  maple: LATER,
  nutmeg: LATER,
  olive: LATER,
  palm: LATER,
  quince: LATER,
  redwood: LATER,
  sumac: LATER,
  teak: LATER,
} as const satisfies Record<Release, ReleaseFacts>;

/** CORS_ORIGIN_WHITELIST for a catalog origin ("https://richie.local.dev:8070"), as `release` matches it. */
export function corsWhitelist(release: Release, catalogOrigin: string): string[] {
  const url = new URL(catalogOrigin);
  if (RELEASES[release].whitelist === 'origin') return [url.origin];
  // url.host drops a default port (443): the Origin header then has none either.
  return [...new Set([url.hostname, url.host])];
}
