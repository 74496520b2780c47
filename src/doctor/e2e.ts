/**
 * Doctor's end-to-end checks, from outside the containers, as a browser sees the stack: TLS
 * verified against the system trust store, the CORS preflight for the enrollment call, the
 * cross-domain CSRF cookie, the course regex, the rendered settings read as the real apps
 * read them, and the agreement of both apps' settings.
 */
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { command, run } from '../exec.js';
import { readIfExists } from '../fsutil.js';
import { checkCourseUrl } from '../lms/regex.js';
import { RELEASES, corsWhitelist, type Release } from '../lms/releases.js';
import { hstsPreloaded } from '../lms/site.js';
import { parseEnvFile } from '../render/files.js';
import { readState } from '../state.js';
import type { LmsConfig } from '../config.js';
import { publishTarget } from './stack.js';
import { memo, type Check, type CheckOutcome, type DoctorContext } from './types.js';

interface LmsEnv {
  /** Its config key ("lms", or "lms.1" in a list), its config and its rendered env file. */
  key: string;
  config: LmsConfig;
  env: Record<string, string>;
  /** How findings name it: "the LMS", or "the LMS lms.1 (fonzie)" among several. */
  the: string;
  /**
   * What the catalog's env says of it: where it is called, its two course regexes and its demo
   * course (the first's under the EDX_* names, the others' in the demo catalog's copy).
   */
  routing: { baseUrl?: string | undefined; python?: string | undefined; javascript?: string | undefined; sample?: string | undefined };
}

interface Envs {
  catalog: Record<string, string>;
  /** The first LMS's env (the one EDX_* names). */
  lms: Record<string, string>;
  lmses: LmsEnv[];
}

function envs(ctx: DoctorContext): Promise<Envs | undefined> {
  return memo(ctx, 'envs', async () => {
    const catalog = await readIfExists(join(ctx.paths.envDir, 'catalog.env'));
    const lmsTexts = await Promise.all(ctx.config.lmses.map((l) => readIfExists(join(ctx.paths.envDir, `${l.stem}.env`))));
    if (!catalog || lmsTexts.some((t) => t === undefined)) return undefined;
    const list = ctx.config.lmses.length > 1;
    const cat = parseEnvFile(catalog);
    const samples = parseJson<string[]>(cat.RICHIE_DEV_SAMPLE_COURSE_URLS, [cat.RICHIE_DEV_SAMPLE_COURSE_URL ?? '']);
    const backends = parseJson<{ BASE_URL?: string; COURSE_REGEX?: string; JS_COURSE_REGEX?: string }[]>(cat.RICHIE_DEV_LMS_BACKENDS, []);
    const lmses = ctx.config.lmses.map((config, i): LmsEnv => {
      const key = list ? `lms.${i}` : 'lms';
      const routing =
        i === 0
          ? { baseUrl: cat.EDX_BASE_URL, python: cat.EDX_COURSE_REGEX, javascript: cat.EDX_JS_COURSE_REGEX, sample: cat.RICHIE_DEV_SAMPLE_COURSE_URL }
          : { baseUrl: backends[i]?.BASE_URL, python: backends[i]?.COURSE_REGEX, javascript: backends[i]?.JS_COURSE_REGEX, sample: samples[i] };
      return { key, config, env: parseEnvFile(lmsTexts[i]!), the: list ? `the LMS ${key} (${config.name})` : 'the LMS', routing };
    });
    return { catalog: cat, lms: lmses[0]!.env, lmses };
  });
}

/** The LMS sites, first to last. */
const lmsSites = (ctx: DoctorContext) => ctx.config.lmses.map((l) => ({ host: l.host, port: l.port }));

const notRendered: CheckOutcome = { status: 'fail', seen: 'the settings are not rendered yet', fix: 'richie-dev run-ssl' };

/** The catalog's origin as the browser sees it, for the mode last rendered (lms/site.ts's rule). */
function catalogOrigin(ctx: DoctorContext): Promise<string> {
  return memo(ctx, 'catalogOrigin', async () => {
    const { host, port } = ctx.config.catalog;
    if ((await readState(ctx.paths)).mode !== 'http') return `https://${host}:${port}`;
    return `http://${hstsPreloaded(host) ? 'localhost' : host}:${port}`;
  });
}

