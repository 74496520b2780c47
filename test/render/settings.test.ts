/**
 * The rendered settings, parsed back: each side's values, and the agreement between the two
 * sides that enrollment needs. Plus every refusal, with its message.
 */
import { spawnSync } from 'node:child_process';
import { projectPaths } from '../../src/paths.js';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { checkCourseUrl, courseRegexes, extractCourseId } from '../../src/lms/regex.js';
import { parseEnvFile } from '../../src/render/files.js';
import { renderAll } from '../../src/render/index.js';
import { cli, hasTool, removeDir, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));
let counter = 0;

async function render(tls: boolean, backend: 'fake' | 'real', config: object = {}) {
  const projectDir = join(root, `p${counter++}`);
  const result = await renderAll({ config: parseConfig(config), paths: projectPaths(projectDir), tls, backend });
  const env = (name: string) => parseEnvFile(readFileSync(join(projectDir, '.richie-dev', 'env', name), 'utf8'));
  return { projectDir, result, catalog: env('catalog.env'), lms: env('lms.env') };
}

/**
 * python3 as the oracle for what the real apps make of the rendered files: the settings snippet
 * imported into a settings class as the README says, the LMS values parsed as openedx-docker's Configuration does
 * (formatter=bool: bool() of the string; formatter=json.loads), the catalog's sync secrets as
 * django-configurations' ListValue splits them.
 */
