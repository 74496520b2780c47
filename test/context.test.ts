/**
 * One context per command (src/context.ts, issue 21): the CLI works out the paths, the config
 * and the CA root once and hands them down. Counted from the outside: strace lists every open
 * of richie-dev.config.json by the real CLI, whichever module opens it. `run-ssl` used to read
 * it five times (run, setup-ssl, hosts, render, the stack), `doctor` twice (its context, then
 * the names check). Fails on the code before src/context.ts (checked there).
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, hasTool, isolatedEnv, removeDir, sh, tempDir } from './helpers.js';

const IMAGE = 'richie-dev-test/context-app:1';
const CONFIG = 'richie-dev.config.json';

/** Run the CLI under strace; how many times the project's config file was opened. */
async function configOpens(args: readonly string[], env: NodeJS.ProcessEnv, dir: string, trace: string): Promise<{ opens: number; exitCode: number; stdout: string; stderr: string }> {
  const result = await execa('strace', ['-f', '-qq', '-e', 'trace=open,openat,openat2', '-e', 'signal=none', '-o', trace, process.execPath, CLI, '--project-dir', dir, ...args], {
    env: isolatedEnv({ ...process.env, NO_COLOR: '1', ...env }),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  const file = join(dir, CONFIG);
  const opens = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"${file}"`) && !/= -1 /.test(line)).length;
  return { opens, exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('the config is read once per command', () => {
  const root = tempDir();
  const env = { CAROOT: join(root, 'ca'), HOME: root, TRUST_STORES: 'nss' };

  beforeAll(() => {
    if (!hasTool('strace') && process.env.CI) throw new Error('strace is missing');
  });
  afterAll(() => removeDir(root));

  it.skipIf(!hasTool('strace') && !process.env.CI)('doctor, on a project started over TLS: one read, shared by every check', async () => {
    const dir = join(root, 'doctorproj');
    mkdirSync(join(dir, '.richie-dev'), { recursive: true });
    writeFileSync(join(dir, CONFIG), JSON.stringify({ catalog: { port: 28570 }, lms: { port: 28573 } }));
    // The names check runs for a project started over TLS (src/doctor/names.ts).
    writeFileSync(join(dir, '.richie-dev', 'state.json'), JSON.stringify({ mode: 'tls', lms: 'real' }));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    // No engine to reach: its checks fail at once, the others run.
    const result = await configOpens(['--json', 'doctor'], { ...env, DOCKER_HOST: `unix://${join(root, 'no-docker.sock')}`, RICHIE_DEV_HOSTS_FILE: join(dir, 'hosts') }, dir, join(root, 'doctor.trace'));
    const checks = (JSON.parse(result.stdout) as { checks: { id: string; status: string }[] }).checks;
    expect(checks.find((c) => c.id === 'names')?.status, result.stderr).not.toBe('skip');
    expect(result.opens).toBe(1);
  });

  it.skipIf(!hasTool('strace') && !process.env.CI)('setup-ssl: one read, for the certificates and the TLS configuration', async () => {
    const dir = join(root, 'sslproj');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, CONFIG), JSON.stringify({ catalog: { port: 28570 }, lms: { port: 28573 } }));
    const result = await configOpens(['--json', 'setup-ssl'], env, dir, join(root, 'ssl.trace'));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.opens).toBe(1);
  });

  describe('run-ssl (a real engine)', () => {
    const dir = join(root, 'ctxproj');

    beforeAll(async () => {
      expect(hasTool('docker')).toBe(true);
      // Any local image that keeps running: the built-in catalog's, under a name of this test's.
      const tagged = await sh('docker', ['tag', 'richie-dev/demo-catalog:latest', IMAGE]);
      expect(tagged.exitCode, tagged.stderr).toBe(0);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, CONFIG), JSON.stringify({ stackFile: 'stack.yml', images: { catalog: IMAGE }, catalog: { port: 28570 }, lms: { port: 28573 } }));
      writeFileSync(join(dir, 'stack.yml'), 'services:\n  app:\n    image: ${RICHIE_DEV_CATALOG_IMAGE}\n    env_file:\n      - ${RICHIE_DEV_STATE_DIR}/env/catalog.env\n');
      writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    });
    afterAll(async () => {
      await cli(['--project-dir', dir, 'down', '--volumes'], { env });
      await sh('docker', ['rmi', IMAGE]);
    });

    it.skipIf(!hasTool('strace') && !process.env.CI)('setup-ssl, hosts, render and the stack share one read', async () => {
      const result = await configOpens(['--json', 'run-ssl', '--hosts-file', join(dir, 'hosts')], env, dir, join(root, 'run.trace'));
      expect(result.exitCode, result.stderr).toBe(0);
      expect((JSON.parse(result.stdout) as { path: string }).path).toBe('full');
      // One read, validated, for every step; and the up record's hash of it (src/stack/record.ts
      // inputStates), which the next run compares. Before the context: seven.
      expect(result.opens).toBe(2);
    });
  });
});
