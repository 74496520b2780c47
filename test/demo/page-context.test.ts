/**
 * The page context the demo catalog writes, `window.__richie_frontend_context__`, against what
 * Richie builds from the same settings: richie `src/richie/apps/core/context_processors.py`
 * (FrontendContextProcessor), written into the page by `richie/base.html` as
 * `JSON.parse('{{ FRONTEND_CONTEXT|escapejs|safe }}')`. The demo catalog runs on the host with
 * the catalog env richie-dev renders; python3 applies the processor's logic to the settings
 * Richie would hold (the rendered snippet's RICHIE_LMS_BACKENDS, the env's AUTHENTICATION_*).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { projectPaths } from '../../src/paths.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { parseEnvFile } from '../../src/render/files.js';
import { renderAll } from '../../src/render/index.js';
import { ROOT, freePort, hasTool, removeDir, tempDir } from '../helpers.js';

const SERVER = join(ROOT, 'templates', 'images', 'demo-catalog', 'server.mjs');

const root = tempDir();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
  removeDir(root);
});
let count = 0;

/** Renders a project; returns the catalog env file as Compose passes it, and the snippet's path. */
async function rendered(tls: boolean, backend: 'fake' | 'real', config: object = {}) {
  const projectDir = join(root, `p${count++}`);
  await renderAll({ config: parseConfig(config), paths: projectPaths(projectDir), tls, backend });
  const env = parseEnvFile(readFileSync(join(projectDir, '.richie-dev', 'env', 'catalog.env'), 'utf8'));
  return { env, snippet: join(projectDir, '.richie-dev', 'richie', 'lms_backends.py') };
}

async function startCatalog(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH, ...env, PORT: String(port), RICHIE_DEV_DATA_DIR: join(root, `catalog-${count++}`) }, stdio: 'ignore' });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return base;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('demo catalog did not start');
}

/** Runs the page's context script as the browser does, in a fresh global with a `window`. */
async function pageContext(url: string): Promise<unknown> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const html = await res.text();
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!).filter((s) => s.includes('__richie_frontend_context__'));
  expect(scripts).toHaveLength(1);
  const window: Record<string, unknown> = {};
  runInNewContext(scripts[0]!, { window, JSON });
  // Out of the vm's realm, so toEqual compares plain values.
  return JSON.parse(JSON.stringify(window.__richie_frontend_context__)) as unknown;
}

/**
 * FrontendContextProcessor.context_processor, transcribed, applied by python3 to the settings of
 * Richie's sandbox Development class (richie sandbox/settings.py) as this env and snippet make them.
 */