function pythonReads(projectDir: string, lms: Record<string, string>, catalog: Record<string, string>): Record<string, unknown> {
  hasTool('python3');
  const script = `
import json, os, sys
data = json.load(sys.stdin)
# The README's instruction: the snippet beside the settings module, its header's import line in
# the class body (django-configurations takes upper-case class attributes as settings).
sys.path.insert(0, os.path.dirname(data["snippet"]))
line = next(l for l in open(data["snippet"]) if l.startswith("#     from lms_backends import "))[1:].strip()
scope = {}
exec("class Development:\\n    " + line, scope)
lms = data["lms"]
out = {name: getattr(scope["Development"], name) for name in vars(scope["Development"]) if name.isupper()}
for name in ["CORS_ALLOW_INSECURE", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]:
    out[name] = bool(lms[name])
for name in ["FEATURES", "CORS_ORIGIN_WHITELIST", "ALLOWED_HOSTS"]:
    out[name] = json.loads(lms[name])
# django-configurations ListValue: comma-separated, stripped, empty items dropped.
out["catalog_secrets"] = [v.strip() for v in data["catalog"]["DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS"].split(",") if v.strip()]
print(json.dumps(out))
`;
  const result = spawnSync('python3', ['-c', script], { input: JSON.stringify({ snippet: join(projectDir, '.richie-dev', 'richie', 'lms_backends.py'), lms, catalog }), encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/**
 * python3 runs the snippet itself: the upper-case names it defines must be exactly those its
 * import line names (and no AUTHENTICATION_BACKENDS: Richie ≥ 2.15 has no social auth). The
 * commented block for Richie before v2.15, uncommented, must run too; `legacy` is what it defines.
 */
function pythonSnippet(projectDir: string): { imported: string[]; defined: string[]; legacy: Record<string, unknown> | null } {
  hasTool('python3');
  const script = `
import json, re, sys
text = open(sys.argv[1]).read()
line = next(l for l in text.splitlines() if l.startswith("#     from lms_backends import "))
imported = [n.strip() for n in line.split(" import ", 1)[1].split("#")[0].split(",")]
scope = {}
exec(compile(text, sys.argv[1], "exec"), scope)
defined = [n for n in scope if n.isupper()]
legacy = None
start = re.search(r"^# [A-Z_]+ = ", text, re.M)
if start:
    block = "\\n".join(l[2:] for l in text[start.start():].splitlines() if l.startswith("# "))
    legacy_scope = {}
    exec(block, legacy_scope)
    legacy = {n: v for n, v in legacy_scope.items() if n.isupper()}
print(json.dumps({"imported": imported, "defined": defined, "legacy": legacy}))
`;
  const result = spawnSync('python3', ['-c', script, join(projectDir, '.richie-dev', 'richie', 'lms_backends.py')], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { imported: string[]; defined: string[]; legacy: Record<string, unknown> | null };
}

describe('LMS settings, both sides', () => {
  it('TLS + real: Richie reads its names, OpenEdX parses its values, and both sides agree', async () => {
    const { catalog, lms, projectDir } = await render(true, 'real');
    // Exactly the variables Richie's sandbox settings read, plus the demo's RICHIE_DEV_* ones.
    expect(Object.keys(catalog).filter((k) => !k.startsWith('RICHIE_DEV_')).sort()).toEqual(
      ['AUTHENTICATION_BACKEND', 'AUTHENTICATION_BASE_URL', 'DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS', 'EDX_BACKEND', 'EDX_BASE_URL', 'EDX_COURSE_REGEX', 'EDX_JS_BACKEND', 'EDX_JS_COURSE_REGEX', 'EDX_JS_NEXT_URL'].sort(),
    );
    expect(catalog).toMatchObject({
      EDX_BASE_URL: 'https://edx.local.dev:8073',
      EDX_BACKEND: 'richie.apps.courses.lms.edx.EdXLMSBackend',
      EDX_JS_BACKEND: 'openedx-hawthorn',
      EDX_COURSE_REGEX: '^.*/courses/(?P<course_id>.*)/course/?$',
      EDX_JS_COURSE_REGEX: '^.*/courses/(.*)/course/?$',
      EDX_JS_NEXT_URL: 'richie',
      AUTHENTICATION_BASE_URL: 'https://edx.local.dev:8073',
      AUTHENTICATION_BACKEND: 'openedx-hawthorn',
    });
    const python = pythonReads(projectDir, lms, catalog);
    // The snippet's RICHIE_LMS_BACKENDS says the same as the EDX_* variables, plus what only the file can say.
    const backends = [
      {
        BASE_URL: catalog.EDX_BASE_URL,
        BACKEND: catalog.EDX_BACKEND,
        COURSE_REGEX: catalog.EDX_COURSE_REGEX,
        JS_BACKEND: catalog.EDX_JS_BACKEND,
        JS_COURSE_REGEX: catalog.EDX_JS_COURSE_REGEX,
        JS_NEXT_URL: 'richie',
        COURSE_RUN_SYNC_NO_UPDATE_FIELDS: [],
        DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_public',
      },
    ];
    expect(python.RICHIE_LMS_BACKENDS).toEqual(backends);
    expect(JSON.parse(catalog.RICHIE_DEV_LMS_BACKENDS!)).toEqual(backends); // the demo catalog's copy
    expect(python.RICHIE_COURSE_RUN_SYNC_SECRETS).toEqual([catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS]);
    expect(python.catalog_secrets).toEqual([catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS]);
    // What openedx-docker's settings make of the LMS file.
    expect(python).toMatchObject({
      FEATURES: { ENABLE_CORS_HEADERS: true, ENABLE_CROSS_DOMAIN_CSRF_COOKIE: true },
      CORS_ALLOW_INSECURE: false,
      SESSION_COOKIE_SECURE: true,
      CSRF_COOKIE_SECURE: true,
      // Hawthorn matches the Referer's hostname and the Origin's host:port.
      CORS_ORIGIN_WHITELIST: ['richie.local.dev', 'richie.local.dev:8070'],
      ALLOWED_HOSTS: ['edx.local.dev'],
    });
    expect(lms).toMatchObject({ LMS_BASE: 'edx.local.dev:8073', LMS_ROOT_URL: catalog.EDX_BASE_URL, CROSS_DOMAIN_CSRF_COOKIE_NAME: 'edx_csrf_token', CORS_ALLOW_INSECURE: '' });
    // Settings no OpenEdX release reads are not rendered.
    for (const unread of ['CSRF_TRUSTED_ORIGINS', 'CORS_ALLOW_CREDENTIALS', 'RICHIE_COURSE_RUN_SYNC_SECRETS']) expect(lms[unread] ?? catalog[unread]).toBeUndefined();
    expect(lms.SESSION_COOKIE_NAME).not.toBe(lms.CROSS_DOMAIN_CSRF_COOKIE_NAME);
    expect(lms.CROSS_DOMAIN_CSRF_COOKIE_DOMAIN).toBe('.local.dev');
    for (const url of [catalog.EDX_BASE_URL!, 'https://richie.local.dev:8070']) expect(new URL(url).hostname.endsWith(lms.CROSS_DOMAIN_CSRF_COOKIE_DOMAIN!)).toBe(true);
    // Course hooks: Hawthorn reads no COURSE_HOOKS; the demo LMS gets its own copy.
    expect(lms.COURSE_HOOKS).toBeUndefined();
    const hooks = JSON.parse(lms.RICHIE_DEV_COURSE_HOOKS!) as { url: string; secret: string; verify: boolean }[];
    expect(hooks).toEqual([{ url: 'https://richie.local.dev:8070/api/v1.0/course-runs-sync', secret: catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS, verify: true }]);
    expect(catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS).toMatch(/^[0-9a-f]{64}$/);
    // The secret lives in .richie-dev only; the env files and the snippet are owner-only.
    const secrets = JSON.parse(readFileSync(join(projectDir, '.richie-dev', 'secrets.json'), 'utf8'));
    expect(secrets.courseRunSync).toBe(catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS);
    for (const file of ['secrets.json', 'env/catalog.env', 'env/lms.env', 'richie/lms_backends.py']) expect(statSync(join(projectDir, '.richie-dev', file)).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['dogwood', ['richie.local.dev', 'richie.local.dev:8070'], 'COURSE_HOOKS'],
    ['eucalyptus', ['richie.local.dev', 'richie.local.dev:8070'], 'COURSE_HOOKS'],
    ['ironwood', ['richie.local.dev', 'richie.local.dev:8070'], 'RICHIE_DEV_COURSE_HOOKS'],
    ['maple', ['https://richie.local.dev:8070'], 'RICHIE_DEV_COURSE_HOOKS'],
    ['redwood', ['https://richie.local.dev:8070'], 'RICHIE_DEV_COURSE_HOOKS'],
  ])('lms.release %s: whitelist %j, hooks in %s', async (release, whitelist, hooks) => {
    const { lms } = await render(true, 'real', { lms: { release } });
    expect(JSON.parse(lms.CORS_ORIGIN_WHITELIST!)).toEqual(whitelist);
    expect(lms[hooks]).toBeDefined();
    expect(lms.RICHIE_DEV_OPENEDX_RELEASE).toBe(release);
  });

  it.each([
    ['dogwood', false, 'openedx-dogwood', 'openedx-dogwood', 'EdXOIDC'],
    ['eucalyptus', false, 'openedx-dogwood', 'openedx-dogwood', 'EdXOAuth2'],
    ['hawthorn', false, 'openedx-hawthorn', 'openedx-hawthorn', 'EdXOAuth2'],
    ['hawthorn', true, 'openedx-hawthorn', 'fonzie', 'EdXOAuth2'],
    ['redwood', false, 'openedx-hawthorn', 'openedx-hawthorn', 'EdXOAuth2'],
  ] as const)('flavour %s (fonzie %s): front end %s, authentication %s; SSO through %s for Richie < 2.15 only, commented out', async (release, fonzie, js, auth, sso) => {
    const { catalog, lms, projectDir } = await render(true, 'real', { lms: { release, fonzie } });
    expect(catalog).toMatchObject({ EDX_JS_BACKEND: js, AUTHENTICATION_BACKEND: auth, AUTHENTICATION_BASE_URL: 'https://edx.local.dev:8073' });
    expect(lms.RICHIE_DEV_FONZIE).toBe(fonzie ? 'true' : '');
    // Current Richie (social auth removed in openfun/richie f890d498d, v2.15.0) gets no SSO setting.
    const snippet = pythonSnippet(projectDir);
    expect(snippet.imported).toEqual(['RICHIE_LMS_BACKENDS', 'RICHIE_COURSE_RUN_SYNC_SECRETS']);
    expect(snippet.defined).toEqual(snippet.imported);
    expect(Object.keys(pythonReads(projectDir, lms, catalog)).filter((k) => /SOCIAL_AUTH|AUTHENTICATION_BACKENDS/.test(k))).toEqual([]);
    // Richie before v2.15: the commented block, once uncommented, names richie.apps.social.backends.
    const text = readFileSync(join(projectDir, '.richie-dev', 'richie', 'lms_backends.py'), 'utf8');
    expect(text).toContain('ONLY FOR RICHIE BEFORE v2.15.0');
    expect(text).toMatch(/Richie v2\.15\.0 removed social auth \(openfun\/richie f890d498d\)/);
    expect(text).toMatch(/Do not\n# uncomment these lines on Richie 2\.15 or later/);
    const legacy = snippet.legacy!;
    expect(legacy.AUTHENTICATION_BACKENDS).toEqual([`richie.apps.social.backends.${sso}`, 'django.contrib.auth.backends.ModelBackend']);
    const prefix = sso === 'EdXOIDC' ? 'SOCIAL_AUTH_EDX_OIDC' : 'SOCIAL_AUTH_EDX_OAUTH2';
    expect(legacy).toMatchObject({ [`${prefix}_KEY`]: 'social-id', [`${prefix}_SECRET`]: 'fakesecret', [`${prefix}_ENDPOINT`]: 'https://edx.local.dev:8073/oauth2' });
    expect(Object.keys(legacy).some((k) => k.startsWith(sso === 'EdXOIDC' ? 'SOCIAL_AUTH_EDX_OAUTH2' : 'SOCIAL_AUTH_EDX_OIDC'))).toBe(false);
  });

  it('the fake backend renders no SSO settings, not even commented out', async () => {
    const { catalog, lms, projectDir } = await render(true, 'fake');
    expect(Object.keys(pythonReads(projectDir, lms, catalog)).filter((k) => /SOCIAL_AUTH|AUTHENTICATION_BACKENDS/.test(k))).toEqual([]);
    const snippet = pythonSnippet(projectDir);
    expect(snippet.defined).toEqual(snippet.imported);
    expect(snippet.legacy).toBeNull();
  });

  it('lms.release outside the known releases is refused, naming them', () => {
    expect(() => parseConfig({ lms: { release: 'juniper' } })).toThrow(/lms\.release: got "juniper"; expected an OpenEdX release: dogwood, eucalyptus, hawthorn, ironwood, maple/);
  });

  it('TLS + fake: BaseLMSBackend and the dummy JS backend, same origins', async () => {
    const { catalog, lms } = await render(true, 'fake');
    expect(catalog).toMatchObject({ EDX_BACKEND: 'richie.apps.courses.lms.base.BaseLMSBackend', EDX_JS_BACKEND: 'dummy', AUTHENTICATION_BACKEND: 'dummy' });
    expect(JSON.parse(lms.CORS_ORIGIN_WHITELIST!)).toEqual(['richie.local.dev', 'richie.local.dev:8070']);
  });

  it('HTTP + fake: localhost origins for the .dev hosts, with the HSTS warning; False booleans are empty', async () => {
    const { catalog, lms, result, projectDir } = await render(false, 'fake');
    expect(catalog.EDX_BASE_URL).toBe('http://localhost:8073');
    expect(JSON.parse(lms.CORS_ORIGIN_WHITELIST!)).toEqual(['localhost', 'localhost:8070']);
    expect(JSON.parse(lms.ALLOWED_HOSTS!)).toEqual(['edx.local.dev', 'localhost']);
    expect(lms).toMatchObject({ SESSION_COOKIE_SECURE: '', CSRF_COOKIE_SECURE: '', CORS_ALLOW_INSECURE: 'true', CROSS_DOMAIN_CSRF_COOKIE_DOMAIN: '' });
    expect(pythonReads(projectDir, lms, catalog)).toMatchObject({ SESSION_COOKIE_SECURE: false, CSRF_COOKIE_SECURE: false, CORS_ALLOW_INSECURE: true });
    expect(JSON.parse(lms.FEATURES!).ENABLE_CROSS_DOMAIN_CSRF_COOKIE).toBe(false);
    expect(result.warnings[0]).toContain('richie.local.dev is under .dev, which browsers force to HTTPS (HSTS preload); over plain HTTP it is served as http://localhost:8070');
  });

  it('HTTP with hosts outside HSTS-preloaded TLDs keeps them, without a warning', async () => {
    const { catalog, result } = await render(false, 'fake', { catalog: { host: 'richie.localhost.test' }, lms: { host: 'edx.localhost.test' } });
    expect(catalog.EDX_BASE_URL).toBe('http://edx.localhost.test:8073');
    expect(result.warnings).toEqual([]);
  });

  it('sync settings follow the config, in the snippet (Richie reads them from no env var)', async () => {
    const { catalog, lms, projectDir } = await render(true, 'real', { courseRunSync: { mode: 'sync_to_draft', noUpdateFields: ['languages', 'end'] } });
    expect((pythonReads(projectDir, lms, catalog).RICHIE_LMS_BACKENDS as Record<string, unknown>[])[0]).toMatchObject({ DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_draft', COURSE_RUN_SYNC_NO_UPDATE_FIELDS: ['languages', 'end'] });
    expect(Object.keys(catalog).some((k) => /SYNC_MODE|NO_UPDATE/.test(k))).toBe(false);
  });

  it('keeps one secret per project across renders', async () => {
    const first = await render(true, 'real');
    await renderAll({ config: parseConfig({}), paths: projectPaths(first.projectDir), tls: true, backend: 'fake' });
    const again = parseEnvFile(readFileSync(join(first.projectDir, '.richie-dev', 'env', 'catalog.env'), 'utf8'));
    expect(again.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS).toBe(first.catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS);
  });
});

describe('course hooks and the course regex', () => {
  const INFO_REGEX = '^.*/courses/(?P<course_id>.*)/info/?$'; // richie env.d/development/dev.dist
  const link = 'https://edx.local.dev:8073/courses/course-v1:richie+demo+2026/info';

  it.each(['dogwood', 'eucalyptus'])('lms.release %s with the default courseRegex: a warning names the regex, the /info link and the fix', async (release) => {
    const { result, lms } = await render(true, 'real', { lms: { release } });
    expect(lms.COURSE_HOOKS).toBeDefined();
    const warnings = result.warnings.filter((w) => w.includes('COURSE_HOOKS'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('courseRegex "^.*/courses/(?P<course_id>.*)/course/?$" does not match');
    expect(warnings[0]).toContain(link);
    expect(warnings[0]).toContain('400 "No LMS configuration found for this resource link."');
    expect(warnings[0]).toContain(`set courseRegex to "${INFO_REGEX}"`);
    expect(warnings[0]).toContain('sampleCourseUrl to "https://edx.local.dev:8073/courses/course-v1:richie+demo+2026/info/"');
  });

  it('the same holds for the fake backend (the sync endpoint applies COURSE_REGEX either way)', async () => {
    const { result } = await render(true, 'fake', { lms: { release: 'dogwood' } });
    expect(result.warnings.some((w) => w.includes('COURSE_HOOKS') && w.includes(link))).toBe(true);
  });

  it('no warning for Hawthorn, which reads no COURSE_HOOKS', async () => {
    const { result } = await render(true, 'real', { lms: { release: 'hawthorn' } });
    expect(result.warnings.filter((w) => w.includes('COURSE_HOOKS'))).toEqual([]);
  });

  it('no warning for Dogwood with the dev.dist /info regex and a sample URL ending in /info/', async () => {
    const { result, catalog } = await render(true, 'real', { lms: { release: 'dogwood' }, courseRegex: INFO_REGEX, sampleCourseUrl: `${link}/` });
    expect(result.warnings).toEqual([]);
    expect(catalog).toMatchObject({ EDX_COURSE_REGEX: INFO_REGEX, EDX_JS_COURSE_REGEX: '^.*/courses/(.*)/info/?$' });
  });

  it('no warning for a regex that takes the same id from the course URL and the /info link', async () => {
    const { result } = await render(true, 'real', { lms: { release: 'eucalyptus' }, courseRegex: '^.*/(?P<course_id>[^/]+)/(?:course|info)/?$', jsCourseRegex: '^.*/([^/]+)/(?:course|info)/?$' });
    expect(result.warnings.filter((w) => w.includes('COURSE_HOOKS'))).toEqual([]);
  });

  it('a regex that matches the /info link but takes another course id from it is named too', async () => {
    const courseRegex = '^.*/courses/(?P<course_id>.*?)(?:/course/?)?$';
    const { result } = await render(true, 'real', { lms: { release: 'dogwood' }, courseRegex, jsCourseRegex: '^.*/courses/(.*?)(?:/course/?)?$' });
    const warnings = result.warnings.filter((w) => w.includes('COURSE_HOOKS'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`courseRegex "${courseRegex}" finds the course id "course-v1:richie+demo+2026/info" instead of "course-v1:richie+demo+2026" in ${link}`);
  });
});

describe('consistency checks refuse, naming the fix, and write nothing', () => {
  it.each([
    [false, 'real', {}, /cannot work over plain HTTP: OpenEdX marks its cross-domain CSRF cookie Secure/],
    [true, 'real', { catalog: { host: 'richie.foo.test' }, lms: { host: 'edx.bar.test' } }, /share no parent domain/],
    [true, 'real', { catalog: { host: 'richie.github.io' }, lms: { host: 'edx.github.io' } }, /public suffix/],
    [true, 'real', { lms: { port: 8070 } }, /catalog\.port and lms\.port are both 8070/],
    [true, 'real', { courseRegex: '^.*/course/(?P<course_id>[0-9]+)$' }, /no enrollment button: COURSE_REGEX does not match the URL under re\.match; JS_COURSE_REGEX does not match the URL/],
    [true, 'real', { jsCourseRegex: '^.*/(courses/.*)/course/?$' }, /COURSE_REGEX extracts "course-v1:richie\+demo\+2026" but JS_COURSE_REGEX extracts "courses\/course-v1:richie\+demo\+2026"/],
    [true, 'real', { courseRegex: '/courses/(?P<course_id>.*)/course/?$' }, /COURSE_REGEX does not match at the start of the URL: Python's re\.match is anchored there; start it with \^\.\* like Richie's default/],
    [true, 'real', { courseRegex: '^.*/courses/(?<course_id>.*)/course/?$' }, /is not a valid Python regular expression: unknown extension \?<c at position 13/],
    [true, 'real', { courseRegex: '^.*/courses/(.*)/course/?$' }, /has no named group \(\?P<course_id>\.\.\.\)/],
    [true, 'real', { sampleCourseUrl: 'https://other.local.dev:8073/courses/x/course/' }, /is not on the LMS/],
    [true, 'real', { courseRegex: '^.*/courses/(?P<course_id>[^ #]+)/course/?$' }, /EDX_COURSE_REGEX=.* cannot go into an env file as it is: Compose's env_file reader would strip a leading quote, cut at " #"/],
  ] as const)('tls=%s %s %j', async (tls, backend, config, message) => {
    const projectDir = join(root, `refused${counter++}`);
    await expect(renderAll({ config: parseConfig(config), paths: projectPaths(projectDir), tls, backend })).rejects.toThrow(message);
    // Not even the sync secret: it is saved with the files, once every check has passed.
    expect(() => statSync(join(projectDir, '.richie-dev'))).toThrow();
  });

  it('a course URL that does not match shows the URL and both regexes', async () => {
    const result = await cli(['--project-dir', join(root, 'cli-regex'), 'render', '--ssl'], {});
    expect(result.exitCode).toBe(0);
    writeFileSync(join(root, 'cli-regex', 'richie-dev.config.json'), JSON.stringify({ sampleCourseUrl: 'https://edx.local.dev:8073/courses/demo/info' }));
    const refused = await cli(['--project-dir', join(root, 'cli-regex'), 'render', '--ssl']);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain('URL:              https://edx.local.dev:8073/courses/demo/info');
    expect(refused.stderr).toContain('COURSE_REGEX:     ^.*/courses/(?P<course_id>.*)/course/?$');
    expect(refused.stderr).toContain('JS_COURSE_REGEX:  ^.*/courses/(.*)/course/?$');
  });
});

describe('course regexes', () => {
  it.each([
    ['^.*/courses/(?P<course_id>.*)/course/?$', '^.*/courses/(.*)/course/?$'],
    ['^.*/courses/(?P<course_id>.*)/info/?$', '^.*/courses/(.*)/info/?$'],
    ['\\A.*/c/(?P<kind>[a-z]+)/(?P<course_id>\\d+)$', '^.*/c/(?:[a-z]+)/(\\d+)$'],
  ])('%s becomes %s', (python, js) => {
    expect(courseRegexes(python).javascript).toBe(js);
  });

  it('extracts the same id with both, or says which one fails', () => {
    const regexes = courseRegexes('^.*/courses/(?P<course_id>.*)/course/?$');
    expect(checkCourseUrl(regexes, 'https://edx.local.dev:8073/courses/course-v1:a+b+c/course/')).toBe('course-v1:a+b+c');
    expect(extractCourseId(regexes, 'https://edx.local.dev:8073/courses/x/info')).toEqual({});
  });
});

describe('generated files', () => {
  it('are not rewritten when unchanged, and a file without the marker is the user\'s', async () => {
    const { projectDir } = await render(true, 'real');
    const conf = join(projectDir, '.richie-dev', 'nginx', 'catalog.conf');
    utimesSync(conf, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const before = statSync(conf).mtimeMs;
    const again = await renderAll({ config: parseConfig({}), paths: projectPaths(projectDir), tls: true, backend: 'real' });
    expect(again.files.map((f) => f.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(statSync(conf).mtimeMs).toBe(before);

    writeFileSync(conf, '# my own catalog server\nserver { listen 9999; }\n');
    const kept = await renderAll({ config: parseConfig({}), paths: projectPaths(projectDir), tls: false, backend: 'fake' });
    expect(kept.files.find((f) => f.path === conf)?.status).toBe('user-owned');
    expect(readFileSync(conf, 'utf8')).toBe('# my own catalog server\nserver { listen 9999; }\n');
    expect(kept.warnings.some((w) => w.includes(`${conf} no longer has richie-dev's first line, so it is yours`))).toBe(true);
  });

  it('render --print shows what an app of your own loads, writing nothing but the sync secret it shows', async () => {
    const dir = join(root, 'print');
    const printed = await cli(['--project-dir', dir, 'render', '--ssl', '--print', 'catalog']);
    expect(printed.exitCode, printed.stderr).toBe(0);
    expect(printed.stdout).toContain(`# ${join(dir, '.richie-dev', 'env', 'catalog.env')}`);
    expect(printed.stdout).toContain('EDX_JS_BACKEND=openedx-hawthorn');
    expect(printed.stdout).toContain('RICHIE_LMS_BACKENDS = [');
    const secret = /^DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS=([0-9a-f]{64})$/m.exec(printed.stdout)![1];
    expect(() => statSync(join(dir, '.richie-dev', 'env'))).toThrow(); // no env file written
    const lms = await cli(['--project-dir', dir, '--json', 'render', '--ssl', '--print', 'lms']);
    const json = JSON.parse(lms.stdout) as { files: { path: string; content: string }[] };
    expect(json.files.map((f) => f.path)).toEqual([join(dir, '.richie-dev', 'env', 'lms.env')]);
    expect(json.files[0]!.content).toContain(`"secret":"${secret}"`); // the same secret on both sides
    await cli(['--project-dir', dir, 'render', '--ssl']);
    expect(parseEnvFile(readFileSync(join(dir, '.richie-dev', 'env', 'catalog.env'), 'utf8')).DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS).toBe(secret);
  });

  it('render and lms through the CLI, with --json listing the files', async () => {
    const dir = join(root, 'cli');
    const result = await cli(['--project-dir', dir, '--json', 'render', '--ssl', '--lms', 'fake']);
    expect(result.exitCode, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ mode: 'tls', backend: 'fake', urls: { catalog: 'https://richie.local.dev:8070', lms: 'https://edx.local.dev:8073' } });
    expect(json.files).toHaveLength(5);
    expect(result.stdout).not.toMatch(/[0-9a-f]{64}/); // the secret is never printed
    const lms = await cli(['--project-dir', dir, 'lms']);
    expect(lms.stdout.trim()).toBe('fake (TLS)');
  });
});
