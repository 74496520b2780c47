/**
 * One model of the two sites for a mode (HTTP or TLS) and a backend (fake or real), from the
 * validated config, with the consistency checks that catch enrollment's silent failures.
 * Both env files and both nginx servers are rendered from it, so they cannot disagree.
 */
import type { ProjectConfig } from '../config.js';
import { sharedParentDomain } from '../domains.js';
import { UserError } from '../errors.js';
import { checkCourseUrl, courseRegexes, pythonMatchRegExp, type CourseRegexes } from './regex.js';
import { RELEASES, type Release } from './releases.js';

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
  /** The OpenEdX release the LMS runs: decides the CORS whitelist form, front-end module, course hooks and (Richie < 2.15) SSO. */
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
  if (RELEASES[config.lms.release].readsCourseHooks) {
    const warning = courseHookWarning(regexes, lms.origin, courseId);
    if (warning) warnings.push(warning);
  }
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

/** Richie's own form for the links OpenEdX's course hooks send (richie env.d/development/dev.dist). */
export const INFO_COURSE_REGEX = '^.*/courses/(?P<course_id>.*)/info/?$';

/**
 * The course hooks of the releases that read COURSE_HOOKS post resource links ending in /info
 * (`<LMS>/courses/<course id>/info`). Richie picks the LMS for a link with COURSE_REGEX under
 * re.match (richie src/richie/apps/courses/lms/__init__.py `select_lms`) and answers 400 "No LMS
 * configuration found for this resource link." when none matches; a match whose course_id is
 * another text syncs another course. Richie's sandbox default COURSE_REGEX ends in /course/?$.
 */
function courseHookWarning(regexes: CourseRegexes, lmsOrigin: string, courseId: string): string | undefined {
  const link = `${lmsOrigin}/courses/${courseId}/info`;
  const { source, flags } = pythonMatchRegExp(regexes.python);
  const match = new RegExp(source, flags).exec(link);
  const fix = `set courseRegex to "${INFO_COURSE_REGEX}" (Richie's env.d/development/dev.dist form) and sampleCourseUrl to "${lmsOrigin}/courses/${courseId}/info/" in richie-dev.config.json (and jsCourseRegex, if you set it, to "^.*/courses/(.*)/info/?$").`;
  if (!match) {
    return `courseRegex "${regexes.python}" does not match ${link}, the kind of resource link this release's course hooks (COURSE_HOOKS) send, so Richie answers every course-run sync with 400 "No LMS configuration found for this resource link.". Fix: ${fix}`;
  }
  const found = match.groups?.course_id;
  if (found !== courseId) {
    return `courseRegex "${regexes.python}" finds the course id ${found === undefined ? 'nothing' : `"${found}"`} instead of "${courseId}" in ${link}, the kind of resource link this release's course hooks (COURSE_HOOKS) send, so Richie would sync the wrong course or none. Fix: ${fix}`;
  }
  return undefined;
}
