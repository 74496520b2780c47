/**
 * Seamless enrollment proven in Chromium against the real stack, every call to the LMS made by
 * Richie's released front end (richie-education's openedx-hawthorn and dummy modules, bundled
 * into the demo catalog): TLS and the real backend (CA installed by `richie-dev trust` in the
 * NSS database it creates where Chromium opens it, hosts resolved through `richie-dev hosts add` in a private mount
 * namespace), HTTP with the fake backend, and the ways it must fail: an untrusted CA, the real
 * backend over HTTP, a whitelist in another release's form. Then course run sync, from the LMS
 * into the catalog page.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cli, hasTool, inMountNamespace, removeDir, sh, tempDir } from '../helpers.js';
import { hasChromium, trustedStack } from './chromium.js';
import { courseRunsProps, demoLink, runMarker } from './demo-runs.js';

const FLOW = join(ROOT, 'test', 'browser', 'flows', 'enroll.mjs');
const CATALOG_PORT = 18570;
const LMS_PORT = 18573;

describe('enrollment in a real browser', () => {
  const root = tempDir();
  const home = join(root, 'home');
  const project = join(root, 'enrollproj');
  const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };
  const courseUrl = `https://richie.local.dev:${CATALOG_PORT}/en/courses/demo/`;

  /** curl against the stack, trusting only our CA, names resolved to loopback. */
  const curlArgs = () => ['--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', `richie.local.dev:${CATALOG_PORT}:127.0.0.1`, '--resolve', `edx.local.dev:${LMS_PORT}:127.0.0.1`];
  const curl = (url: string, extra: string[] = []) => sh('curl', ['-sS', ...curlArgs(), ...extra, url]);
  const catalog = `https://richie.local.dev:${CATALOG_PORT}`;
  /** The demo's sample run, seeded open now: its dates, to find it on the page. */
  const openDemoRun = async () => runMarker(catalog, curlArgs(), await demoLink(catalog, curlArgs()));

  /** The flow script in a private mount namespace: a copy of /etc, its hosts file filled by `richie-dev hosts add`. */
  async function flow(mode: 'real' | 'fake' | 'untrusted' | 'cors', url: string, browserHome: string, screenshot = '', marker = ''): Promise<Record<string, unknown>> {
    const etc = join(root, `etc-${mode}`);
    const result = await inMountNamespace(`
      cp -a /etc "${etc}"
      mount --bind "${etc}" /etc
      node "${CLI}" --project-dir "${project}" hosts add >&2
      node "${FLOW}" "${url}" "${browserHome}" "${screenshot}" ${mode} "${marker}"
    `);
    expect(result.exitCode, result.stderr).toBe(0);
    return JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  }

  beforeAll(async () => {
    expect(hasChromium()).toBe(true);
    expect(hasTool('docker')).toBe(true);
    await trustedStack({ project, home, env, config: { catalog: { port: CATALOG_PORT }, lms: { port: LMS_PORT }, courseRunSync: { noUpdateFields: ['languages'] } } });
  }, 300_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it('TLS + real backend: log in on the LMS, come back, enroll; the LMS records it', async () => {
    const seen = await flow('real', courseUrl, home, join(root, 'enrolled.png'), await openDemoRun());
    expect(seen.error, JSON.stringify(seen)).toBeUndefined();
    expect(seen.loadError).toBeUndefined();
    expect(seen.steps).toEqual([
      ['anonymous', 'log in to enroll'],
      ['logged-in', 'not enrolled'],
      ['after-click', 'enrolled'],
      ['after-reload', 'enrolled'],
    ]);
    expect(seen.loginUrl).toBe(`https://edx.local.dev:${LMS_PORT}/login?next=richie/en/courses/demo/`);
    expect(seen.backOn).toBe(courseUrl);
    expect(seen.user).toBe('student');
    // The cross-domain CSRF cookie sits on the shared parent, Secure; Hawthorn's Django sets no SameSite.
    expect(seen.cookies).toContainEqual(expect.objectContaining({ name: 'edx_csrf_token', domain: '.local.dev', secure: true }));
    // No error from Richie's code (an empty "not enrolled" typed JSON made it throw "Unexpected end
    // of JSON input"); the browser's own lines for the anonymous 401 and a missing favicon aside.
    expect((seen.consoleErrors as string[]).filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    // Richie's client made exactly the calls openedx-hawthorn makes.
    expect(seen.lmsRequests).toEqual(expect.arrayContaining([
      `GET https://edx.local.dev:${LMS_PORT}/api/user/v1/me`,
      `GET https://edx.local.dev:${LMS_PORT}/api/enrollment/v1/enrollment/student,course-v1:richie+demo+2026`,
      `POST https://edx.local.dev:${LMS_PORT}/api/enrollment/v1/enrollment`,
    ]));
    // Checked through the LMS, not only the page.
    const enrollments = JSON.parse((await curl(`https://edx.local.dev:${LMS_PORT}/richie-dev/enrollments`)).stdout);
    expect(enrollments).toContainEqual(expect.objectContaining({ user: 'student', course_details: expect.objectContaining({ course_id: 'course-v1:richie+demo+2026' }), is_active: true }));
    const png = readFileSync(join(root, 'enrolled.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('an untrusted CA gives the browser a certificate error', async () => {
    const untrusted = join(root, 'untrusted-home');
    mkdirSync(untrusted, { recursive: true });
    const seen = await flow('untrusted', courseUrl, untrusted);
    expect(seen.loadError).toContain('net::ERR_CERT_AUTHORITY_INVALID');
  });

  it('course run sync: publishing from the LMS changes the catalog page; a no-update field keeps its value on the existing run; a new run is created; a wrong secret is refused', async () => {
    const publish = (run: object) => sh('docker', ['exec', 'enrollproj_lms_1', 'node', '/app/server.mjs', 'publish', JSON.stringify(run)]);
    const link = `https://edx.local.dev:${LMS_PORT}/courses/course-v1:richie+demo+2026/course/`;
    const first = await publish({ resource_link: link, start: '2027-02-01T00:00:00Z', languages: ['fr'] });
    // Signed, over TLS inside the stack, the certificate verified with our CA (verify: true).
    expect(JSON.parse(first.stdout).results[0]).toMatchObject({ status: 200 });
    const listed = async () => courseRunsProps((await curl(courseUrl)).stdout).courseRuns.find((run) => run.resource_link === link);
    // languages is in noUpdateFields and the run exists: Richie drops it.
    expect(await listed()).toMatchObject({ start: '2027-02-01T00:00:00Z', languages: ['en'] });
    await publish({ resource_link: link, start: '2027-03-01T00:00:00Z' });
    expect((await listed())?.start).toBe('2027-03-01T00:00:00Z');
    // A run the catalog does not know yet, on the same course: created (default mode sync_to_public).
    const other = `https://edx.local.dev:${LMS_PORT}/courses/course-v1:richie+demo+2027/course/`;
    const created = await publish({ resource_link: other, start: '2027-09-01T00:00:00Z', languages: ['fr'] });
    expect(JSON.parse(created.stdout).results[0], created.stdout).toMatchObject({ status: 200 });
    const state = JSON.parse((await curl(`https://richie.local.dev:${CATALOG_PORT}/api/v1.0/course-runs/demo/state`)).stdout) as { runs: unknown };
    expect(JSON.stringify(state.runs)).toContain(other);
    const forged = await curl(`https://richie.local.dev:${CATALOG_PORT}/api/v1.0/course-runs-sync`, ['-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', `Authorization: SIG-HMAC-SHA256 ${'0'.repeat(64)}`, '-d', JSON.stringify({ resource_link: link, start: '1999-01-01T00:00:00Z' })]);
    expect(forged.stdout).toBe('401'); // Richie: a wrong signature is 401, a missing one 403
    expect((await listed())?.start).toBe('2027-03-01T00:00:00Z');
  });

  it("a whitelist in a later release's form (origins with scheme) on a Hawthorn LMS: no CORS headers, Richie's client sees no user even after logging in", async () => {
    const lmsEnv = join(project, '.richie-dev', 'env', 'lms.env');
    const original = readFileSync(lmsEnv, 'utf8');
    expect(original).toContain(`CORS_ORIGIN_WHITELIST=["richie.local.dev","richie.local.dev:${CATALOG_PORT}"]`);
    // The user takes the file over (first line removed) and writes the whitelist as a Maple LMS wants it.
    writeFileSync(lmsEnv, original.split('\n').slice(1).join('\n').replace(/^CORS_ORIGIN_WHITELIST=.*$/m, `CORS_ORIGIN_WHITELIST=["https://richie.local.dev:${CATALOG_PORT}"]`));
    try {
      const restarted = await cli(['--project-dir', project, 'run-ssl', '--hosts-file', join(project, 'hosts')], { env });
      expect(restarted.exitCode, restarted.stderr).toBe(0);
      const seen = await flow('cors', courseUrl, home, '', await openDemoRun());
      expect(seen.error, JSON.stringify(seen)).toBeUndefined();
      // Logged in on the LMS and back on the catalog, yet openedx-hawthorn's user call is blocked: no user, no enrollment.
      expect(seen.steps, JSON.stringify(seen)).toEqual([['anonymous', 'log in to enroll'], ['logged-in', 'log in to enroll']]);
      expect(seen.backOn).toBe(courseUrl);
      expect((seen.consoleErrors as string[]).some((e) => e.includes('blocked by CORS policy')), JSON.stringify(seen.consoleErrors)).toBe(true);
    } finally {
      writeFileSync(lmsEnv, original);
    }
  });
});

describe.each([
  { name: 'dogwood', config: { lms: { release: 'dogwood' } }, me: '/api/mobile/v0.5/my_user_info', ports: [18870, 18873] },
  { name: 'fonzie', config: { lms: { release: 'hawthorn', fonzie: true } }, me: '/api/v1.0/user/me', ports: [18970, 18973] },
])("the $name flavour: Richie's own module for it logs in and enrolls", ({ name, config, me, ports }) => {
  const root = tempDir();
  const home = join(root, 'home');
  const project = join(root, `flavour${name}`);
  const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };
  const [catalogPort, lmsPort] = ports as [number, number];

  beforeAll(async () => {
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: catalogPort }, lms: { ...config.lms, port: lmsPort } }));
    writeFileSync(join(project, 'hosts'), '127.0.0.1 localhost\n');
    const up = await cli(['--project-dir', project, 'run-ssl', '--hosts-file', join(project, 'hosts')], { env });
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    const trust = await cli(['--project-dir', project, 'trust', 'install'], { env });
    expect(trust.exitCode, trust.stdout + trust.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it('logs in on the LMS, comes back and enrolls, the user read from the flavour\'s own API', async () => {
    const etc = join(root, 'etc');
    const catalog = `https://richie.local.dev:${catalogPort}`;
    const courseUrl = `${catalog}/en/courses/demo/`;
    const curlArgs = ['--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', `richie.local.dev:${catalogPort}:127.0.0.1`];
    const marker = await runMarker(catalog, curlArgs, await demoLink(catalog, curlArgs));
    const result = await inMountNamespace(`
      cp -a /etc "${etc}"
      mount --bind "${etc}" /etc
      node "${CLI}" --project-dir "${project}" hosts add >&2
      node "${FLOW}" "${courseUrl}" "${home}" "" real "${marker}"
    `);
    expect(result.exitCode, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout.trim().split('\n').pop()!) as { steps: string[][]; lmsRequests: string[]; user: string; error?: string };
    expect(seen.error, JSON.stringify(seen)).toBeUndefined();
    expect(seen.steps).toEqual([
      ['anonymous', 'log in to enroll'],
      ['logged-in', 'not enrolled'],
      ['after-click', 'enrolled'],
      ['after-reload', 'enrolled'],
    ]);
    expect(seen.user).toBe('student');
    expect(seen.lmsRequests).toContain(`GET https://edx.local.dev:${lmsPort}${me}`);
    expect(seen.lmsRequests).not.toContain(`GET https://edx.local.dev:${lmsPort}/api/user/v1/me`);
  });
});

