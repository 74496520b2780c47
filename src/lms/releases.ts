/**
 * OpenEdX releases and the one rule that differs between them for Richie: what a
 * CORS_ORIGIN_WHITELIST entry must look like.
 *
 * - Dogwood to Ironwood (Python 2): `is_cross_domain_request_allowed`
 *   (edx-platform openedx/core/djangoapps/cors_csrf/helpers.py) looks up the Referer's
 *   *hostname* (no port) in the list, and django-cors-headers 2.x matches the Origin by its
 *   *netloc* (`host:port`, no scheme). Both forms are needed: one gates the CSRF cookie and
 *   unsafe requests, the other the CORS headers.
 * - Later releases (Python 3, django-cors-headers 3+): the Referer reduced to its *origin*
 *   must be in the list, and entries must carry a scheme (a scheme-less entry stops the LMS at
 *   start, django-cors-headers' system check corsheaders.E013).
 *
 * Releases between Ironwood and Maple are not offered: richie-dev has not checked which rule
 * each of them applies.
 */
export type WhitelistForm = 'netloc' | 'origin';

export const RELEASES = {
  dogwood: 'netloc',
  eucalyptus: 'netloc',
  hawthorn: 'netloc',
  ironwood: 'netloc',
  maple: 'origin',
  nutmeg: 'origin',
  olive: 'origin',
  palm: 'origin',
  quince: 'origin',
  redwood: 'origin',
  sumac: 'origin',
  teak: 'origin',
} as const satisfies Record<string, WhitelistForm>;

export type Release = keyof typeof RELEASES;

export const RELEASE_NAMES = Object.keys(RELEASES) as Release[];

/** The release Richie's docs and openedx-docker's Richie set-up target. */
export const DEFAULT_RELEASE: Release = 'hawthorn';

/** CORS_ORIGIN_WHITELIST for a catalog origin ("https://richie.local.dev:8070"), as `release` matches it. */
export function corsWhitelist(release: Release, catalogOrigin: string): string[] {
  const url = new URL(catalogOrigin);
  if (RELEASES[release] === 'origin') return [url.origin];
  // url.host drops a default port (443): the Origin header then has none either.
  return [...new Set([url.hostname, url.host])];
}
