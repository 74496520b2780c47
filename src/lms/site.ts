/**
 * One model of the two sites for a mode (HTTP or TLS) and a backend (fake or real), from the
 * validated config, with the consistency checks that catch enrollment's silent failures.
 * Both env files and both nginx servers are rendered from it, so they cannot disagree.
 */
import type { ProjectConfig } from '../config.js';
import { sharedParentDomain } from '../domains.js';
import { UserError } from '../errors.js';
import { checkCourseUrl, courseRegexes, type CourseRegexes } from './regex.js';
import type { Release } from './releases.js';

export type Backend = 'fake' | 'real';

export interface Site {
  host: string;
  port: number;
  /** What the browser uses: scheme, host (localhost over HTTP when the host is HSTS-preloaded) and port. */
  origin: string;
}

export interface SiteModel {
  tls: boolean;
  backend: Backend;
  /** The OpenEdX release the LMS runs: decides the CORS whitelist form, front-end module and SSO. */
  release: Release;
  /** The LMS has the Fonzie API; Richie authenticates through it. */
  fonzie: boolean;
  catalog: Site;
  lms: Site;
  /** The parent domain the LMS sets its cross-domain CSRF cookie on (".local.dev"), TLS only. */
  cookieDomain: string | null;
  regexes: CourseRegexes;
  sampleCourseUrl: string;
  courseId: string;
  sync: { mode: ProjectConfig['courseRunSync']['mode']; noUpdateFields: string[]; url: string; secret: string };
  warnings: string[];
}

/**
 * TLDs on browsers' HSTS preload list (Chromium's transport_security_state_static.json): a
 * browser upgrades any http:// URL under them to https.
 */
const HSTS_PRELOADED_TLDS = new Set(['dev', 'app', 'page', 'new', 'day', 'foo', 'bank', 'insurance', 'boo', 'dad', 'eat', 'esq', 'fly', 'gle', 'ing', 'meme', 'mov', 'nexus', 'phd', 'prof', 'rsvp', 'zip']);

export function hstsPreloaded(host: string): boolean {
  return HSTS_PRELOADED_TLDS.has(host.slice(host.lastIndexOf('.') + 1));
}

export async function siteModel(config: ProjectConfig, options: { tls: boolean; backend: Backend; secret: string }): Promise<SiteModel> {
  const { tls, backend } = options;
  const warnings: string[] = [];
  if (backend === 'real' && !tls) {
    throw new UserError(
      'The real LMS backend cannot work over plain HTTP: OpenEdX marks its cross-domain CSRF cookie Secure, so the browser never stores or sends it without TLS, and every enrollment POST is refused.',
      { fix: 'Use "richie-dev run-ssl" (TLS, real backend), or "richie-dev run" with the fake backend.' },
    );
  }
  if (config.catalog.port === config.lms.port) {
    throw new UserError(`catalog.port and lms.port are both ${config.catalog.port}: the two sites need their own ports.`, {
      fix: 'Set different ports in richie-dev.config.json (defaults: 8070 and 8073).',
    });
  }
  if (config.catalog.host === config.lms.host) {
    throw new UserError(`catalog.host and lms.host are both ${config.catalog.host}: the LMS must be a sibling host.`, {
      fix: 'Set lms.host to a sibling like edx.local.dev.',
    });
  }
  const scheme = tls ? 'https' : 'http';
  const site = (host: string, port: number): Site => {
    let browserHost = host;
    if (!tls && hstsPreloaded(host)) {
      browserHost = 'localhost';
      warnings.push(`${host} is under .${host.split('.').pop()}, which browsers force to HTTPS (HSTS preload); over plain HTTP it is served as http://localhost:${port}.`);
    }
    return { host, port, origin: `${scheme}://${browserHost}:${port}` };
  };
  const catalog = site(config.catalog.host, config.catalog.port);
  const lms = site(config.lms.host, config.lms.port);
  // The cookie rule: siblings under a registrable domain. Over HTTP the fake backend shares no cookie.
  const cookieDomain = tls ? `.${await sharedParentDomain([catalog.host, lms.host])}` : null;

  const regexes = courseRegexes(config.courseRegex, config.jsCourseRegex);
  const sampleCourseUrl = config.sampleCourseUrl ?? `${lms.origin}/courses/course-v1:richie+demo+2026/course/`;
  const sample = new URL(sampleCourseUrl);
  const lmsUrl = new URL(lms.origin);
  if (config.sampleCourseUrl && (sample.hostname !== lmsUrl.hostname || sample.port !== lmsUrl.port)) {
    throw new UserError(`sampleCourseUrl ${sampleCourseUrl} is not on the LMS (${lms.origin}): Richie would send its enrollment calls elsewhere.`, {
      fix: `Use a course URL under ${lms.origin}, or change lms.host / lms.port.`,
    });
  }
  const courseId = checkCourseUrl(regexes, sampleCourseUrl);
  return {
    tls,
    backend,
    release: config.lms.release,
    fonzie: config.lms.fonzie,
    catalog,
    lms,
    cookieDomain,
    regexes,
    sampleCourseUrl,
    courseId,
    sync: {
      mode: config.courseRunSync.mode,
      noUpdateFields: config.courseRunSync.noUpdateFields,
      // Inside the stack the LMS reaches the catalog by its public name (a network alias).
      url: `${scheme}://${catalog.host}:${catalog.port}/api/v1.0/course-runs-sync`,
      secret: options.secret,
    },
    warnings,
  };
}