/** curl's own words for a failure: its one error line, never its usage text. */
function curlError(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.startsWith('curl: (')) ?? stderr.split('\n').find((l) => l.trim()) ?? 'no answer';
  return line.replace(/^curl: \(\d+\) /, '').trim();
}

/**
 * curl as the browser does it: names pinned to where the ports are published (loopback, or a
 * remote engine's address) so this checks trust, not names.
 */
async function curl(ctx: DoctorContext, url: string, args: string[], trust: 'system' | 'ca'): ReturnType<typeof run> {
  const { address } = await publishTarget(ctx);
  const pinned = isIPv6(address) ? `[${address}]` : address;
  const resolve = [ctx.config.catalog, ...lmsSites(ctx)].flatMap((site) => ['--resolve', `${site.host}:${site.port}:${pinned}`]);
  const ca = trust === 'ca' ? ['--cacert', join(ctx.paths.sslDir, 'ca.pem')] : [];
  return run(command('curl', ['-sS', '--max-time', '5', ...resolve, ...ca, ...args, url]), { reject: false });
}

export const httpsCheck: Check = {
  id: 'https',
  group: 'end-to-end',
  title: 'HTTPS to each host, trusted by the system store',
  tlsOnly: 'no TLS to check',
  async run(ctx) {
    const failures: string[] = [];
    for (const site of [ctx.config.catalog, ...lmsSites(ctx)]) {
      const result = await curl(ctx, `https://${site.host}:${site.port}/`, ['-o', '/dev/null', '-w', '%{http_code}'], 'system');
      if (result.exitCode !== 0) failures.push(`${site.host}:${site.port}: ${curlError(result.stderr)}`);
    }
    if (failures.length) return { status: 'fail', seen: failures.join('; '), fix: 'richie-dev trust install (and richie-dev run-ssl if the stack is down)' };
    return { status: 'pass', seen: `${ctx.config.lmses.length === 1 ? 'both hosts answer' : `all ${1 + ctx.config.lmses.length} hosts answer`} over TLS with a certificate the system trusts` };
  },
};

export const corsCheck: Check = {
  id: 'cors',
  group: 'end-to-end',
  title: 'CORS preflight from the catalog to the LMS enrollment API',
  async run(ctx) {
    const e = await envs(ctx);
    if (!e) return notRendered;
    const origin = await catalogOrigin(ctx);
    for (const { config, env, the } of e.lmses) {
      const url = `${env.LMS_ROOT_URL}/api/enrollment/v1/enrollment`;
      const result = await curl(ctx, url, ['-D', '-', '-o', '/dev/null', '-X', 'OPTIONS', '-H', `Origin: ${origin}`, '-H', 'Access-Control-Request-Method: POST', '-H', 'Access-Control-Request-Headers: content-type, x-csrftoken'], 'ca');
      if (result.exitCode !== 0) return { status: 'fail', seen: `${the} did not answer: ${curlError(result.stderr)}`, fix: 'richie-dev run-ssl' };
      const headers = result.stdout.toLowerCase();
      const allowOrigin = /access-control-allow-origin: (.*)\r?\n/.exec(headers)?.[1]?.trim();
      const credentials = /access-control-allow-credentials: (.*)\r?\n/.exec(headers)?.[1]?.trim();
      if (allowOrigin !== origin.toLowerCase() || credentials !== 'true') {
        return {
          status: 'fail',
          seen: `${the} answers ${origin} with allow-origin ${allowOrigin ?? '(none)'} and allow-credentials ${credentials ?? '(none)'}: the browser will block enrollment`,
          fix: `Put ${JSON.stringify(corsWhitelist(config.release, origin)).slice(1, -1)} in the LMS's CORS_ORIGIN_WHITELIST, the form ${config.release} matches (richie-dev render --ssl rewrites .richie-dev/env/${config.stem}.env), then richie-dev run-ssl`,
        };
      }
    }
    return { status: 'pass', seen: `allow-origin ${origin}, credentials allowed${e.lmses.length > 1 ? ` by all ${e.lmses.length} LMSes` : ''}` };
  },
};

