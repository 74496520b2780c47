/**
 * One model of the two sites for a mode (HTTP or TLS) and a backend (fake or real), from the
 * validated config, with the consistency checks that catch enrollment's silent failures.
 * Both env files and both nginx servers are rendered from it, so they cannot disagree.
 */
import type { LmsConfig, ProjectConfig } from '../config.js';
import { sharedParentDomain } from '../domains.js';
import { escapeRegExp } from '../regexp.js';
import { UserError } from '../errors.js';
import { checkCourseUrl, courseRegexes, extractCourseId, pythonMatchRegExp, type CourseRegexes } from './regex.js';
import { RELEASES, type Release } from './releases.js';

export type Backend = 'fake' | 'real';

export interface Site {
  host: string;
  port: number;
  /** What the browser uses: scheme, host (localhost over HTTP when the host is HSTS-preloaded) and port. */
  origin: string;
}

export interface SiteModel {
  /** The LMS's name ("lms" for the one-LMS form), its stem (service, env file, nginx server) and its config key ("lms" or "lms.1"). */
  name: string;
  stem: string;
  key: string;
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

/** The first LMS's model: the one-LMS form, and what names the EDX_* variables. */
export async function siteModel(config: ProjectConfig, options: { tls: boolean; backend: Backend; secret: string }): Promise<SiteModel> {
  return (await siteModels(config, options))[0]!;
}

/**
 * One model per LMS, in Richie's priority order, each with the same catalog; then the routing
 * check across them: each LMS's sample course must reach that LMS and no other, in Richie's
 * back end (the first COURSE_REGEX that re.match-es) and in its front end (findLmsBackend: the
 * first JS_COURSE_REGEX that matches).
 */
export async function siteModels(config: ProjectConfig, options: { tls: boolean; backend: Backend; secret: string }): Promise<SiteModel[]> {
  const list = config.lmses.length > 1;
  const models: SiteModel[] = [];
  for (const [i, lms] of config.lmses.entries()) models.push(await lmsSiteModel(config, lms, list ? `lms.${i}` : 'lms', options));
  checkRouting(models, list);
  return models;
}

async function lmsSiteModel(config: ProjectConfig, lmsConfig: LmsConfig, key: string, options: { tls: boolean; backend: Backend; secret: string }): Promise<SiteModel> {
  const { tls, backend } = options;
  const warnings: string[] = [];
  const courseKey = (name: string) => (key === 'lms' ? name : `${key}.${name}`);
  if (backend === 'real' && !tls) {
    throw new UserError(
      'The real LMS backend cannot work over plain HTTP: OpenEdX marks its cross-domain CSRF cookie Secure, so the browser never stores or sends it without TLS, and every enrollment POST is refused.',
      { fix: 'Use "richie-dev run-ssl" (TLS, real backend), or "richie-dev run" with the fake backend.' },
    );
  }
  if (config.catalog.port === lmsConfig.port) {
    throw new UserError(`catalog.port and ${key}.port are both ${config.catalog.port}: the two sites need their own ports.`, {
      fix: 'Set different ports in richie-dev.config.json (defaults: 8070 and 8073).',
    });
  }
  if (config.catalog.host === lmsConfig.host) {
    throw new UserError(`catalog.host and ${key}.host are both ${config.catalog.host}: the LMS must be a sibling host.`, {
      fix: `Set ${key}.host to a sibling like edx.local.dev.`,
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
  const lms = site(lmsConfig.host, lmsConfig.port);
  // The cookie rule: siblings under a registrable domain. Over HTTP the fake backend shares no cookie.
  const cookieDomain = tls ? `.${await sharedParentDomain([catalog.host, lms.host])}` : null;

  // In a list, an LMS without its own courseRegex routes the courses on its own origin, in the
  // form its links take: /info for the releases whose course hooks send those, /course else.
  const tail = lmsConfig.courseRegex === undefined && RELEASES[lmsConfig.release].readsCourseHooks ? 'info' : 'course';
  const python = lmsConfig.courseRegex ?? `^${escapeRegExp(lms.origin)}/courses/(?P<course_id>.*)/${tail}/?$`;
  const regexes = courseRegexes(python, lmsConfig.jsCourseRegex);
  const defaultCourse = lmsConfig.stem === 'lms' ? 'course-v1:richie+demo+2026' : `course-v1:richie+${lmsConfig.name}+2026`;
  const sampleCourseUrl = lmsConfig.sampleCourseUrl ?? `${lms.origin}/courses/${defaultCourse}/${tail}/`;
  const sample = new URL(sampleCourseUrl);
  const lmsUrl = new URL(lms.origin);
  if (lmsConfig.sampleCourseUrl && (sample.hostname !== lmsUrl.hostname || sample.port !== lmsUrl.port)) {
    throw new UserError(`${courseKey('sampleCourseUrl')} ${sampleCourseUrl} is not on the LMS (${lms.origin}): Richie would send its enrollment calls elsewhere.`, {
      fix: `Use a course URL under ${lms.origin}, or change ${key}.host / ${key}.port.`,
    });
  }
  const courseId = checkCourseUrl(regexes, sampleCourseUrl);
  if (RELEASES[lmsConfig.release].readsCourseHooks) {
    const warning = courseHookWarning(regexes, lms.origin, courseId, courseKey);
    if (warning) warnings.push(warning);
  }
  return {
    name: lmsConfig.name,
    stem: lmsConfig.stem,
    key,
    tls,
    backend,
    release: lmsConfig.release,
    fonzie: lmsConfig.fonzie,
    catalog,
    lms,
    cookieDomain,
    regexes,
    sampleCourseUrl,
    courseId,
    sync: {
      mode: lmsConfig.courseRunSync.mode,
      noUpdateFields: lmsConfig.courseRunSync.noUpdateFields,
      // Inside the stack the LMS reaches the catalog by its public name (a network alias).
      url: `${scheme}://${catalog.host}:${catalog.port}/api/v1.0/course-runs-sync`,
      secret: options.secret,
    },
    warnings,
  };
}

/** Each LMS's sample course must be routed to that LMS alone, by both regexes (named pair otherwise). */
function checkRouting(models: SiteModel[], list: boolean): void {
  if (!list) return;
  for (const owner of models) {
    for (const other of models) {
      if (other === owner) continue;
      const { python, javascript } = extractCourseId(other.regexes, owner.sampleCourseUrl);
      if (python === undefined && javascript === undefined && !new RegExp(other.regexes.javascript).test(owner.sampleCourseUrl)) continue;
      const first = models.indexOf(other) < models.indexOf(owner) ? other : owner;
      throw new UserError(
        `${other.key} ("${other.name}") also matches ${owner.key} ("${owner.name}")'s course ${owner.sampleCourseUrl}: its ${python !== undefined ? `courseRegex "${other.regexes.python}"` : `jsCourseRegex "${other.regexes.javascript}"`} overlaps ${owner.key}'s, and Richie sends such a course to the first LMS that matches (${first.key}), ${first === owner ? 'so the other LMS can never be told apart by a course link' : 'so it never reaches its own LMS'}.`,
        { fix: `Make the regexes of ${other.key} and ${owner.key} exclusive, e.g. anchored on each LMS's origin ("^${escapeRegExp(owner.lms.origin)}/courses/(?P<course_id>.*)/course/?$"), or leave courseRegex out of both to get that.` },
      );
    }
  }
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
function courseHookWarning(regexes: CourseRegexes, lmsOrigin: string, courseId: string, key: (name: string) => string = (name) => name): string | undefined {
  const link = `${lmsOrigin}/courses/${courseId}/info`;
  const { source, flags } = pythonMatchRegExp(regexes.python);
  const match = new RegExp(source, flags).exec(link);
  // In a list, a regex anchored on the LMS's origin, so it claims no other LMS's courses.
  const regex = key('courseRegex') === 'courseRegex' ? INFO_COURSE_REGEX : `^${escapeRegExp(lmsOrigin)}/courses/(?P<course_id>.*)/info/?$`;
  const fix = `set ${key('courseRegex')} to "${regex}" (Richie's env.d/development/dev.dist form) and ${key('sampleCourseUrl')} to "${lmsOrigin}/courses/${courseId}/info/" in richie-dev.config.json (and ${key('jsCourseRegex')}, if you set it, to "^.*/courses/(.*)/info/?$").`;
  if (!match) {
    return `${key('courseRegex')} "${regexes.python}" does not match ${link}, the kind of resource link this release's course hooks (COURSE_HOOKS) send, so Richie answers every course-run sync with 400 "No LMS configuration found for this resource link.". Fix: ${fix}`;
  }
  const found = match.groups?.course_id;
  if (found !== courseId) {
    return `${key('courseRegex')} "${regexes.python}" finds the course id ${found === undefined ? 'nothing' : `"${found}"`} instead of "${courseId}" in ${link}, the kind of resource link this release's course hooks (COURSE_HOOKS) send, so Richie would sync the wrong course or none. Fix: ${fix}`;
  }
  return undefined;
}
