import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_FILE, stackFilePath, stackVars } from '../../src/stack/context.js';
import { parseConfig } from '../../src/config-schema.js';
import { projectPaths } from '../../src/paths.js';
import { durationNs, readStack } from '../../src/stack/compose.js';
import { interpolate } from '../../src/stack/interpolate.js';
import { UserError } from '../../src/errors.js';
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
  });

  it('refuses an unsupported key, naming it and its line', async () => {
    const file = join(root, 'bad.yml');
    writeFileSync(file, 'services:\n  app:\n    image: x\n    privileged: true\n');
    await expect(readStack(file, {})).rejects.toThrow(`${file}:4:5: unsupported key "privileged" in services.app (supported: image, build,`);
    writeFileSync(file, 'services:\n  app:\n    image: x\n    healthcheck:\n      test: ["CMD", "true"]\n      start_interval: 1s\n');
    await expect(readStack(file, {})).rejects.toThrow(`${file}:6:7: unsupported key "start_interval" in services.app.healthcheck`);
    writeFileSync(file, 'secrets: {}\nservices: {}\n');
    await expect(readStack(file, {})).rejects.toThrow(`${file}:1:1: unsupported key "secrets" in the top level`);
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
    const vars: Record<string, string> = { A: 'a', B: '' };
    expect(interpolate('${A}-${B:-dflt}-${C-x}-$$', (n) => vars[n]).value).toBe('a-dflt-x-$');
    expect(durationNs('1m30s', 'x')).toBe(90e9);
    expect(durationNs('500ms', 'x')).toBe(5e8);
    expect(() => durationNs('soon', 'x.interval')).toThrow('x.interval: "soon" is not a duration');
  });
});

/** A stack file in its own folder (so a `.env` can sit beside it), read with a fixed environment. */
function stackIn(root: string, name: string, yaml: string, files: Record<string, string> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  writeFileSync(join(dir, 'compose.yml'), yaml);
  return join(dir, 'compose.yml');
}

