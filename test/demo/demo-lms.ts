/**
 * Running the demo LMS (templates/images/demo-lms/server.mjs) on the host with the env file
 * richie-dev renders, and talking to it as nginx forwards a browser's requests (Host with port,
 * X-Forwarded-Proto). Shared by the demo LMS's test files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { lmsEnv } from '../../src/lms/env.js';
import { siteModel } from '../../src/lms/site.js';
import { ROOT, freePort, removeDir, tempDir } from '../helpers.js';

export const SERVER = join(ROOT, 'templates', 'images', 'demo-lms', 'server.mjs');
export const HOST = 'edx.local.dev:8073';
export const CATALOG = 'https://richie.local.dev:8070';
/** The sample course (src/lms/site.ts's default): its run is the open one. */
export const COURSE = 'course-v1:richie+demo+2026';
/** What the render would take from .richie-dev/secrets.json (src/lms/secret.ts). */
export const SECRETS = { edxApiKey: 'a'.repeat(64), jwtSigningKey: 'j'.repeat(64) };

/** A demo LMS family for one test file: every process started is stopped, every folder removed, by `close`. */
export function demoLms() {
  const root = tempDir();
  const children: ChildProcess[] = [];
  let count = 0;

  /** The LMS env richie-dev renders for a release (TLS, real backend), with overrides. */
  async function renderedEnv(release: string, overrides: Record<string, string> = {}, config: Record<string, unknown> = {}): Promise<Record<string, string>> {
    const model = await siteModel(parseConfig({ lms: { release, ...config } }), { tls: true, backend: 'real', secret: 's'.repeat(64) });
    return { ...lmsEnv(model, { secrets: SECRETS, first: true }), ...overrides };
  }

  async function startLms(env: Record<string, string>): Promise<Lms> {
    const port = await freePort();
    const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH, ...env, PORT: String(port), RICHIE_DEV_DATA_DIR: join(root, `lms-${count++}`) }, stdio: 'ignore' });
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // As nginx forwards a browser's TLS request: the public Host, X-Forwarded-Proto https.
    const lms = (path: string, init: LmsRequest = {}) => send(`${base}${path}`, init.method ?? 'GET', { host: HOST, 'x-forwarded-proto': 'https', ...init.headers }, init.body);
    return Object.assign(lms, { release: env.RICHIE_DEV_OPENEDX_RELEASE ?? 'hawthorn', base });
  }

  /**
   * Another demo app (the catalog, Joanie, Keycloak): its server.mjs with `env` (or the env for
   * the base URL it gets), on a free port; its loopback base URL once /health answers.
   */
  async function startApp(server: string, env: Record<string, string> | ((base: string) => Record<string, string>), name: string): Promise<string> {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const settings = typeof env === 'function' ? env(base) : env;
    const child = spawn(process.execPath, [server], { env: { PATH: process.env.PATH, ...settings, PORT: String(port), RICHIE_DEV_DATA_DIR: join(root, `${name}-${count++}`) }, stdio: 'ignore' });
    children.push(child);
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return base;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${name} did not start`);
  }

  return {
    root,
    renderedEnv,
    startLms,
    startApp,
    close() {
      for (const child of children) child.kill();
      removeDir(root);
    },
  };
}

export interface LmsRequest {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}
/** `base`: its loopback address, for another app calling it server to server. */
export type Lms = ((path: string, init?: LmsRequest) => Promise<Response>) & { release: string; base: string };

/** One HTTP request as a fetch Response, with a Host header of our choosing (fetch forbids one). */
export function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) out.append(name, v);
        const status = res.statusCode ?? 0;
        resolve(new Response([204, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: out }));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const setCookies = (res: Response) => res.headers.getSetCookie();
export const cookieNamed = (res: Response, name: string) => setCookies(res).find((c) => c.startsWith(`${name}=`));
export const value = (cookie: string | undefined) => cookie?.slice(cookie.indexOf('=') + 1, cookie.indexOf(';'));

/** Log in (student by default); returns the Cookie header a browser would then send. */
export async function logIn(lms: Lms, username = 'student'): Promise<string> {
  const res = await lms('/login', { method: 'POST', body: `username=${username}&password=${username}&next=richie/en/courses/demo/`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe('https://edx.local.dev:8073/richie/en/courses/demo/');
  const session = cookieNamed(res, 'edx_session')!;
  // Secure (SESSION_COOKIE_SECURE is non-empty), HttpOnly; Django 1.11 (to Ironwood) sets no SameSite, later Django Lax.
  expect(session).toMatch(/; HttpOnly; Path=\/; Secure(; SameSite=Lax)?$/);
  expect(session.includes('SameSite')).toBe(!['dogwood', 'eucalyptus', 'hawthorn', 'ironwood'].includes(lms.release));
  return `edx_session=${value(session)}`;
}

/**
 * A logged-in browser on the catalog page: its session, the csrftoken an enrollment GET gave it
 * (Django's own cookie and the cross-domain copy carry the same token), and the headers its
 * cross-domain calls carry.
 */
export async function browser(lms: Lms, username = 'student') {
  const session = await logIn(lms, username);
  const fromCatalog = { origin: CATALOG, referer: `${CATALOG}/` };
  const get = await lms(`/api/enrollment/v1/enrollment/${username},${COURSE}`, { headers: { ...fromCatalog, cookie: session } });
  const token = value(cookieNamed(get, 'csrftoken'))!;
  const headers = { ...fromCatalog, cookie: `${session}; csrftoken=${token}`, 'x-csrftoken': token };
  /** openedx-hawthorn's enrollment POST (richie-education js/api/lms/openedx-hawthorn.ts). */
  const enroll = (courseId: string, body: Record<string, unknown> = {}) =>
    lms('/api/enrollment/v1/enrollment', { method: 'POST', body: JSON.stringify({ user: username, course_details: { course_id: courseId }, ...body }), headers: { 'content-type': 'application/json', ...headers } });
  return { session, token, headers, enroll };
}