function processorContext(snippet: string, env: Record<string, string>, lmsBackends?: unknown[]): unknown {
  hasTool('python3');
  const script = `
import json, sys
data = json.load(sys.stdin)
scope = {}
exec(open(data["snippet"]).read(), scope)
env = data["env"]
settings = {
    # Base._get_environment: the configuration class's name, lower-cased (DJANGO_CONFIGURATION=Development).
    "ENVIRONMENT": "development",
    # get_release(): "NA" without sandbox/version.json.
    "RELEASE": "NA",
    "SENTRY_DSN": env.get("DJANGO_SENTRY_DSN"),
    "FEATURES": {},
    "RICHIE_AUTHENTICATION_DELEGATION": {
        "BASE_URL": env.get("AUTHENTICATION_BASE_URL", ""),
        "BACKEND": env.get("AUTHENTICATION_BACKEND", "dummy"),
        "KEYCLOAK_CLIENT_ID": env.get("AUTHENTICATION_KEYCLOAK_CLIENT_ID", ""),
        "KEYCLOAK_BASE_URL": env.get("AUTHENTICATION_KEYCLOAK_BASE_URL", ""),
        "KEYCLOAK_REALM": env.get("AUTHENTICATION_KEYCLOAK_REALM", ""),
    },
    "RICHIE_LMS_BACKENDS": list(scope["RICHIE_LMS_BACKENDS"] if data["lms_backends"] is None else data["lms_backends"]),
}
# JOANIE_BACKEND, read from the environment; Base.post_setup appends it when BASE_URL is not None.
joanie = {
    "BASE_URL": env.get("JOANIE_BASE_URL"),
    "BACKEND": env.get("JOANIE_BACKEND", "richie.apps.courses.lms.joanie.JoanieBackend"),
    "API_TOKEN": env.get("JOANIE_API_TOKEN"),
    "JS_BACKEND": env.get("JOANIE_JS_BACKEND", "joanie"),
    "COURSE_REGEX": env.get("JOANIE_COURSE_REGEX", r"^.*/api/v1.0(?P<resource_uri>(?:/(?:courses|course-runs|products)/[^/]+)+)/?$"),
    "JS_COURSE_REGEX": env.get("JOANIE_JS_COURSE_REGEX", r"^.*/api/v1.0((?:/(?:courses|course-runs|products)/[^/]+)+)/?$"),
    "COURSE_RUN_SYNC_NO_UPDATE_FIELDS": [],
    "DEFAULT_COURSE_RUN_SYNC_MODE": "sync_to_public",
}
if joanie["BASE_URL"] is not None:
    settings["RICHIE_LMS_BACKENDS"].append(joanie)

def get_joanie_context():
    # templatetags/joanie.py is_joanie_enabled: an LMS class with is_joanie (JoanieBackend).
    if any(lms["BACKEND"] == "richie.apps.courses.lms.joanie.JoanieBackend" for lms in settings["RICHIE_LMS_BACKENDS"]):
        return {"endpoint": joanie["BASE_URL"]}
    return None

def get_authentication_context():
    context = None
    authentication_delegation = settings.get("RICHIE_AUTHENTICATION_DELEGATION")
    if authentication_delegation:
        context = {"endpoint": authentication_delegation["BASE_URL"], "backend": authentication_delegation["BACKEND"]}
        if authentication_delegation["BACKEND"] in ["keycloak", "fonzie-keycloak"]:
            context["keycloak_endpoint"] = authentication_delegation["KEYCLOAK_BASE_URL"]
            context["keycloak_client_id"] = authentication_delegation["KEYCLOAK_CLIENT_ID"]
            context["keycloak_realm"] = authentication_delegation["KEYCLOAK_REALM"]
    return context

def get_lms_context():
    if settings.get("RICHIE_LMS_BACKENDS"):
        result = []
        for lms in settings["RICHIE_LMS_BACKENDS"]:
            entry = {"endpoint": lms["BASE_URL"], "backend": lms["JS_BACKEND"], "course_regexp": lms["JS_COURSE_REGEX"]}
            if "JS_NEXT_URL" in lms:
                entry["next_url"] = lms["JS_NEXT_URL"]
            result.append(entry)
        return result
    return None

context = {
    "environment": settings.get("ENVIRONMENT", ""),
    "release": settings.get("RELEASE", ""),
    "sentry_dsn": settings.get("SENTRY_DSN", ""),
    "features": settings.get("FEATURES", {}),
    # get_site_urls: no published page with reverse_id "annex__terms_and_conditions".
    "site_urls": {"terms_and_conditions": None},
}
if authentication_context := get_authentication_context():
    context["authentication"] = authentication_context
if joanie_context := get_joanie_context():
    context["joanie_backend"] = joanie_context
if lms_context := get_lms_context():
    context["lms_backends"] = lms_context
print(json.dumps({"context": context}))
`;
  const result = spawnSync('python3', ['-c', script], { input: JSON.stringify({ snippet, env, lms_backends: lmsBackends ?? null }), encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as unknown;
}

describe("the demo catalog's window.__richie_frontend_context__, as Richie's FrontendContextProcessor builds it", () => {
  it.each([
    [true, 'real', {}],
    [true, 'real', { lms: { release: 'dogwood' } }],
    [true, 'real', { lms: { fonzie: true } }],
    [true, 'real', { lms: { fonzie: true }, joanie: {} }],
    [true, 'fake', {}],
    [false, 'fake', {}],
    [true, 'real', { authentication: { backend: 'keycloak' } }],
  ] as const)('tls=%s %s %j: every page carries the processor\'s context for the rendered settings', async (tls, backend, config) => {
    const { env, snippet } = await rendered(tls, backend, config);
    const base = await startCatalog(env);
    const expected = processorContext(snippet, env);
    for (const path of ['/', '/en/courses/demo/', '/en/courses/demo/?draft']) {
      const context = await pageContext(`${base}${path}`);
      expect(context, path).toEqual(expected);
      // The same keys, in the processor's order.
      expect(Object.keys((context as { context: object }).context)).toEqual(Object.keys((expected as { context: object }).context));
    }
  });

  it('the shape Richie\'s front end reads: lms_backends {endpoint, backend, course_regexp, next_url}, authentication {endpoint, backend}', async () => {
    const { env } = await rendered(true, 'real');
    const context = (await pageContext(`${await startCatalog(env)}/en/courses/demo/`)) as { context: Record<string, unknown> };
    expect(context).toEqual({
      context: {
        environment: 'development',
        release: 'NA',
        sentry_dsn: null,
        features: {},
        site_urls: { terms_and_conditions: null },
        authentication: { endpoint: 'https://edx.local.dev:8073', backend: 'openedx-hawthorn' },
        lms_backends: [{ endpoint: 'https://edx.local.dev:8073', backend: 'openedx-hawthorn', course_regexp: '^.*/courses/(.*)/course/?$', next_url: 'richie' }],
      },
    });
    // The front end picks the LMS whose course_regexp matches the run's resource link.
    const lms = (context.context.lms_backends as { course_regexp: string }[])[0]!;
    expect(new RegExp(lms.course_regexp).test(env.RICHIE_DEV_SAMPLE_COURSE_URL!)).toBe(true);
  });

  it('with Joanie: joanie_backend {endpoint} and a joanie entry in lms_backends, without next_url (richie sandbox/settings.py JOANIE_BACKEND)', async () => {
    const { env } = await rendered(true, 'real', { lms: { fonzie: true }, joanie: {} });
    const context = (await pageContext(`${await startCatalog(env)}/`)) as { context: Record<string, unknown> };
    expect(context.context.joanie_backend).toEqual({ endpoint: 'https://joanie.local.dev:8071' });
    expect((context.context.lms_backends as object[])[1]).toEqual({ endpoint: 'https://joanie.local.dev:8071', backend: 'joanie', course_regexp: '^.*/api/v1.0((?:/(?:courses|course-runs|products)/[^/]+)+)/?$' });
    expect(context.context.authentication).toEqual({ endpoint: 'https://edx.local.dev:8073', backend: 'fonzie' });
  });

  it('an empty RICHIE_LMS_BACKENDS gives no lms_backends key; an entry without JS_NEXT_URL no next_url; an empty AUTHENTICATION_BACKEND stays empty', async () => {
    const { env, snippet } = await rendered(true, 'real');
    const empty = { ...env, RICHIE_DEV_LMS_BACKENDS: '[]', RICHIE_DEV_COURSE_REGEX_MATCH: '[]', AUTHENTICATION_BACKEND: '' };
    const none = (await pageContext(`${await startCatalog(empty)}/`)) as { context: Record<string, unknown> };
    expect(none).toEqual(processorContext(snippet, empty, []));
    expect('lms_backends' in none.context).toBe(false);
    expect(none.context.authentication).toEqual({ endpoint: 'https://edx.local.dev:8073', backend: '' });

    const [entry] = JSON.parse(env.RICHIE_DEV_LMS_BACKENDS!) as Record<string, unknown>[];
    delete entry!.JS_NEXT_URL;
    const noNext = { ...env, RICHIE_DEV_LMS_BACKENDS: JSON.stringify([entry]) };
    const context = await pageContext(`${await startCatalog(noNext)}/`);
    expect(context).toEqual(processorContext(snippet, noNext, [entry]));
    expect((context as { context: { lms_backends: object[] } }).context.lms_backends[0]).not.toHaveProperty('next_url');
  });

  it('text that could close the script is escaped, and the context still parses to the same value', async () => {
    const { env, snippet } = await rendered(true, 'real');
    const hostile = { ...env, AUTHENTICATION_BACKEND: "</script><script>window.pwned=1</script>'\"\\" };
    const base = await startCatalog(hostile);
    const html = await (await fetch(`${base}/`)).text();
    expect(html).not.toContain('<script>window.pwned');
    expect(await pageContext(`${base}/`)).toEqual(processorContext(snippet, hostile));
  });
});
