// The demo catalog's pages, as Richie's templates render them for its front end (richie
// src/richie/apps/core/templates/richie/base.html, courses/cms/course_detail.html): `<html lang>`,
// window.__richie_frontend_context__ as Richie's FrontendContextProcessor builds it
// (src/richie/apps/core/context_processors.py), the user menu widget in the header, and on a
// course page the course-run list widget with the props of `course_runs_list_widget_props`
// (courses/templatetags/extra_tags.py). Richie's own widgets (richie-education, bundled into
// static/ by frontend/build.mjs) render them and make every call to the LMS; Richie's stylesheet,
// compiled from its scss/, styles them.
import { readFileSync } from 'node:fs';
import { nowMs } from './clock.mjs';
import { LMS_BACKENDS } from './sync.mjs';

const env = process.env;

/**
 * FrontendContextProcessor.context_processor, for Richie's sandbox settings as `make run` runs
 * them (DJANGO_CONFIGURATION=Development, richie env.d/development/common.dist), without web
 * analytics (no WEB_ANALYTICS); Joanie when JOANIE_BASE_URL is set.
 */
export function frontendContext() {
  const context = {
    // The settings class's name, lower-cased (sandbox/settings.py, Base._get_environment).
    environment: 'development',
    // get_release(): sandbox/version.json's version, "NA" without the file (the CI writes it).
    release: 'NA',
    // SENTRY_DSN = values.Value(None): DJANGO_SENTRY_DSN, else None.
    sentry_dsn: env.DJANGO_SENTRY_DSN ?? null,
    // FEATURES = values.DictValue (default {}); richie-dev's catalog env sets no FEATURES.
    features: {},
    // No published page with reverse_id "annex__terms_and_conditions".
    site_urls: { terms_and_conditions: null },
  };
  // RICHIE_AUTHENTICATION_DELEGATION always exists in the sandbox settings (BASE_URL "" and
  // BACKEND "dummy" by default, an environment value used as given, even empty).
  context.authentication = { endpoint: env.AUTHENTICATION_BASE_URL ?? '', backend: env.AUTHENTICATION_BACKEND ?? 'dummy' };
  // get_authentication_context: Keycloak's base URL, client and realm for its two backends.
  if (['keycloak', 'fonzie-keycloak'].includes(context.authentication.backend)) {
    context.authentication.keycloak_endpoint = env.AUTHENTICATION_KEYCLOAK_BASE_URL ?? '';
    context.authentication.keycloak_client_id = env.AUTHENTICATION_KEYCLOAK_CLIENT_ID ?? '';
    context.authentication.keycloak_realm = env.AUTHENTICATION_KEYCLOAK_REALM ?? '';
  }
  // get_joanie_context: {endpoint} when Joanie is enabled (JOANIE_BASE_URL set: post_setup adds
  // its backend, whose is_joanie the template tag looks for), before lms_backends.
  if (env.JOANIE_BASE_URL !== undefined) context.joanie_backend = { endpoint: env.JOANIE_BASE_URL };
  // get_lms_context: nothing at all when RICHIE_LMS_BACKENDS is empty; next_url only for an
  // entry with JS_NEXT_URL.
  if (LMS_BACKENDS.length > 0) {
    context.lms_backends = LMS_BACKENDS.map((lms) => ({
      endpoint: lms.BASE_URL,
      backend: lms.JS_BACKEND,
      course_regexp: lms.JS_COURSE_REGEX,
      ...('JS_NEXT_URL' in lms ? { next_url: lms.JS_NEXT_URL } : {}),
    }));
  }
  return { context };
}

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Richie's base.html: `window.__richie_frontend_context__ = JSON.parse('{{ FRONTEND_CONTEXT|escapejs|safe }}')`. */
function contextScript() {
  const text = JSON.stringify(JSON.stringify(frontendContext())).replace(/</g, '\\u003c');
  return `<script>window.__richie_frontend_context__ = JSON.parse(${text});</script>`;
}

// <html lang="{{ LANGUAGE_CODE|rfc_5646_locale }}">: the sandbox's LANGUAGE_CODE "en" is the
// first of RICHIE's RFC_5646_LOCALES starting with "en" (core/templatetags/rfc_5646_locale.py,
// core/defaults.py).
export const LANG = 'en-US';

/**
 * The user menu's props, `{"profileUrls": {{ AUTHENTICATION.profile_urls }}}` (base.html): the
 * sandbox's PROFILE_URLS (AUTHENTICATION_PROFILE_URLS, a JSON dict, else its default: dashboard,
 * profile, account) with `{base_url}` replaced by AUTHENTICATION_BASE_URL (context_processors.py).
 */
export function userLoginProps() {
  const base = env.AUTHENTICATION_BASE_URL ?? '';
  const urls = env.AUTHENTICATION_PROFILE_URLS
    ? JSON.parse(env.AUTHENTICATION_PROFILE_URLS)
    : {
        dashboard: { label: 'Dashboard', href: '{base_url:s}/dashboard/' },
        profile: { label: 'Profile', href: '{base_url:s}/u/(username)' },
        account: { label: 'Account', href: '{base_url:s}/account/settings' },
      };
  const profileUrls = Object.fromEntries(Object.entries(urls).map(([key, url]) => [key, { label: String(url.label), action: String(url.href).replace(/\{base_url(?::s)?\}/g, base) }]));
  return { profileUrls };
}