export const csrfCookieCheck: Check = {
  id: 'csrf-cookie',
  group: 'end-to-end',
  title: "LMS's CSRF cookie on the shared parent domain, Secure",
  tlsOnly: 'the fake backend needs no cookie',
  async run(ctx) {
    const e = await envs(ctx);
    if (!e) return notRendered;
    const origin = await catalogOrigin(ctx);
    const seen: string[] = [];
    for (const { key, config, env, the, routing } of e.lmses) {
      const domain = env.CROSS_DOMAIN_CSRF_COOKIE_DOMAIN ?? '';
      const hosts = [ctx.config.catalog.host, config.host];
      const features = JSON.parse(env.FEATURES || '{}') as Record<string, boolean>;
      if (!features.ENABLE_CROSS_DOMAIN_CSRF_COOKIE || !domain || !hosts.every((h) => h.endsWith(domain))) {
        return { status: 'fail', seen: `${the} sets its cookie on "${domain}" (enabled: ${Boolean(features.ENABLE_CROSS_DOMAIN_CSRF_COOKIE)}), not on a parent of ${hosts.join(' and ')}`, fix: 'richie-dev render --ssl && richie-dev run-ssl' };
      }
      // With the demo LMS, log in as its demo user and read the enrollment as Richie's front end
      // does (OpenEdX sets the cookie from the enrollment GETs, for a whitelisted https Referer).
      const login = await curl(ctx, `${env.LMS_ROOT_URL}/login`, ['-D', '-', '-o', '/dev/null', '-c', '-', '-d', 'username=student&password=student&next=/'], 'ca');
      const session = /edx_session=([0-9a-f]+)/.exec(login.stdout)?.[1];
      if (!session) {
        seen.push(`${e.lmses.length > 1 ? `${key}: ` : ''}configured for ${domain} (Secure under TLS); no demo login to observe it`);
        continue;
      }
      const courseId = new RegExp(routing.javascript ?? '').exec(routing.sample ?? '')?.[1] ?? 'course-v1:richie+demo+2026';
      const enrollment = await curl(ctx, `${env.LMS_ROOT_URL}/api/enrollment/v1/enrollment/student,${courseId}`, ['-D', '-', '-o', '/dev/null', '-H', `Origin: ${origin}`, '-H', `Referer: ${origin}/`, '-H', `Cookie: ${env.SESSION_COOKIE_NAME}=${session}`], 'ca');
      const cookie = /set-cookie: (edx_csrf_token=[^\r\n]*)/i.exec(enrollment.stdout)?.[1];
      if (!cookie || !new RegExp(`Domain=${domain.replace(/\./g, '\\.')}(;|$)`, 'i').test(cookie) || !/;\s*Secure/i.test(cookie)) {
        return { status: 'fail', seen: `after login ${the} set ${cookie ?? 'no edx_csrf_token cookie'}`, fix: 'richie-dev render --ssl && richie-dev run-ssl' };
      }
      seen.push(`${e.lmses.length > 1 ? `${key}: ` : ''}${cookie.split(';').slice(1).map((p) => p.trim()).join('; ')}`);
    }
    return { status: 'pass', seen: seen.join('; ') };
  },
};

export const courseRegexCheck: Check = {
  id: 'course-regex',
  group: 'end-to-end',
  title: 'The demo course URL matches COURSE_REGEX and JS_COURSE_REGEX',
  async run(ctx) {
    const e = await envs(ctx);
    if (!e) return notRendered;
    // Each LMS's demo course against that LMS's regexes (the first's are the EDX_* ones).
    const seen: string[] = [];
    for (const { routing } of e.lmses) {
      const url = routing.sample ?? '';
      try {
        seen.push(`${url} → ${checkCourseUrl({ python: routing.python ?? '', javascript: routing.javascript ?? '' }, url)}`);
      } catch (error) {
        return { status: 'fail', seen: (error as Error).message.split('\n')[0]!, fix: 'Fix courseRegex / jsCourseRegex in richie-dev.config.json, then richie-dev render --ssl' };
      }
    }
    return { status: 'pass', seen: seen.join('; ') };
  },
};

