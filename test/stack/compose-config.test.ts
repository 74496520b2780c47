/**
 * `richie-dev stack config`: the resolved model printed in docker-compose config's shape. Run
 * through the CLI's own entry point (output and exit code as the user gets them), and judged
 * by docker-compose itself: the printed YAML is a Compose file that compose reads back to what
 * it reads from the original.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { commandContext } from '../../src/cli/context.js';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/program.js';
import { config } from '../../src/commands/stack.js';
import { composeYaml } from '../../src/stack/canonical.js';
import { hasTool, removeDir, tempDir } from '../helpers.js';

/** `richie-dev <args>` in this process: what it printed and the exit code it set. */
async function richieDev(args: string[], env: NodeJS.ProcessEnv): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  process.exitCode = 0;
  try {
    await main(['node', 'richie-dev', ...args]);
    return { exitCode: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    process.exitCode = 0;
  }
}

describe('richie-dev stack config', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));
  afterEach(() => vi.restoreAllMocks());

  const project = (name: string, stack: string, files: Record<string, string> = {}) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ stackFile: 'stack.yml' }));
    writeFileSync(join(dir, 'stack.yml'), stack);
    for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
    return dir;
  };

  it('prints the resolved stack as YAML, and as JSON with --json', async () => {
    const dir = project(
      'print',
      'services:\n  web:\n    image: "web:${TAG}"\n    command: serve --port 80 "a b"\n    env_file: app.env\n    environment: [HOME_DIR=~, FROM_HOST]\n    labels: ["a=b"]\n    healthcheck:\n      test: curl -f localhost\n      interval: 90s\n',
      { '.env': 'TAG=2.0\n', 'app.env': 'A=1\n' },
    );
    const yaml = await richieDev(['--project-dir', dir, 'stack', 'config'], { FROM_HOST: 'host-value' });
    expect(yaml.exitCode, yaml.stderr).toBe(0);
    expect(parse(yaml.stdout)).toEqual({
      services: {
        web: {
          command: ['serve', '--port', '80', 'a b'],
          environment: { A: '1', HOME_DIR: '~', FROM_HOST: 'host-value' },
          healthcheck: { test: ['CMD-SHELL', 'curl -f localhost'], interval: '90s' },
          image: 'web:2.0',
          init: true,
          labels: { a: 'b' },
          networks: { default: null },
          stop_grace_period: '1s',
        },
      },
    });
    const json = await richieDev(['--project-dir', dir, '--json', 'stack', 'config'], { FROM_HOST: 'host-value' });
    expect(json.exitCode).toBe(0);
    const result = JSON.parse(json.stdout) as { ok: boolean; inputs: string[]; config: unknown };
    expect(result.ok).toBe(true);
    expect(result.inputs).toEqual([join(dir, 'stack.yml'), join(dir, '.env')]);
    expect(result.config).toEqual(parse(yaml.stdout));
  });

  it('refuses an invalid stack with exit 3, naming the file, line and column, and the fix', async () => {
    const dir = project('bad', 'services:\n  web:\n    image: x\n    networks: [back]\n');
    const result = await richieDev(['--project-dir', dir, 'stack', 'config'], {});
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${join(dir, 'stack.yml')}:4:16: the network "back" is not declared under the top-level "networks"`);
    expect(result.stderr).toContain('networks: { back: {} }');
  });

  it('warns of unset variables and env files not written yet, and still prints', async () => {
    const dir = project('warn', 'services:\n  web:\n    image: "web:${NOT_SET_HERE}"\n    env_file: missing.env\n');
    const result = await config(commandContext({ projectDir: dir, env: {} }));
    expect(result.warnings).toEqual(['The NOT_SET_HERE variable is not set. Defaulting to a blank string.', expect.stringContaining(`The env file ${join(dir, 'missing.env')} cannot be read yet`)]);
    expect(result.config.services.web).toMatchObject({ image: 'web:', env_file: [join(dir, 'missing.env')] });
  });

  it('prints a Compose file that docker-compose reads back to what it reads from the original', async () => {
    expect(hasTool('docker-compose')).toBe(true);
    const dir = project(
      'roundtrip',
      'services:\n  web:\n    image: web\n    command: echo "$$HOME ${TAG}"\n    environment: {A: "x$$y"}\n    ports: ["127.0.0.1:8080:80", "8081:81"]\n    volumes: ["./data:/data:ro", "db:/db"]\n    depends_on: {db: {condition: service_healthy}}\n  db:\n    image: db\n    healthcheck: {test: ["CMD", "true"], retries: 2}\n    init: false\n    stop_grace_period: 1m30s\nvolumes:\n  db: {}\n',
      { '.env': 'TAG=7\n' },
    );
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root };
    const printed = join(dir, 'printed.yml');
    writeFileSync(printed, composeYaml((await config(commandContext({ projectDir: dir, env }))).config));
    const run = async (file: string) => {
      const result = await execa('docker-compose', ['--project-directory', dir, '-f', file, 'config'], { env, extendEnv: false, reject: false });
      expect(result.exitCode, String(result.stderr)).toBe(0);
      return parse(String(result.stdout)) as { services: Record<string, Record<string, unknown>> };
    };
    const original = await run(join(dir, 'stack.yml'));
    const again = await run(printed);
    // What the printed file adds on purpose: the split command and richie-dev's defaults.
    expect(again.services.web!.command).toEqual(['echo', '$$HOME 7']);
    expect(original.services.web!.command).toBe('echo "$$HOME 7"');
    for (const s of [original, again]) delete s.services.web!.command;
    expect(again.services.web).toMatchObject({ init: true, stop_grace_period: '1s' });
    delete again.services.web!.init;
    delete again.services.web!.stop_grace_period;
    delete again.services.web!.networks;
    delete again.services.db!.networks;
    expect(again).toEqual({ ...original, services: { ...original.services, db: { ...original.services.db, stop_grace_period: '90s' } } });
  });
});
