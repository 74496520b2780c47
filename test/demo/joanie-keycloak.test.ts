/**
 * The demo Joanie with Keycloak authenticating (`authentication.backend` "keycloak"): Richie's
 * front end then sends Keycloak's ID token (richie-education js/api/auth/keycloak.ts), which
 * Joanie checks with the realm's published keys (openfun/joanie settings.py SIMPLE_JWT with
 * KEYCLOAK_JWK_URL and KEYCLOAK_ISSUER, core/authentication.py KeycloakAccessToken, as
 * env.d/development/common.dist configures it). The Keycloak stand-in, the demo LMS and the demo
 * Joanie run on the host with the settings richie-dev renders, only their addresses changed for
 * loopback; the ID token comes from a real sign-in (src/auth/keycloak-login.ts, doctor's way).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keycloakIdToken } from '../../src/auth/keycloak-login.js';
import { KEYCLOAK_DEMO_USER, keycloakEnv, keycloakModel, type KeycloakModel } from '../../src/auth/keycloak.js';
import { parseConfig } from '../../src/config-schema.js';
import { lmsEnv } from '../../src/lms/env.js';
import { siteModels } from '../../src/lms/site.js';
import { joanieEnv, joanieModel } from '../../src/render/joanie.js';
import { ROOT } from '../helpers.js';
import { COURSE, SECRETS, demoLms, type Lms } from './demo-lms.js';

const JOANIE_SERVER = join(ROOT, 'templates', 'images', 'demo-joanie', 'server.mjs');
const KEYCLOAK_SERVER = join(ROOT, 'templates', 'images', 'demo-keycloak', 'server.mjs');

const { startLms, startApp: start, close } = demoLms();
afterAll(close);

/** A Keycloak stand-in at a loopback URL: the model richie-dev renders, its URLs moved there. */
async function startKeycloak(model: KeycloakModel, name: string): Promise<KeycloakModel> {
  const moved = (origin: string) => ({ ...model, origin, realmUrl: `${origin}/realms/${model.realm}` });
  return moved(await start(KEYCLOAK_SERVER, (base) => keycloakEnv(moved(base), { keycloakLmsClientSecret: 'unused' }), name));
}

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe("demo Joanie, checking Keycloak's ID tokens", () => {
  let keycloak: KeycloakModel;
  let otherKeycloak: KeycloakModel;
  let lms: Lms;
  let joanie: string;
  let rendered: Record<string, string>;
  let idToken: string;
  const dial = { address: '127.0.0.1', ca: '' };
  const call = (path: string, token: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${joanie}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });

  beforeAll(async () => {
    // The LMS's backend issues no token (hawthorn): with Keycloak authenticating, Joanie is allowed.
    const config = parseConfig({ lms: { release: 'hawthorn' }, authentication: { backend: 'keycloak' }, joanie: {} });
    const models = await siteModels(config, { tls: true, backend: 'real', secret: 's'.repeat(64) });
    const model = models[0]!;
    const site = keycloakModel(config, { tls: true })!;
    keycloak = await startKeycloak(site, 'keycloak');
    otherKeycloak = await startKeycloak(site, 'other-keycloak');
    rendered = joanieEnv(joanieModel(config, model)!, model, SECRETS);
    lms = await startLms({ ...lmsEnv(model, { secrets: SECRETS, first: true }), ALLOWED_HOSTS: JSON.stringify(['edx.local.dev', '127.0.0.1']) });
    const [backend] = JSON.parse(rendered.JOANIE_LMS_BACKENDS!) as Record<string, string>[];
    joanie = await start(
      JOANIE_SERVER,
      {
        ...rendered,
        DJANGO_KEYCLOAK_ISSUER: keycloak.realmUrl,
        DJANGO_KEYCLOAK_JWK_URL: `${keycloak.realmUrl}/protocol/openid-connect/certs`,
        DJANGO_COURSE_WEB_HOOKS: '[]',
        JOANIE_LMS_BACKENDS: JSON.stringify([{ ...backend, BASE_URL: lms.base, SELECTOR_REGEX: '^http://127\\.0\\.0\\.1:[0-9]+/courses/.*$' }]),
      },
      'joanie',
    );
    idToken = await keycloakIdToken(keycloak, dial, KEYCLOAK_DEMO_USER);
  });

  it("signs the demo user in as keycloak-js's standard flow does: an ID token as Keycloak's (typ ID, a jti, preferred_username); a wrong password is named", async () => {
    expect(claims(idToken)).toMatchObject({ iss: keycloak.realmUrl, aud: 'richie', typ: 'ID', preferred_username: 'student', jti: expect.any(String) });
    await expect(keycloakIdToken(keycloak, dial, { username: 'student', password: 'nope' })).rejects.toThrow("Keycloak refused student's password");
  });

  it("accepts the ID token Richie's keycloak backend sends; refuses another Keycloak's ID token and a token signed as Fonzie's", async () => {
    expect((await call('/api/v1.0/addresses/', idToken)).status).toBe(200);
    const refused = [await keycloakIdToken(otherKeycloak, dial, KEYCLOAK_DEMO_USER)];
    const fonzie = await new SignJWT({ username: 'student', token_type: 'access', jti: 'j' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRETS.jwtSigningKey));
    refused.push(fonzie);
    for (const token of refused) {
      const res = await call('/api/v1.0/addresses/', token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ detail: 'Given token not valid for any token type', code: 'token_not_valid' });
    }
  });

  it("users/me: the user named by preferred_username, its full name from given_name and family_name (JOANIE_JWT_USER_FIELDS_SYNC)", async () => {
    const me = await call('/api/v1.0/users/me/', idToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username: 'student', full_name: 'Demo Student' });
  });

  it('enrolls the Keycloak user: Joanie sets it on the LMS under preferred_username', async () => {
    const runs = (await (await fetch(`${joanie}/api/v1.0/enrollments/`, { headers: { authorization: `Bearer ${idToken}` } })).json()) as { count: number };
    expect(runs.count).toBe(0);
    // The open run's id, as Joanie serves it: found by its resource_link on the LMS.
    const runId = await openRunId();
    const created = await call('/api/v1.0/enrollments/', idToken, { method: 'POST', body: { course_run_id: runId, is_active: true, was_created_by_order: false } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ is_active: true, state: 'set' });
    const onLms = await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { 'x-edx-api-key': SECRETS.edxApiKey } });
    expect(JSON.parse(await onLms.text())).toMatchObject({ user: 'student', is_active: true, course_details: { course_id: COURSE } });
  });

  /** Joanie's run for the sample course: its id is stable (server.mjs `uuid('run:<course id>')`), checked on the detail route. */
  async function openRunId(): Promise<string> {
    const h = createHash('sha256').update(`run:${COURSE}`).digest('hex');
    const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    const run = (await (await fetch(`${joanie}/api/v1.0/course-runs/${id}/`)).json()) as { resource_link: string };
    expect(run.resource_link).toContain(`/courses/${COURSE}/`);
    return id;
  }
});
