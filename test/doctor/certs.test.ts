/**
 * doctor's certificate, trust and tool checks: break the real thing, see doctor name the
 * problem and the fix, apply the fix, see doctor pass.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { commandContext } from '../../src/cli/context.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as setupSsl } from '../../src/commands/setup-ssl.js';
import { cli, firefoxRanOnce, hasTool, removeDir, sh, tempDir } from '../helpers.js';

interface Check {
  id: string;
  status: string;
  seen: string;
  fix?: string;
}

describe('doctor: certificates, trust and tools', () => {
  const root = tempDir();
  const home = join(root, 'home');
  const nssdb = join(home, '.pki', 'nssdb');
  const projectDir = join(root, 'project');
  const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };

  async function doctor(extraEnv: NodeJS.ProcessEnv = {}): Promise<{ exitCode: number; checks: Record<string, Check> }> {
    const result = await cli(['--project-dir', projectDir, '--json', 'doctor'], { env: { ...env, ...extraEnv } });
    const json = JSON.parse(result.stdout) as { checks: Check[] };
    return { exitCode: result.exitCode, checks: Object.fromEntries(json.checks.map((c) => [c.id, c])) };
  }

  /** Run the printed fix as the user would. */
  async function applyFix(fix: string | undefined) {
    expect(fix).toBeTruthy();
    const command = fix!.replace(/^richie-dev /, '').split(' (')[0]!.split(' ');
    const result = await cli(['--project-dir', projectDir, ...command], { env });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
  }

  beforeAll(async () => {
    expect(hasTool('certutil')).toBe(true);
    mkdirSync(nssdb, { recursive: true });
    mkdirSync(projectDir);
    await sh('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
    // A Firefox that ran once: with TRUST_STORES=nss its profile is the store doctor judges it by
    // (without one, an installed Firefox could only trust the CA through its policy: a warning).
    await firefoxRanOnce(home);
  });
  afterAll(() => removeDir(root));

  it('with nothing set up: no CA, fix "richie-dev setup-ssl"', async () => {
    const { exitCode, checks } = await doctor();
    expect(exitCode).toBe(5);
    expect(checks['ca-files']).toMatchObject({ status: 'fail', fix: 'richie-dev setup-ssl' });
    expect(checks['certificate']?.seen).toContain('richie.local.dev.pem is missing');
    await applyFix(checks['ca-files']?.fix);
    const after = await doctor();
    expect(after.checks['ca-files']?.status).toBe('pass');
    expect(after.checks['certificate']?.status).toBe('pass');
  });

  it('CA not in the NSS database: fix "richie-dev trust install", then it passes', async () => {
    const { exitCode, checks } = await doctor();
    expect(exitCode).toBe(5);
    expect(checks['trust']).toMatchObject({ status: 'fail', fix: 'richie-dev trust install' });
    expect(checks['trust']?.seen).toContain(nssdb);
    await applyFix(checks['trust']?.fix);
    const after = await doctor();
    expect(after.checks['trust']?.status).toBe('pass');
  });

  it('deleting the NSS entry is noticed by fingerprint', async () => {
    const list = await sh('certutil', ['-L', '-d', `sql:${nssdb}`]);
    const nick = /richie-dev CA [0-9a-f]{64}/.exec(list.stdout)?.[0];
    expect(nick).toBeTruthy();
    await sh('certutil', ['-D', '-d', `sql:${nssdb}`, '-n', nick!]);
    expect((await doctor()).checks['trust']?.status).toBe('fail');
    await applyFix('richie-dev trust install');
    expect((await doctor()).checks['trust']?.status).toBe('pass');
  });

  it('an expiring certificate warns, an expired one fails; setup-ssl fixes both', async () => {
    await setupSsl(commandContext({ projectDir, env }), { force: true, now: new Date(Date.now() - 815 * 86_400_000) });
    const warned = await doctor();
    expect(warned.checks['certificate']).toMatchObject({ status: 'warn' });
    expect(warned.checks['certificate']?.seen).toMatch(/expires in \d days/);
    await setupSsl(commandContext({ projectDir, env }), { force: true, now: new Date(Date.now() - 900 * 86_400_000) });
    const failed = await doctor();
    expect(failed.checks['certificate']?.status).toBe('fail');
    expect(failed.checks['certificate']?.seen).toMatch(/expired on \d{4}-\d\d-\d\d/);
    await applyFix(failed.checks['certificate']?.fix);
    expect((await doctor()).checks['certificate']?.status).toBe('pass');
  });

  it('a CA key readable by others warns with the chmod to run', async () => {
    const key = join(root, 'ca', 'rootCA-key.pem');
    chmodSync(key, 0o644);
    const { checks } = await doctor();
    expect(checks['ca-files']).toMatchObject({ status: 'warn', fix: `chmod 400 ${key}` });
    chmodSync(key, 0o400);
    expect((await doctor()).checks['ca-files']?.status).toBe('pass');
  });

  it('certutil missing while an NSS database exists: names the package', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    const { checks } = await doctor({ PATH: bin });
    expect(checks['certutil']).toMatchObject({ status: 'fail' });
    expect(checks['certutil']?.fix).toContain('sudo apt install libnss3-tools');
    expect((await doctor()).checks['certutil']?.status).toBe('pass');
  });

  it('prints a human report with the fix under each failing check', async () => {
    const result = await cli(['--project-dir', projectDir, 'doctor'], { env: { ...env, CAROOT: join(root, 'elsewhere') } });
    expect(result.exitCode).toBe(5);
    expect(result.stdout).toMatch(/✖ CA files and modes: no CA in .*elsewhere\n {6}→ richie-dev setup-ssl/);
    expect(result.stdout).toMatch(/\d+ passed, \d+ warnings?, \d+ failed/);
  });
});

describe('doctor on a plain-HTTP project', () => {
  it('skips the certificate and trust checks instead of failing them', async () => {
    const root = tempDir();
    try {
      const dir = join(root, 'httpproj');
      mkdirSync(join(dir, '.richie-dev'), { recursive: true });
      writeFileSync(join(dir, '.richie-dev', 'state.json'), JSON.stringify({ mode: 'http', lms: 'fake' }));
      const result = await cli(['--project-dir', dir, '--json', 'doctor'], { env: { CAROOT: join(root, 'none'), HOME: root, TRUST_STORES: 'nss' } });
      const checks = Object.fromEntries((JSON.parse(result.stdout).checks as Check[]).map((c) => [c.id, c]));
      for (const id of ['ca-files', 'ca-constraints', 'certificate', 'trust']) {
        expect(checks[id]).toMatchObject({ status: 'skip', seen: 'the stack runs over plain HTTP (run-ssl creates the certificates)' });
      }
    } finally {
      removeDir(root);
    }
  });
});