describe('HTTP and the fake backend', () => {
  const root = tempDir();
  const project = join(root, 'fakeproj');
  const env = { CAROOT: join(root, 'ca'), HOME: root };
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it('refuses the real backend over HTTP before starting anything', async () => {
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 18670 }, lms: { port: 18673 } }));
    const refused = await cli(['--project-dir', project, 'run', '--lms', 'real'], { env });
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain('cannot work over plain HTTP');
    expect((await sh('docker', ['ps', '-aq', '--filter', 'label=com.docker.compose.project=fakeproj'])).stdout.trim()).toBe('');
  });

  it('keeps the enrollment in the browser; the LMS receives no enrollment request', async () => {
    const up = await cli(['--project-dir', project, 'run'], { env });
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toContain('Catalog: http://localhost:18670');
    const home = join(root, 'home');
    mkdirSync(home, { recursive: true });
    const marker = await runMarker('http://localhost:18670', [], await demoLink('http://localhost:18670', []));
    const result = await sh(process.execPath, [FLOW, 'http://localhost:18670/en/courses/demo/', home, '', 'fake', marker]);
    const seen = JSON.parse(result.stdout.trim()) as { steps: string[][]; sessionStorage: Record<string, string>; lmsRequests: string[]; user: string; error?: string };
    expect(seen.error, JSON.stringify(seen)).toBeUndefined();
    expect(seen.steps).toEqual([
      ['anonymous', 'log in to enroll'],
      ['logged-in', 'not enrolled'],
      ['after-click', 'enrolled'],
      ['after-reload', 'enrolled'],
    ]);
    // Richie's dummy backend: its demo user, the enrollment in sessionStorage under "<username>-<course id>".
    expect(seen.user).toBe('admin');
    expect(seen.sessionStorage).toMatchObject({ 'admin-course-v1:richie+demo+2026': 'true' });
    expect(seen.lmsRequests).toEqual([]);
    const enrollments = await sh('curl', ['-sS', 'http://localhost:18673/richie-dev/enrollments']);
    expect(JSON.parse(enrollments.stdout)).toEqual([]);
  });
});
