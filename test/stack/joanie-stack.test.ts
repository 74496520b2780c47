/**
 * Joanie in a real stack (Docker, nginx, the real CA and trust store in a private mount
 * namespace, as test/doctor/stack.test.ts does): run-ssl with `joanie` brings up the demo Joanie
 * on its own host and port behind nginx over TLS; its webhook reaches the catalog through nginx
 * (TLS verified with the project's CA inside the container); doctor's Joanie checks pass. Then
 * the same with Keycloak authenticating.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, hasTool, inMountNamespace, PRIVATE_SYSTEM_STORE, removeDir, tempDir } from '../helpers.js';

interface Check {
  id: string;
  status: string;
  seen: string;
}

/**
 * In a private mount namespace (its own /etc and system trust store): run-ssl, trust install,
 * then `between` (shell), doctor --json, down. Doctor's checks by id.
 */
async function upThenDoctor(root: string, project: string, env: Record<string, string>, between = ''): Promise<Record<string, Check>> {
  const result = await inMountNamespace(
    `
    cp -a /etc "${root}/etc"
    mount --bind "${root}/etc" /etc
    ${PRIVATE_SYSTEM_STORE}
    node "${CLI}" --project-dir "${project}" run-ssl >&2
    node "${CLI}" --project-dir "${project}" trust install >&2
    ${between}
    node "${CLI}" --project-dir "${project}" --json doctor > "${root}/doctor.json" || true
    node "${CLI}" --project-dir "${project}" down --volumes >&2
    rm -rf "$copy"
    `,
    env,
  );
  expect(result.exitCode, result.stderr).toBe(0);
  return Object.fromEntries((JSON.parse(readFileSync(join(root, 'doctor.json'), 'utf8')) as { checks: Check[] }).checks.map((c) => [c.id, c]));
}

describe('Joanie in the stack', () => {
  const root = tempDir();
  const project = join(root, 'joanieproj');
  const env = { CAROOT: join(root, 'ca'), HOME: join(root, 'home'), TRUST_STORES: 'system' };
  let checks: Record<string, Check> = {};
  let anonymous = '';
  let state: { runs: { draft: { resource_link: string } }[] } = { runs: [] };

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 18870 }, lms: { port: 18873, fonzie: true }, joanie: { port: 18871 } }));
    checks = await upThenDoctor(
      root,
      project,
      env,
      `
      curl -sS --max-time 5 -o /dev/null -w '%{http_code}' https://joanie.local.dev:18871/api/v1.0/enrollments/ > "${root}/anonymous.txt"
      # Joanie's webhook, sent at its start, retried until the catalog answers.
      for i in $(seq 1 60); do
        curl -sS --max-time 5 https://richie.local.dev:18870/api/v1.0/course-runs/demo/state > "${root}/state.json"
        grep -q 'joanie.local.dev:18871/api/v1.0/course-runs/' "${root}/state.json" && break
        sleep 1
      done
      `,
    );
    anonymous = readFileSync(join(root, 'anonymous.txt'), 'utf8');
    state = JSON.parse(readFileSync(join(root, 'state.json'), 'utf8')) as typeof state;
  }, 600_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it('Joanie answers on its own host over TLS, trusted by the system store: DRF\'s 401 for an anonymous enrollment list', () => {
    expect(anonymous).toBe('401');
  });

  it("its runs reach the catalog through Richie's sync endpoint, each resource_link on Joanie's API", () => {
    const links = state.runs.map((r) => r.draft.resource_link).filter((l) => l.startsWith('https://joanie.local.dev:18871/api/v1.0/course-runs/'));
    expect(links).toHaveLength(8);
  });

  it("doctor: Joanie's settings agree, TLS is trusted, a Fonzie token is accepted", () => {
    for (const id of ['joanie-agreement', 'joanie-https', 'joanie-token']) expect(checks[id], id).toMatchObject({ status: 'pass' });
  });
});

/**
 * With Keycloak authenticating and an LMS whose backend issues no token (hawthorn without Fonzie):
 * the demo Joanie, inside its container, fetches the realm's keys from the Keycloak stand-in
 * through nginx under Keycloak's public name (TLS verified with the project's CA), and accepts
 * the ID token the stand-in issues the demo user on a real sign-in (doctor's joanie-token).
 */
describe('Joanie with Keycloak in the stack', () => {
  const root = tempDir();
  const project = join(root, 'joaniekcproj');
  const env = { CAROOT: join(root, 'ca'), HOME: join(root, 'home'), TRUST_STORES: 'system' };
  let checks: Record<string, Check> = {};

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 18880 }, lms: { port: 18883, release: 'hawthorn' }, authentication: { backend: 'keycloak', port: 18884 }, joanie: { port: 18881 } }));
    checks = await upThenDoctor(root, project, env);
  }, 600_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it("doctor: Joanie trusts the catalog's realm, and accepts the ID token Keycloak issues the demo user", () => {
    expect(checks['joanie-agreement']).toMatchObject({ status: 'pass', seen: expect.stringContaining("the catalog's Keycloak realm") });
    expect(checks['joanie-token']).toMatchObject({ status: 'pass', seen: expect.stringContaining('the ID token Keycloak issued student on signing in at https://keycloak.local.dev:18884/realms/richie') });
    for (const id of ['joanie-https', 'keycloak', 'keycloak-cors']) expect(checks[id], id).toMatchObject({ status: 'pass' });
  });
});