describe('the Compose model honours each form as Compose does', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));
  const env = { HOME: join(root, 'ann'), FOO: 'from-host', EMPTY: '' };
  const read = (file: string, vars: Record<string, string> = {}) => readStack(file, vars, { env, home: env.HOME });
  const one = async (file: string) => (await read(file)).services[0]!;

  it('reads a healthcheck test written as a string as a shell command, and ["NONE"] / disable as no check', async () => {
    const file = stackIn(root, 'hc', 'services:\n  a:\n    image: x\n    healthcheck:\n      test: curl -f http://localhost/ || exit 1\n      interval: 2s\n  b:\n    image: x\n    healthcheck:\n      test: ["NONE"]\n  c:\n    image: x\n    healthcheck:\n      disable: true\n');
    const [a, b, c] = (await read(file)).services;
    expect(a!.healthcheck).toEqual({ test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], intervalNs: 2e9 });
    expect(b!.healthcheck).toEqual({ test: ['NONE'] });
    expect(c!.healthcheck).toEqual({ test: ['NONE'] });
    const none = stackIn(root, 'hc-none', 'services:\n  a:\n    image: x\n    healthcheck:\n      test: NONE\n');
    await expect(read(none)).rejects.toThrow(`${none}:5:13: test "NONE" as a string is a shell command named NONE`);
  });

  it('leaves a healthcheck field the file omits to the image (no invented 30s defaults)', async () => {
    const file = stackIn(root, 'hc-partial', 'services:\n  a:\n    image: x\n    healthcheck:\n      test: ["CMD", "true"]\n      retries: 5\n');
    expect((await one(file)).healthcheck).toEqual({ test: ['CMD', 'true'], retries: 5 });
  });

  it('reads labels written as a list as "key=value" pairs', async () => {
    const file = stackIn(root, 'labels', 'services:\n  a:\n    image: x\n    labels: ["a=b", "c", "d=e=f"]\n');
    expect((await one(file)).labels).toEqual({ a: 'b', c: '', d: 'e=f' });
  });

  it('takes a variable named without a value from the host, and leaves it unset when the host has none', async () => {
    const list = stackIn(root, 'env-list', 'services:\n  a:\n    image: x\n    environment: [HOME, FOO, "BAR=1", "EMPTY_ONE=", NOT_ON_HOST]\n');
    expect((await one(list)).environment).toEqual({ HOME: env.HOME, FOO: 'from-host', BAR: '1', EMPTY_ONE: '', NOT_ON_HOST: null });
    const map = stackIn(root, 'env-map', 'services:\n  a:\n    image: x\n    environment:\n      FOO:\n      BAR: ""\n      N: 8070\n');
    expect((await one(map)).environment).toEqual({ FOO: 'from-host', BAR: '', N: '8070' });
  });

  it('interpolates any variable of the environment and of the .env beside the file; richie-dev\'s own win', async () => {
    const file = stackIn(root, 'vars', 'services:\n  a:\n    image: "${REGISTRY}/app:$TAG"\n    environment:\n      H: ${HOME}\n      F: ${FOO}\n      R: ${RICHIE_DEV_STATE_DIR}\n      D: $${NOT_INTERPOLATED}\n', { '.env': 'REGISTRY=reg.local\nTAG=1.2\nFOO=from-dotenv\nRICHIE_DEV_STATE_DIR=/nope\n' });
    const stack = await read(file, { RICHIE_DEV_STATE_DIR: '/srv/p/.richie-dev' });
    expect(stack.services[0]!.image).toBe('reg.local/app:1.2');
    expect(stack.services[0]!.environment).toEqual({ H: env.HOME, F: 'from-host', R: '/srv/p/.richie-dev', D: '${NOT_INTERPOLATED}' });
    expect(stack.inputs).toEqual([file, join(root, 'vars', '.env')]);
  });

  it('tells ${V-d} (unset only) from ${V:-d} (unset or empty), and resolves nested defaults', async () => {
    const file = stackIn(root, 'defaults-forms', 'services:\n  a:\n    image: x\n    environment:\n      DASH: ${EMPTY-x}\n      COLON: ${EMPTY:-x}\n      NESTED: ${UNSET:-${ALSO_UNSET:-${FOO}}}/${UNSET-${UNSET2-deep}}\n');
    expect((await one(file)).environment).toEqual({ DASH: '', COLON: 'x', NESTED: 'from-host/deep' });
    const vars: Record<string, string> = { EMPTY: '', SET: 'v' };
    const i = (text: string) => interpolate(text, (n) => vars[n]).value;
    expect(i('${EMPTY-x}|${EMPTY:-x}|${UNSET-x}|${UNSET:-x}|${SET-x}')).toBe('|x|x|x|v');
    expect(i('${UNSET:-${EMPTY:-${SET}}}/${UNSET-${UNSET2-deep}}-end')).toBe('v/deep-end');
    expect(i('${SET:-${UNSET?never read}}')).toBe('v');
    expect(interpolate('${UNSET}$UNSET2', (n) => vars[n]).unset).toEqual(['UNSET', 'UNSET2']);
  });

  it('refuses ${V?e} and ${V:?e} when the variable is missing, and a lone "$", at their line and column', async () => {
    const required = stackIn(root, 'required', 'services:\n  a:\n    image: x\n    environment:\n      A: "ok ${EMPTY:?set EMPTY to the token}"\n');
    await expect(read(required)).rejects.toThrow(`${required}:5:14: required variable EMPTY is empty: set EMPTY to the token`);
    const unset = stackIn(root, 'required-unset', 'services:\n  a:\n    image: ${IMAGE?}\n');
    await expect(read(unset)).rejects.toThrow(`${unset}:3:12: required variable IMAGE is not set: IMAGE`);
    expect(interpolate('${EMPTY?e}', (n) => ({ EMPTY: '' })[n]).value).toBe('');
    const lone = stackIn(root, 'lone', 'services:\n  a:\n    image: x\n    command: echo 5$\n');
    await expect(read(lone)).rejects.toThrow(`${lone}:4:20: invalid interpolation`);
  });

  it('keeps depends_on conditions, service_completed_successfully included', async () => {
    const file = stackIn(root, 'deps', 'services:\n  a:\n    image: x\n    depends_on:\n      m: {condition: service_completed_successfully}\n      h: {condition: service_healthy}\n  m:\n    image: x\n  h:\n    image: x\n  l:\n    image: x\n    depends_on: [a]\n');
    const [a, , , l] = (await read(file)).services;
    expect(a!.dependsOn).toEqual([
      { service: 'm', condition: 'service_completed_successfully' },
      { service: 'h', condition: 'service_healthy' },
    ]);
    expect(l!.dependsOn).toEqual([{ service: 'a', condition: 'service_started' }]);
  });

  it('expands ~ to the home directory in bind mounts, env files and build contexts', async () => {
    mkdirSync(join(root, 'ann', 'src'), { recursive: true });
    const file = stackIn(root, 'home', 'services:\n  a:\n    image: x\n    build: ~/src\n    env_file: ~/a.env\n    volumes:\n      - ~/data:/data\n      - ./here/../there:/t:ro\n      - type: bind\n        source: ~/long\n        target: /l\n');
    const a = await one(file);
    expect(a.volumes).toEqual([
      { type: 'bind', source: env.HOME + '/data', target: '/data', readOnly: false },
      { type: 'bind', source: join(root, 'home', 'there'), target: '/t', readOnly: true },
      { type: 'bind', source: env.HOME + '/long', target: '/l', readOnly: false },
    ]);
    expect(a.envFiles).toEqual([env.HOME + '/a.env']);
    expect(a.build).toEqual({ context: env.HOME + '/src', args: {} });
  });

  it('splits a string command into words as Compose does (shlex), with no shell', async () => {
    const file = stackIn(root, 'cmd', `services:\n  a:\n    image: x\n    command: node server.mjs --name "a b" 'c d' e\\ f ""\n  b:\n    image: x\n    command: ["sh", "-c", "echo $$HOME"]\n`);
    const [a, b] = (await read(file)).services;
    expect(a!.command).toEqual(['node', 'server.mjs', '--name', 'a b', 'c d', 'e f', '']);
    expect(b!.command).toEqual(['sh', '-c', 'echo $HOME']);
    const open = stackIn(root, 'cmd-open', 'services:\n  a:\n    image: x\n    command: echo "unclosed\n');
    await expect(read(open)).rejects.toThrow(`${open}:4:14: command: no closing quotation`);
  });

  it('carries build.dockerfile and build.args (a bare argument from the host)', async () => {
    mkdirSync(join(root, 'build', 'app'), { recursive: true });
    const file = stackIn(root, 'build', 'services:\n  a:\n    image: mine:dev\n    build:\n      context: ./app\n      dockerfile: docker/Dockerfile.dev\n      args:\n        - FOO\n        - VERSION=2\n        - NOPE\n');
    expect((await one(file)).build).toEqual({ context: join(root, 'build', 'app'), dockerfile: 'docker/Dockerfile.dev', args: { FOO: 'from-host', VERSION: '2', NOPE: '' } });
  });

  it('refuses a network or volume the file does not declare as bad input (exit 3) at its line', async () => {
    const file = stackIn(root, 'net', 'services:\n  a:\n    image: x\n    networks:\n      - default\n      - backend\n');
    const error = (await read(file).catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(`${file}:6:9: the network "backend" is not declared under the top-level "networks"`);
    expect(error.fix).toContain('networks: { backend: {} }');
    const vol = stackIn(root, 'vol', 'services:\n  a:\n    image: x\n    volumes: ["data:/data"]\n');
    await expect(read(vol)).rejects.toThrow(`${vol}:4:15: the named volume "data" is not declared under the top-level "volumes"`);
  });

  it('names an external network by its key, as the engine knows it', async () => {
    const file = stackIn(root, 'ext', 'services:\n  a:\n    image: x\n    networks: [outside]\nnetworks:\n  outside:\n    external: true\n');
    expect((await read(file)).networks).toEqual([
      { key: 'default', external: false },
      { key: 'outside', name: 'outside', external: true },
    ]);
  });

  it('refuses wrong types with the line and column of the value', async () => {
    const file = stackIn(root, 'types', 'services:\n  a:\n    image: x\n    init: maybe\n');
    await expect(read(file)).rejects.toThrow(`${file}:4:11: services.a.init: expected a boolean`);
    const ports = stackIn(root, 'ports', 'services:\n  a:\n    image: x\n    ports:\n      - "8080:80"\n      - 3000\n');
    await expect(read(ports)).rejects.toThrow(`${ports}:6:9: "3000" publishes on a random host port`);
  });
});
