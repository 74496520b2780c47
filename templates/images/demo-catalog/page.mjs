// The demo catalog's pages, as Richie renders them for its front end: every page sets
// window.__richie_frontend_context__ as Richie's FrontendContextProcessor builds it
// (richie src/richie/apps/core/context_processors.py) and loads Richie's released front end
// (richie-education's LMS and authentication modules, bundled into static/ by
// frontend/build.mjs), which reads the enrollment and enrolls.
import { readFileSync } from 'node:fs';
import { LMS_BACKENDS, SAMPLE_LINKS } from './sync.mjs';

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

function layout(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)} — Richie demo catalog</title>${contextScript()}</head><body>
${body}
<script src="/static/richie-frontend.js"></script>
</body></html>`;
}

const SHOWN_FIELDS = ['start', 'end', 'enrollment_start', 'enrollment_end', 'languages', 'enrollment_count', 'catalog_visibility'];

/** A course page with one run: its synced fields and the enrollment widget Richie's front end drives. */
export function coursePage(run, { draft = false, title = 'Demo course' } = {}) {
  const fields = SHOWN_FIELDS.map((f) => `<dt>${f}</dt><dd id="run-${f}">${escape(Array.isArray(run[f]) ? run[f].join(', ') : run[f])}</dd>`).join('');
  return layout(
    title,
    `<h1>${escape(title)}</h1>${draft ? '<p><strong>Draft version</strong></p>' : ''}
<dl>${fields}</dl>
<p>On the LMS: <a id="lms-link" href="${escape(run.resource_link)}">${escape(run.resource_link)}</a></p>
<section id="enrollment" data-resource-link="${escape(run.resource_link)}">
<p>User: <span id="user">…</span></p>
<p>Status: <span id="status">…</span></p>
<button id="login" hidden>Log in to enroll</button> <button id="register" hidden>Sign up</button> <button id="enroll" hidden>Enroll</button> <button id="logout" hidden>Log out</button>
</section>`,
  );
}

export function homePage() {
  const courses = SAMPLE_LINKS.map((link, i) => `<li><a href="/en/courses/${i === 0 ? 'demo' : `demo-${i + 1}`}/">Demo course${i === 0 ? '' : ` ${i + 1}`}</a> (on ${escape(new URL(link).origin)})</li>`).join('');
  const lmses = LMS_BACKENDS.map((lms) => `${escape(lms.JS_BACKEND)} at ${escape(lms.BASE_URL)}`).join(', ');
  return layout('Home', `<h1>Richie demo catalog</h1><ul>${courses}</ul><p>LMS backend${LMS_BACKENDS.length > 1 ? 's' : ''}: ${lmses}</p>`);
}

/** The bundle, read once: Richie's front end and the licences of everything in it. */
const STATIC = new Map();
export function staticFile(name) {
  if (!['richie-frontend.js', 'richie-frontend.LICENSES.txt'].includes(name)) return undefined;
  if (!STATIC.has(name)) STATIC.set(name, readFileSync(new URL(`./static/${name}`, import.meta.url)));
  return { body: STATIC.get(name), type: name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/plain; charset=utf-8' };
}
