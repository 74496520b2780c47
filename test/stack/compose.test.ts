import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_FILE, stackFilePath, stackVars } from '../../src/stack/context.js';
import { parseConfig } from '../../src/config-schema.js';
import { projectPaths } from '../../src/paths.js';
import { durationNs, interpolate, readStack } from '../../src/stack/compose.js';
import { startOrder } from '../../src/stack/stack.js';
import { hasTool, removeDir, sh, tempDir } from '../helpers.js';

describe('docker-compose.richie.yml', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  it('is accepted by Debian\'s docker-compose v1', async () => {
    expect(hasTool('docker-compose')).toBe(true);
    const state = join(root, '.richie-dev');
    mkdirSync(join(state, 'env'), { recursive: true });
    writeFileSync(join(state, 'env', 'catalog.env'), 'A=1\n');
    writeFileSync(join(state, 'env', 'lms.env'), 'B=2\n');
    const result = await sh('docker-compose', ['-f', STACK_FILE, 'config'], { RICHIE_DEV_STATE_DIR: state });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('edx-lms-outside');
  });

  it('reads into services with the project\'s values', async () => {
    const config = parseConfig({ catalog: { port: 9070 }, images: { catalog: 'my/richie:1' } });
    const stack = await readStack(STACK_FILE, stackVars(projectPaths('/srv/proj'), config));
    expect(stack.services.map((s) => s.name)).toEqual(['catalog', 'lms', 'nginx']);
    const [catalog, , nginx] = stack.services;
    expect(catalog!.image).toBe('my/richie:1');
    expect(catalog!.envFiles).toEqual(['/srv/proj/.richie-dev/env/catalog.env']);
    expect(catalog!.environment.NODE_EXTRA_CA_CERTS).toBe('/etc/richie-dev/ca/rootCA.pem');
    expect(catalog!.init).toBe(true);
    expect(catalog!.stopGracePeriodS).toBe(1);
    expect(nginx!.ports).toEqual([
      { hostIp: '127.0.0.1', hostPort: 9070, containerPort: 9070 },
      { hostIp: '127.0.0.1', hostPort: 8073, containerPort: 8073 },
    ]);
    expect(nginx!.networks).toEqual([
      { key: 'default', aliases: ['richie.local.dev', 'edx.local.dev'] },
      { key: 'edx-lms-outside', aliases: ['richie', 'edx'] },
    ]);
    expect(nginx!.dependsOn).toEqual([
      { service: 'catalog', condition: 'service_healthy' },
      { service: 'lms', condition: 'service_healthy' },
    ]);
    expect(stack.networks).toContainEqual({ key: 'edx-lms-outside', name: 'edx-lms-outside', external: false });
    expect(startOrder(stack.services).map((s) => s.name)).toEqual(['catalog', 'lms', 'nginx']);
  });

  it('refuses an unsupported key, naming it and its line', async () => {
    const file = join(root, 'bad.yml');
    writeFileSync(file, 'services:\n  app:\n    image: x\n    privileged: true\n');
    await expect(readStack(file, {})).rejects.toThrow(`${file}:4: unsupported key "privileged" in service "app"`);
    writeFileSync(file, 'services:\n  app:\n    image: x\n    healthcheck:\n      test: ["CMD", "true"]\n      disable: true\n');
    await expect(readStack(file, {})).rejects.toThrow(`${file}:6: unsupported key "disable" in services.app.healthcheck`);
    writeFileSync(file, 'secrets: {}\nservices: {}\n');
    await expect(readStack(file, {})).rejects.toThrow(`${file}:1: unsupported key "secrets" in the top level`);
  });

  it('defaults to an init process and a 1 s grace period, unless the file says otherwise', async () => {
    const file = join(root, 'defaults.yml');
    writeFileSync(file, 'services:\n  quiet:\n    image: x\n  explicit:\n    image: y\n    init: false\n    stop_grace_period: 1m30s\n');
    const [quiet, explicit] = (await readStack(file, {})).services;
    expect([quiet!.init, quiet!.stopGracePeriodS]).toEqual([true, 1]);
    expect([explicit!.init, explicit!.stopGracePeriodS]).toEqual([false, 90]);
  });

  it('a project stack file that is missing is named, with the config key to fix', async () => {
    const config = parseConfig({ stackFile: 'compose/mine.yml' });
    const paths = projectPaths(root);
    expect(stackFilePath(paths, config)).toBe(join(root, 'compose', 'mine.yml'));
    expect(stackFilePath(paths, parseConfig({}))).toBe(STACK_FILE);
    const error = await readStack(stackFilePath(paths, config), {}).catch((e: { message: string; fix: string }) => e);
    expect(error).toMatchObject({ message: `The stack file ${join(root, 'compose', 'mine.yml')} cannot be read (ENOENT).` });
    expect((error as { fix: string }).fix).toContain('"stackFile" in richie-dev.config.json');
  });

  it('interpolates like Compose and reads durations', () => {
    expect(interpolate('${A}-${B:-dflt}-${C-x}-$$', { A: 'a', B: '' })).toBe('a-dflt-x-$');
    expect(durationNs('1m30s', 'x')).toBe(90e9);
    expect(durationNs('500ms', 'x')).toBe(5e8);
    expect(() => durationNs('soon', 'x.interval')).toThrow('x.interval: "soon" is not a duration');
  });
});
