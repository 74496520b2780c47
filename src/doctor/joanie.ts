/**
 * Doctor's Joanie checks (config `joanie`): the settings Joanie shares with the others agree
 * (the webhook secret the catalog accepts, Fonzie's signing key or the catalog's Keycloak realm,
 * the LMS's API key), Joanie answers over TLS with a certificate the system trusts, and a token
 * as the identity provider issues it is accepted: one made as Fonzie makes them, or with Keycloak
 * authenticating, the ID token the Keycloak stand-in issues the demo user after a real sign-in.
 * Skipped, saying so, when the project has no Joanie.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { keycloakIdToken } from '../auth/keycloak-login.js';
import { KEYCLOAK_DEMO_USER, keycloakModel, type KeycloakModel } from '../auth/keycloak.js';
import { command, run } from '../exec.js';
import { readIfExists } from '../fsutil.js';
import { parseEnvFile } from '../render/files.js';
import { publishTarget } from './stack.js';
import type { Check, CheckOutcome, DoctorContext } from './types.js';

const noJoanie: CheckOutcome = { status: 'skip', seen: 'the project has no "joanie" key' };
const upstreamJoanie = (ctx: DoctorContext): CheckOutcome => ({ status: 'skip', seen: `Joanie is yours (${ctx.config.joanie!.upstream}): its settings are in your checkout; "richie-dev joanie" prints what they must be` });

async function envFile(ctx: DoctorContext, name: string): Promise<Record<string, string> | undefined> {
  const text = await readIfExists(join(ctx.paths.envDir, name));
  return text === undefined ? undefined : parseEnvFile(text);
}
/** The catalog's Keycloak when Richie authenticates with it (`keycloak`): then Joanie checks its ID tokens. */
const keycloakIssuer = (ctx: DoctorContext): KeycloakModel | undefined => (ctx.config.authentication?.backend === 'keycloak' ? keycloakModel(ctx.config, { tls: true }) : undefined);