export const agreementCheck: Check = {
  id: 'agreement',
  group: 'end-to-end',
  title: "The catalog's and the LMS's settings agree",
  async run(ctx) {
    const e = await envs(ctx);
    if (!e) return notRendered;
    const problems: string[] = [];
    const origin = await catalogOrigin(ctx);
    const secrets = (e.catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS ?? '').split(',').map((v) => v.trim());
    for (const { config, env, the, routing } of e.lmses) {
      const whitelist = parseJson<string[]>(env.CORS_ORIGIN_WHITELIST, []);
      const missing = corsWhitelist(config.release, origin).filter((entry) => !whitelist.includes(entry));
      if (missing.length) problems.push(`${the}'s whitelist ${JSON.stringify(whitelist)} lacks ${missing.join(', ')}, which ${config.release} needs for the catalog at ${origin}`);
      if (routing.baseUrl !== env.LMS_ROOT_URL) problems.push(`the catalog calls ${the} at ${routing.baseUrl ?? '(nowhere)'}, ${the} says it is ${env.LMS_ROOT_URL}`);
      const hooks = parseJson<{ url: string; secret: string; verify: boolean }[]>(env.COURSE_HOOKS ?? env.RICHIE_DEV_COURSE_HOOKS, []);
      if (!hooks.length || !hooks.every((h) => secrets.includes(h.secret))) problems.push(`${the}'s course hook secret is not one the catalog accepts`);
      if (hooks.some((h) => h.verify === false)) problems.push(`a course hook of ${the} has verify: false`);
    }
    if (problems.length) return { status: 'fail', seen: problems.join('; '), fix: 'richie-dev render --ssl (restore the marker line of any env file you took over), then richie-dev run-ssl' };
    return { status: 'pass', seen: `origin, LMS URL and course-hook secret agree${e.lmses.length > 1 ? ` for all ${e.lmses.length} LMSes` : ''}` };
  },
};

function parseJson<T>(text: string | undefined, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

/** openedx-docker reads these with formatter=bool: Python's bool() of the string. */
const LMS_BOOLEANS = ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'CORS_ALLOW_INSECURE', 'CORS_ORIGIN_ALLOW_ALL'];
const FALSE_LOOKING = /^(false|no|off|0|none)$/i;

/**
 * The env files read as the real apps read them: a value a user wrote by hand (or an older
 * richie-dev rendered) that the real app ignores or reads otherwise than it looks.
 */