/** Richie's `{% static %}` paths for its stylesheet and its front-end build (base.html). */
export const STATIC_PATHS = { css: '/static/richie/css/main.css', js: '/static/richie/js/build/index.js' };

/** base.html, cut down to what the demo has: the header with the user menu, the main content. */
function layout(title, subheader, content) {
  return `<!doctype html>
<html lang="${LANG}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<link rel="stylesheet" type="text/css" href="${STATIC_PATHS.css}"></head>
<body>
<div id="modal-exclude">
<div id="site-header"><div class="topbar" id="main-menu"><div class="topbar__container"><header class="topbar__header">
<div class="topbar__brand"><a href="/" title="Go to homepage" rel="home"><strong>Richie demo catalog</strong></a></div>
<div class="topbar__menu topbar__menu--aside"><ul class="topbar__list topbar__list--controls">
<li class="topbar__item topbar__item--login richie-react richie-react--user-login" data-props='${escape(JSON.stringify(userLoginProps()))}'></li>
</ul></div>
</header></div></div></div>
<main id="site-content" class="body-content">
${subheader}
${content}
</main>
</div>
${contextScript()}
<script src="${STATIC_PATHS.js}"></script>
</body></html>`;
}

// ---------------------------------------------------------------------------------------------
// Course-run state: CourseRun.compute_state (courses/models/course.py) and CourseState's
// priorities, calls to action and texts.

export const STATE = { ONGOING_OPEN: 0, FUTURE_OPEN: 1, ARCHIVED_OPEN: 2, FUTURE_NOT_YET_OPEN: 3, FUTURE_CLOSED: 4, ONGOING_CLOSED: 5, ARCHIVED_CLOSED: 6, TO_BE_SCHEDULED: 7 };
const CALLS_TO_ACTION = ['enroll now', 'enroll now', 'study now', null, null, null, null, null];
const TEXTS = ['open for enrollment', 'starting on', 'closing on', 'starting on', 'enrollment closed', 'on-going', 'archived', 'to be scheduled'];

/**
 * compute_state(start, end, enrollment_start, enrollment_end) at `now` (ms): { priority,
 * datetime, call_to_action, text } as CourseState holds them. A missing end or enrollment end
 * means forever (MAX_DATE); "forever open" when an open run's enrollment never ends.
 */
export function computeState({ start, end, enrollment_start: enrollmentStart, enrollment_end: enrollmentEnd }, now = nowMs()) {
  const state = (priority, datetime = null) => {
    let text = TEXTS[priority];
    if ((priority === STATE.ONGOING_OPEN || priority === STATE.ARCHIVED_OPEN) && datetime === Infinity) {
      text = 'forever open';
      datetime = null;
    } else if (priority === STATE.ONGOING_OPEN) datetime = null;
    return { priority, datetime, call_to_action: CALLS_TO_ACTION[priority], text };
  };
  if (!start || !enrollmentStart) return state(STATE.TO_BE_SCHEDULED);
  const t = (iso) => (iso ? Date.parse(iso) : Infinity);
  const [s, e, es, ee] = [t(start), t(end), t(enrollmentStart), t(enrollmentEnd)];
  const at = (ms) => (ms === Infinity ? Infinity : new Date(ms).toISOString());
  if (s < now) {
    if (e > now) return ee > now ? state(STATE.ONGOING_OPEN, at(ee)) : state(STATE.ONGOING_CLOSED);
    return es < now && now < ee ? state(STATE.ARCHIVED_OPEN, at(ee)) : state(STATE.ARCHIVED_CLOSED);
  }
  if (es > now) return state(STATE.FUTURE_NOT_YET_OPEN, at(s));
  if (ee > now) return state(STATE.FUTURE_OPEN, at(s));
  return state(STATE.FUTURE_CLOSED);
}

// ReactPropsCourseRunSerializer's fields (courses/serializers.py), in its order.
const PROPS_FIELDS = ['id', 'title', 'resource_link', 'start', 'end', 'enrollment_start', 'enrollment_end', 'languages', 'catalog_visibility', 'display_mode', 'snapshot', 'price', 'price_currency', 'offer', 'certificate_price', 'certificate_offer', 'discounted_price', 'discount', 'certificate_discounted_price', 'certificate_discount'];
// RICHIE_MAX_ARCHIVED_COURSE_RUNS (courses/defaults.py); the sandbox does not set it.
const MAX_ARCHIVED_COURSE_RUNS = 10;

/**
 * The runs of `course` in the demo state, in the page's version (public, or draft), each with the
 * id Richie's database would give it (its rank in the state, from 1) and its state now.
 */