function parseJson<T>(text: string | undefined, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

export const joanieAgreementCheck: Check = {
  id: 'joanie-agreement',
  group: 'end-to-end',
  title: "Joanie's settings agree with the catalog's and the LMS's",
  async run(ctx) {
    if (!ctx.config.joanie) return noJoanie;
    if (ctx.config.joanie.upstream) return upstreamJoanie(ctx);
    const [catalog, lms, joanie] = await Promise.all([envFile(ctx, 'catalog.env'), envFile(ctx, 'lms.env'), envFile(ctx, 'joanie.env')]);
    if (!catalog || !lms || !joanie) return { status: 'fail', seen: 'the settings are not rendered yet', fix: 'richie-dev run-ssl' };
    const problems: string[] = [];
    const secrets = (catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS ?? '').split(',').map((v) => v.trim());
    const hooks = parseJson<{ url: string; secret: string }[]>(joanie.DJANGO_COURSE_WEB_HOOKS, []);
    if (!hooks.length || !hooks.every((h) => secrets.includes(String(h.secret)))) problems.push("Joanie's webhook secret (DJANGO_COURSE_WEB_HOOKS) is not one the catalog accepts (DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS)");
    const keycloak = keycloakIssuer(ctx);
    if (keycloak) {
      const catalogRealm = `${catalog.AUTHENTICATION_BASE_URL}/realms/${catalog.AUTHENTICATION_KEYCLOAK_REALM}`;
      if (joanie.DJANGO_KEYCLOAK_ISSUER !== catalogRealm) problems.push(`Joanie trusts tokens from ${joanie.DJANGO_KEYCLOAK_ISSUER ?? '(no issuer: DJANGO_KEYCLOAK_ISSUER)'}, the catalog signs users in at ${catalogRealm}`);
      if (joanie.DJANGO_KEYCLOAK_JWK_URL !== `${catalogRealm}/protocol/openid-connect/certs`) problems.push(`Joanie reads the realm's keys at ${joanie.DJANGO_KEYCLOAK_JWK_URL ?? '(nowhere: DJANGO_KEYCLOAK_JWK_URL)'}, not ${catalogRealm}/protocol/openid-connect/certs`);
    } else {
      const fonzieKey = parseJson<{ SIGNING_KEY?: string }>(lms.SIMPLE_JWT, {}).SIGNING_KEY;
      if (!fonzieKey || fonzieKey !== joanie.DJANGO_JWT_PRIVATE_SIGNING_KEY) problems.push("Joanie's DJANGO_JWT_PRIVATE_SIGNING_KEY is not the key Fonzie signs with (the LMS's SIMPLE_JWT)");
    }
    const [backend] = parseJson<{ API_TOKEN?: string; BASE_URL?: string }[]>(joanie.JOANIE_LMS_BACKENDS, []);
    if (!backend || backend.API_TOKEN !== lms.EDX_API_KEY) problems.push("Joanie's API_TOKEN (JOANIE_LMS_BACKENDS) is not the LMS's EDX_API_KEY");
    if (backend && backend.BASE_URL !== lms.LMS_ROOT_URL) problems.push(`Joanie calls the LMS at ${backend.BASE_URL}, the LMS says it is ${lms.LMS_ROOT_URL}`);
    if (catalog.JOANIE_BASE_URL !== joanie.RICHIE_DEV_JOANIE_ORIGIN) problems.push(`the catalog calls Joanie at ${catalog.JOANIE_BASE_URL ?? '(nowhere)'}, Joanie says it is ${joanie.RICHIE_DEV_JOANIE_ORIGIN}`);
    if (problems.length) return { status: 'fail', seen: problems.join('; '), fix: 'richie-dev render --ssl (restore the marker line of any env file you took over), then richie-dev run-ssl' };
    return { status: 'pass', seen: `webhook secret, ${keycloak ? "the catalog's Keycloak realm" : "Fonzie's signing key"}, the LMS's API key and Joanie's URL agree` };
  },
};

/**
 * A token in the form Fonzie's user/me issues (HS256 under SIMPLE_JWT's key, token_type access,
 * a username), made here with the platform's HMAC: what Joanie's DelegatedJWTAuthentication
 * checks. The user is richie-dev-doctor (Joanie creates a user on the fly for a new username).
 */
const DOCTOR_USER = 'richie-dev-doctor';
function fonzieStyleToken(key: string, now: Date): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(now.getTime() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ token_type: 'access', exp: iat + 300, iat, jti: randomUUID().replaceAll('-', ''), username: DOCTOR_USER, email: `${DOCTOR_USER}@example.com` })}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** curl to Joanie, its name pinned to where the ports are published (this checks trust, not names). */
async function curlJoanie(ctx: DoctorContext, path: string, args: string[]) {
  const { host, port } = ctx.config.joanie!;
  const { address } = await publishTarget(ctx);
  const pinned = isIPv6(address) ? `[${address}]` : address;
  return run(command('curl', ['-sS', '--max-time', '5', '--resolve', `${host}:${port}:${pinned}`, ...args, `https://${host}:${port}${path}`]), { reject: false });
}

export const joanieTlsCheck: Check = {
  id: 'joanie-https',
  group: 'end-to-end',
  title: 'Joanie answers over TLS, trusted by the system store',
  tlsOnly: 'no TLS to check',
  async run(ctx) {
    if (!ctx.config.joanie) return noJoanie;
    const result = await curlJoanie(ctx, '/api/v1.0/addresses/', ['-o', '/dev/null', '-w', '%{http_code}']);
    const line = result.stderr.split('\n').find((l) => l.startsWith('curl: (')) ?? result.stderr.trim();
    if (result.exitCode !== 0) return { status: 'fail', seen: `${ctx.config.joanie.host}:${ctx.config.joanie.port}: ${line.replace(/^curl: \(\d+\) /, '') || 'no answer'}`, fix: 'richie-dev trust install (and richie-dev run-ssl if the stack is down)' };
    // DRF's answer for an anonymous call: Joanie itself answered, not a proxy error page.
    if (result.stdout.trim() !== '401') return { status: 'fail', seen: `GET /api/v1.0/addresses/ without a token answered ${result.stdout.trim()}, not Joanie's 401`, fix: ctx.config.joanie.upstream ? `Start your Joanie at ${ctx.config.joanie.upstream}` : 'richie-dev run-ssl' };
    return { status: 'pass', seen: `${ctx.config.joanie.host}:${ctx.config.joanie.port} answers over TLS with a certificate the system trusts` };
  },
};