export const settingsCheck: Check = {
  id: 'settings',
  group: 'end-to-end',
  title: 'The settings are what the real Richie and OpenEdX read',
  async run(ctx) {
    const e = await envs(ctx);
    if (!e) return notRendered;
    const problems: string[] = [];
    const fixes = new Set<string>();
    if (e.catalog.RICHIE_COURSE_RUN_SYNC_SECRETS !== undefined && e.catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS === undefined) {
      problems.push('catalog.env sets RICHIE_COURSE_RUN_SYNC_SECRETS, which Richie never reads (django-configurations reads DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS): every course-run sync gets 401');
      fixes.add('Rename it DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS in .richie-dev/env/catalog.env');
    } else if (!e.catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS) {
      problems.push('catalog.env has no DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS: Richie refuses every course-run sync');
    }
    for (const { config, env } of e.lmses) {
      const file = `${config.stem}.env`;
      for (const name of LMS_BOOLEANS) {
        const value = env[name];
        if (value !== undefined && FALSE_LOOKING.test(value.trim())) {
          problems.push(`${file} sets ${name}=${value}, which openedx-docker reads as True (bool() of a non-empty string)`);
          fixes.add(`Leave ${name} empty for False in .richie-dev/env/${file}`);
        }
      }
      const release = config.release as Release;
      const whitelist = parseJson<unknown>(env.CORS_ORIGIN_WHITELIST, undefined);
      if (!Array.isArray(whitelist)) {
        problems.push(`${file}'s CORS_ORIGIN_WHITELIST is not a JSON list (openedx-docker reads it with json.loads): ${env.CORS_ORIGIN_WHITELIST ?? '(unset)'}`);
      } else {
        const schemed = whitelist.filter((entry) => /^[a-z][a-z0-9+.-]*:\/\//i.test(String(entry)));
        if (RELEASES[release].whitelist === 'netloc' && schemed.length) problems.push(`CORS_ORIGIN_WHITELIST has ${schemed.join(', ')}: ${release} matches hostnames and host:port, never an entry with a scheme`);
        if (RELEASES[release].whitelist === 'origin' && schemed.length < whitelist.length) problems.push(`CORS_ORIGIN_WHITELIST has entries without a scheme: ${release} refuses to start on them (corsheaders.E013)`);
        if (env.RICHIE_DEV_OPENEDX_RELEASE && env.RICHIE_DEV_OPENEDX_RELEASE !== release) problems.push(`${file} was rendered for ${env.RICHIE_DEV_OPENEDX_RELEASE}, the config says its release is ${release}`);
      }
    }
    if (problems.length) {
      const fix = [...fixes, 'or run richie-dev render --ssl (restore the marker line of a file you took over), then richie-dev run-ssl'].join('; ');
      return { status: 'fail', seen: problems.join('; '), fix };
    }
    return { status: 'pass', seen: `sync secret under Richie's name, booleans as openedx-docker reads them, whitelist in ${[...new Set(e.lmses.map((l) => l.config.release))].join(' and ')}'s form` };
  },
};

/**
 * Each site served from an upstream of the user's own: it must answer on this machine, and
 * through nginx, which reaches a loopback upstream through Docker's host gateway — where an
 * app listening on 127.0.0.1 only cannot be reached (nginx answers 502).
 */
export const upstreamsCheck: Check = {
  id: 'upstreams',
  group: 'end-to-end',
  title: 'Upstreams of your own answer, here and through nginx',
  async run(ctx) {
    const sites = (['catalog', 'lms'] as const).flatMap((name) => {
      const upstream = ctx.config[name].upstream;
      return upstream ? [{ name, upstream, site: ctx.config[name] }] : [];
    });
    if (!sites.length) return { status: 'skip', seen: 'no catalog.upstream or lms.upstream configured' };
    const mode = (await readState(ctx.paths)).mode;
    const seen: string[] = [];
    for (const { name, upstream, site } of sites) {
      const direct = await run(command('curl', ['-sS', '--max-time', '5', '-k', '-o', '/dev/null', '-w', '%{http_code}', upstream]), { reject: false });
      if (direct.exitCode !== 0) {
        return { status: 'fail', seen: `${name}.upstream ${upstream} does not answer on this machine: ${curlError(direct.stderr)}`, fix: `Start your app so that it listens at ${upstream} (on every interface, e.g. "manage.py runserver 0.0.0.0:${new URL(upstream).port || 80}"), then richie-dev doctor` };
      }
      if (!mode) {
        seen.push(`${name}.upstream answers here (${direct.stdout}); the stack has not been started`);
        continue;
      }
      const scheme = mode === 'tls' ? 'https' : 'http';
      const host = mode === 'tls' || !hstsPreloaded(site.host) ? site.host : 'localhost';
      const proxied = await curl(ctx, `${scheme}://${host}:${site.port}/`, ['-o', '/dev/null', '-w', '%{http_code}'], 'ca');
      if (proxied.exitCode !== 0) return { status: 'fail', seen: `${scheme}://${host}:${site.port}/: ${curlError(proxied.stderr)}`, fix: 'richie-dev run-ssl (is the stack up?)' };
      if (proxied.stdout === '502' || proxied.stdout === '504') {
        return {
          status: 'fail',
          seen: `${name}.upstream ${upstream} answers here (${direct.stdout}) but nginx cannot reach it (${proxied.stdout} at ${scheme}://${host}:${site.port}/)`,
          fix: 'Make your app listen on every interface (0.0.0.0), not on 127.0.0.1 only: nginx runs in a container and reaches this machine through Docker\'s host gateway (host.docker.internal)',
        };
      }
      seen.push(`${name}.upstream answers here (${direct.stdout}) and through nginx (${proxied.stdout})`);
    }
    return { status: 'pass', seen: seen.join('; ') };
  },
};

export const E2E_CHECKS: readonly Check[] = [httpsCheck, corsCheck, csrfCookieCheck, courseRegexCheck, settingsCheck, agreementCheck, upstreamsCheck];
