/**
 * doctor on a real stack: all passing; then each link broken for real — a shadowing hosts
 * line, a port taken, the catalog origin missing from the LMS whitelist, the engine out of
 * reach — each named with its fix, and passing again once the fix is applied. Runs inside a
 * private mount namespace: a copy of /etc (hosts) and of the system trust store, so
 * `trust install` and `hosts add` act for real without touching the machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, firefoxRanOnce, hasTool, inMountNamespace, PRIVATE_SYSTEM_STORE, removeDir, tempDir } from '../helpers.js';

interface Check {
  id: string;
  status: string;
  seen: string;
  fix?: string;
}

describe('doctor on a running stack', () => {
  const root = tempDir();
  const project = join(root, 'doctorproj');
  // The system store and the browsers' NSS databases: trust install creates Chromium's where it
  // will open it; Firefox is one that ran once (its profile), so its policy file in /etc is not needed.
  const env = { CAROOT: join(root, 'ca'), HOME: join(root, 'home'), TRUST_STORES: 'system,nss' };
  let runs: Record<string, { exitCode: number; checks: Record<string, Check> }> = {};

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 18770 }, lms: { port: 18773 } }));
    await firefoxRanOnce(env.HOME);
    const doctor = (name: string, extra = '') => `${extra} node "${CLI}" --project-dir "${project}" --json doctor > "${root}/${name}.json" || true`;
    const result = await inMountNamespace(
      `
      cp -a /etc "${root}/etc"
      mount --bind "${root}/etc" /etc
      ${PRIVATE_SYSTEM_STORE}
      node "${CLI}" --project-dir "${project}" run-ssl >&2
      ${doctor('untrusted')}
      node "${CLI}" --project-dir "${project}" trust install >&2
      ${doctor('healthy')}
      # A line before our block maps the LMS elsewhere.
      sed -i '1i 10.9.8.7 edx.local.dev' /etc/hosts
      ${doctor('shadowed')}
      sed -i '1d' /etc/hosts
      ${doctor('unshadowed')}
      # The catalog origin removed from the LMS whitelist (the user took lms.env over).
      env_file="${project}/.richie-dev/env/lms.env"; cp "$env_file" "${root}/lms.env.orig"
      tail -n +2 "${root}/lms.env.orig" | sed 's|^CORS_ORIGIN_WHITELIST=.*|CORS_ORIGIN_WHITELIST=[]|' > "$env_file"
      node "${CLI}" --project-dir "${project}" run-ssl >&2
      ${doctor('cors')}
      cp "${root}/lms.env.orig" "$env_file"
      node "${CLI}" --project-dir "${project}" run-ssl >&2
      ${doctor('cors-fixed')}
      # The stack stopped and the catalog port taken by another process.
      node "${CLI}" --project-dir "${project}" stop >&2
      node -e "require('net').createServer().listen(18770,'127.0.0.1')" & holder=$!
      sleep 0.5
      ${doctor('port')}
      kill $holder
      ${doctor('engine', `DOCKER_HOST=unix://${root}/nowhere.sock`)}
      node "${CLI}" --project-dir "${project}" down --volumes >&2
      rm -rf "$copy"
      `,
      env,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    for (const name of ['untrusted', 'healthy', 'shadowed', 'unshadowed', 'cors', 'cors-fixed', 'port', 'engine']) {
      const json = JSON.parse(readFileSync(join(root, `${name}.json`), 'utf8')) as { checks: Check[]; summary: unknown; ok: boolean };
      runs[name] = { exitCode: json.ok ? 0 : 5, checks: Object.fromEntries(json.checks.map((c) => [c.id, c])) };
    }
  }, 600_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
    runs = {};
  });

  it('the CA not in the system store: TLS fails the way a browser would, fix "richie-dev trust install"', () => {
    expect(runs.untrusted!.checks.trust).toMatchObject({ status: 'fail', fix: 'richie-dev trust install' });
    expect(runs.untrusted!.checks.https).toMatchObject({ status: 'fail' });
    expect(runs.untrusted!.checks.https!.seen).toMatch(/certificate/i);
  });

  it('a healthy, trusted stack passes every check', () => {
    const failing = Object.values(runs.healthy!.checks).filter((c) => c.status === 'fail' || c.status === 'warn');
    expect(failing).toEqual([]);
    expect(runs.healthy!.exitCode).toBe(0);
    expect(runs.healthy!.checks['nginx-config']).toMatchObject({ status: 'pass', seen: 'syntax is ok, test is successful' });
    expect(runs.healthy!.checks['csrf-cookie']!.seen).toMatch(/^Domain=\.local\.dev; Max-Age=\d+; Path=\/; Secure$/);
  });

  it('a shadowing hosts line: names its file and line, then passes once removed', () => {
    expect(runs.shadowed!.checks.names!.status).toBe('fail');
    expect(runs.shadowed!.checks.names!.seen).toContain('/etc/hosts line 1 maps edx.local.dev to 10.9.8.7 before our entries');
    expect(runs.shadowed!.checks.names!.fix).toBe('Edit /etc/hosts: remove line 1');
    expect(runs.unshadowed!.checks.names!.status).toBe('pass');
  });

  it('the catalog origin missing from the LMS whitelist: CORS and agreement fail, then pass after re-rendering', () => {
    expect(runs.cors!.checks.cors!.status).toBe('fail');
    expect(runs.cors!.checks.cors!.seen).toContain('allow-origin (none)');
    expect(runs.cors!.checks.cors!.fix).toContain('"richie.local.dev","richie.local.dev:18770" in the LMS\'s CORS_ORIGIN_WHITELIST, the form hawthorn matches');
    expect(runs.cors!.checks.agreement!.status).toBe('fail');
    expect(runs['cors-fixed']!.checks.cors!.status).toBe('pass');
    expect(runs['cors-fixed']!.checks.agreement!.status).toBe('pass');
  });

  it("every finding is one line: curl's failures give its error line, never its usage text", () => {
    for (const [name, run] of Object.entries(runs)) {
      for (const check of Object.values(run.checks)) {
        expect(check.seen, `${name}/${check.id}`).not.toContain('\n');
        expect(check.seen, `${name}/${check.id}`).not.toMatch(/curl --help|Usage: curl/);
      }
    }
  });

  it('a port held by another process is named', () => {
    expect(runs.port!.checks.ports!.status).toBe('fail');
    expect(runs.port!.checks.ports!.seen).toMatch(/18770 is held by node \(pid \d+\)/);
  });

  it('an unreachable engine says how to start it', () => {
    expect(runs.engine!.checks.docker!.status).toBe('fail');
    expect(runs.engine!.checks.docker!.fix).toContain('dockerd');
  });
});