/** Joanie's answer to GET /api/v1.0/addresses/ with a token: its status, or nothing. */
async function withToken(ctx: DoctorContext, token: string): Promise<string> {
  const result = await curlJoanie(ctx, '/api/v1.0/addresses/', ['-o', '/dev/null', '-w', '%{http_code}', '-H', `Authorization: Bearer ${token}`]);
  return result.exitCode === 0 ? result.stdout.trim() : '';
}

export const joanieTokenCheck: Check = {
  id: 'joanie-token',
  group: 'end-to-end',
  title: 'Joanie accepts a token as the identity provider issues it',
  tlsOnly: 'Joanie runs over TLS only',
  async run(ctx) {
    if (!ctx.config.joanie) return noJoanie;
    const keycloak = keycloakIssuer(ctx);
    if (keycloak) {
      if (keycloak.upstream) return { status: 'skip', seen: `Keycloak is yours (${keycloak.upstream}): doctor knows none of its users' passwords, so it has no ID token to show Joanie` };
      const ca = await readIfExists(join(ctx.paths.sslDir, 'ca.pem'));
      if (!ca) return { status: 'fail', seen: `no CA in ${ctx.paths.sslDir}`, fix: 'richie-dev setup-ssl' };
      let idToken: string;
      try {
        idToken = await keycloakIdToken(keycloak, { address: (await publishTarget(ctx)).address, ca }, KEYCLOAK_DEMO_USER);
      } catch (error) {
        return { status: 'fail', seen: `signing ${KEYCLOAK_DEMO_USER.username} in on ${keycloak.realmUrl}: ${(error as Error).message}`, fix: 'richie-dev run-ssl' };
      }
      const status = await withToken(ctx, idToken);
      if (status !== '200') return { status: 'fail', seen: `GET /api/v1.0/addresses/ with ${KEYCLOAK_DEMO_USER.username}'s Keycloak ID token answered ${status || 'nothing'}`, fix: ctx.config.joanie.upstream ? 'Set your Joanie\'s DJANGO_JWT_* and DJANGO_KEYCLOAK_* to what "richie-dev joanie" prints' : 'richie-dev run-ssl' };
      return { status: 'pass', seen: `the ID token Keycloak issued ${KEYCLOAK_DEMO_USER.username} on signing in at ${keycloak.realmUrl} is accepted (200 on /api/v1.0/addresses/)` };
    }
    const lms = await envFile(ctx, 'lms.env');
    const key = parseJson<{ SIGNING_KEY?: string }>(lms?.SIMPLE_JWT, {}).SIGNING_KEY;
    if (!key) return { status: 'fail', seen: "the LMS's settings carry no Fonzie signing key (SIMPLE_JWT)", fix: 'richie-dev run-ssl' };
    const status = await withToken(ctx, fonzieStyleToken(key, ctx.now));
    if (status !== '200') {
      return { status: 'fail', seen: `GET /api/v1.0/addresses/ with a Fonzie token answered ${status || 'nothing'}`, fix: ctx.config.joanie.upstream ? 'Set DJANGO_JWT_PRIVATE_SIGNING_KEY in your Joanie to the value "richie-dev joanie --show-secrets" prints' : 'richie-dev run-ssl' };
    }
    // DelegatedJWTAuthentication creates the token's user on the fly: on a Joanie of yours, say so.
    const made = ctx.config.joanie.upstream ? `; your Joanie has a user ${DOCTOR_USER} from it` : '';
    return { status: 'pass', seen: `a token signed with Fonzie's key is accepted (200 on /api/v1.0/addresses/)${made}` };
  },
};

export const JOANIE_CHECKS: readonly Check[] = [joanieAgreementCheck, joanieTlsCheck, joanieTokenCheck];
