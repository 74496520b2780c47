/**
 * The project config as the code uses it: its types, every default, and the OpenEdX releases
 * it may name. Pure data and functions of it, importing nothing of the project's, so the
 * loader (config.ts), the schema (config-schema.ts) and every layer above can share it and
 * nothing imports back (.dependency-cruiser.cjs).
 */

import type { JoanieConfig } from './config-joanie.js';

/**
 * The OpenEdX releases a config may name, in order; what each one means for Richie lives in
 * lms/releases.ts (RELEASES, which must cover exactly these).
 */
export const RELEASE_NAMES = ['dogwood', 'eucalyptus', 'hawthorn', 'ironwood', 'maple', 'nutmeg', 'olive', 'palm', 'quince', 'redwood', 'sumac', 'teak'] as const;

export type Release = (typeof RELEASE_NAMES)[number];

/** The release Richie's docs and openedx-docker's Richie set-up target. */
export const DEFAULT_RELEASE: Release = 'hawthorn';

export const SYNC_MODES = ['manual', 'sync_to_draft', 'sync_to_public'] as const;

/**
 * Richie's sandbox default (richie sandbox/settings.py, EDX_COURSE_REGEX's default): the course id
 * is the path segment before /course. Richie's env.d/development/dev.dist sets another one,
 * ending in /info/?$, the form of the links OpenEdX's course hooks send.
 */
export const DEFAULT_COURSE_REGEX = '^.*/courses/(?P<course_id>.*)/course/?$';

export type SyncMode = (typeof SYNC_MODES)[number];

/** richie-dev.config.json once read: every key the README lists, defaults filled in. */
export interface ProjectConfig {
  /** `upstream`: an app of your own (an http(s) URL) that nginx serves on this site instead of the demo container. */
  catalog: { host: string; port: number; upstream?: string | undefined };
  /**
   * `release`: the OpenEdX release the LMS runs (lms/releases.ts): it decides the whitelist
   * form, Richie's front-end module and SSO backend. `fonzie`: the LMS has the Fonzie API, and
   * Richie authenticates through it (JWT user info).
   */
  lms: { host: string; port: number; release: Release; fonzie: boolean; upstream?: string | undefined };
  /**
   * Every LMS, in Richie's priority order (RICHIE_LMS_BACKENDS): `lms` given as a list, or the
   * one `lms` object with the top-level course keys. `lms` above is the first of them.
   */
  lmses: LmsConfig[];
  /** base, registry, nodeBase, nginxBase: what the built-in images are built on (stack/images.ts, which holds their defaults). */
  images: {
    catalog: string;
    lms: string;
    nginx: string;
    base?: 'auto' | 'host' | 'registry' | undefined;
    registry?: string | undefined;
    nodeBase?: string | undefined;
    nginxBase?: string | undefined;
  };
  /** Python-flavoured regex with a named group `course_id` (Richie's COURSE_REGEX). */
  courseRegex: string;
  /** JavaScript equivalent with an unnamed group; derived from courseRegex when absent. */
  jsCourseRegex?: string | undefined;
  /** A course URL on the LMS used to prove both regexes extract the same id. */
  sampleCourseUrl?: string | undefined;
  courseRunSync: { mode: SyncMode; noUpdateFields: string[] };
  /** A Compose file of the project's own instead of richie-dev's docker-compose.richie.yml. */
  stackFile?: string | undefined;
  /** Richie's Keycloak authentication (src/auth/keycloak.ts); absent: the LMS authenticates. */
  authentication?: AuthenticationConfig | undefined;
  /** Joanie on a sibling host (config-joanie.ts); absent: Richie runs without Joanie. */
  joanie?: JoanieConfig | undefined;
}

/** One LMS, with the keys that route and sync its courses. */
export interface LmsConfig {
  /** "lms" for the one-LMS form; in a list, the name the config gives it. */
  name: string;
  /**
   * What its service, env file and nginx server are called: "lms" for the first (the one-LMS
   * names, so a single LMS and the first of several are the same stack), "lms-<name>" after.
   */
  stem: string;
  host: string;
  port: number;
  release: Release;
  fonzie: boolean;
  upstream?: string | undefined;
  /** Undefined in a list: derived from the LMS's own origin, so each LMS routes its own courses. */
  courseRegex?: string | undefined;
  jsCourseRegex?: string | undefined;
  sampleCourseUrl?: string | undefined;
  courseRunSync: { mode: SyncMode; noUpdateFields: string[] };
}

/** The one-LMS form as the list of LMSes: `lms` with the top-level course keys. */
export function singleLms(config: Omit<ProjectConfig, 'lmses'>): LmsConfig {
  return {
    name: 'lms',
    stem: 'lms',
    ...config.lms,
    courseRegex: config.courseRegex,
    ...(config.jsCourseRegex !== undefined ? { jsCourseRegex: config.jsCourseRegex } : {}),
    ...(config.sampleCourseUrl !== undefined ? { sampleCourseUrl: config.sampleCourseUrl } : {}),
    courseRunSync: config.courseRunSync,
  };
}

/** Every default in one place: the schema takes its defaults from here. */
const DEFAULTS_WITHOUT_LIST: Omit<ProjectConfig, 'lmses'> = {
  catalog: { host: 'richie.local.dev', port: 8070 },
  lms: { host: 'edx.local.dev', port: 8073, release: DEFAULT_RELEASE, fonzie: false },
  images: { catalog: 'richie-dev/demo-catalog:latest', lms: 'richie-dev/demo-lms:latest', nginx: 'richie-dev/nginx:latest' },
  courseRegex: DEFAULT_COURSE_REGEX,
  courseRunSync: { mode: 'sync_to_public', noUpdateFields: [] },
};

export const DEFAULT_CONFIG: Readonly<ProjectConfig> = Object.freeze<ProjectConfig>({ ...DEFAULTS_WITHOUT_LIST, lmses: [singleLms(DEFAULTS_WITHOUT_LIST)] });

/** The hosts every certificate and hosts entry must cover, catalog first. */
export function configuredHosts(config: ProjectConfig): string[] {
  return [...new Set([config.catalog.host, ...config.lmses.map((l) => l.host), ...(config.authentication ? [config.authentication.host] : []), ...(config.joanie ? [config.joanie.host] : [])])];
}

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