export function courseRuns(state, course, { draft = false, now = nowMs() } = {}) {
  return state.runs
    .map((run, i) => ({ run, id: i + 1 }))
    .filter(({ run }) => run.course === course.code && (draft ? run.draft : run.public))
    .map(({ run, id }) => {
      const version = draft ? run.draft : run.public;
      return { ...version, id, state: computeState(version, now) };
    });
}

/**
 * course_runs_list_widget_props: the course, and its runs as ReactPropsCourseRunSerializer writes
 * them, outside edit mode leaving out hidden runs and runs without a start.
 */
export function courseRunsListProps(course, courseId, runs) {
  const listed = runs.filter((run) => run.catalog_visibility !== 'hidden' && run.start);
  return {
    course: { id: courseId, code: course.code, is_self_paced: course.is_self_paced ?? false },
    courseRuns: listed.map((run) => Object.fromEntries(PROPS_FIELDS.map((f) => [f, f in run ? run[f] : PROPS_DEFAULTS[f]]))),
    maxArchivedCourseRuns: MAX_ARCHIVED_COURSE_RUNS,
  };
}
// What the CourseRun model holds for the fields a sync does not set (models/course.py): no
// title (a translated field), display_mode DETAILED, snapshot None for a course's own run.
const PROPS_DEFAULTS = { title: null, display_mode: 'detailed', snapshot: null, languages: [], catalog_visibility: 'course_and_search', price: null, price_currency: 'EUR', offer: null, certificate_price: null, certificate_offer: null, discounted_price: null, discount: null, certificate_discounted_price: null, certificate_discount: null };

/**
 * A course page (course_detail.html): the title and the course-run list widget in the subheader,
 * the aside the widget fills, with the RDFa of each run visible on the page grouped by state
 * (course_runs_dict, priorities 0 to 6, `visible_on_course_page`).
 */
export function coursePage(course, { id, runs, draft = false }) {
  const props = courseRunsListProps(course, id, runs);
  const rdfa = [...runs]
    .filter((run) => run.state.priority < STATE.TO_BE_SCHEDULED && run.catalog_visibility !== 'hidden')
    .sort((a, b) => a.state.priority - b.state.priority)
    .map((run) => `<span rel="hasCourseInstance" typeof="CourseInstance"><meta property="name" content="${escape(run.title ?? course.title)}" /><meta property="courseMode" content="online" /><meta property="startDate" content="${escape(run.start?.slice(0, 10))}" /><meta property="endDate" content="${escape(run.end?.slice(0, 10))}" /></span>`)
    .join('');
  const subheader = `<div class="subheader subheader--alternative"><div class="subheader__container"><div class="subheader__intro"><div class="subheader__main">
<h1 class="subheader__title" property="name">${escape(course.title)}</h1>${draft ? '<p><strong>Draft version</strong></p>' : ''}
<div class="subheader__code" property="courseCode" content="${escape(course.code)}">Ref. ${escape(course.code)}</div>
</div><div class="subheader__aside">
<div class="richie-react richie-react--syllabus-course-runs-list" data-props='${escape(JSON.stringify(props))}'></div>
</div></div></div></div>`;
  const content = `<div class="course-detail"><div class="course-detail__grid"><div class="course-detail__wrapper">
<div class="course-detail__content"></div>
<div class="course-detail__aside">${rdfa}</div>
</div></div></div>`;
  return layout(`${course.title} - Course`, subheader, content);
}

export function homePage(courses) {
  const list = courses.map((course, i) => `<li><a href="${coursePath(i)}">${escape(course.title)}</a> (${escape(course.code)})</li>`).join('');
  const lmses = LMS_BACKENDS.map((lms) => `${escape(lms.JS_BACKEND)} at ${escape(lms.BASE_URL)}`).join(', ');
  return layout('Richie demo catalog', '<div class="subheader"><div class="subheader__container"><h1 class="subheader__title">Richie demo catalog</h1></div></div>', `<div class="course-detail"><div class="course-detail__row"><ul>${list}</ul><p>LMS backend${LMS_BACKENDS.length > 1 ? 's' : ''}: ${lmses}</p></div></div>`);
}

/** The course page of the demo state's `index`th course: /en/courses/demo/, then /en/courses/demo-2/ and on. */
export const coursePath = (index) => `/en/courses/${index === 0 ? 'demo' : `demo-${index + 1}`}/`;

/** The bundle and the stylesheet, read once, at Richie's static paths. */
const STATIC = new Map();
const FILES = { [STATIC_PATHS.js]: ['richie-frontend.js', 'text/javascript; charset=utf-8'], [STATIC_PATHS.css]: ['richie.css', 'text/css; charset=utf-8'], '/static/richie-frontend.LICENSES.txt': ['richie-frontend.LICENSES.txt', 'text/plain; charset=utf-8'] };
export function staticFile(path) {
  const file = FILES[path];
  if (!file) return undefined;
  if (!STATIC.has(path)) STATIC.set(path, readFileSync(new URL(`./static/${file[0]}`, import.meta.url)));
  return { body: STATIC.get(path), type: file[1] };
}
