/**
 * The up record on a real Docker engine. A re-run on an unchanged, healthy stack answers from
 * it ("path": "record") and writes nothing — neither to the engine nor to disk; after each
 * kind of change it is refused, says why, and the full path redoes just that. The inputs it
 * checks are what the full path's steps said they read: nothing here, and nothing in run.ts,
 * lists them (the .env beside the stack file and the interpolated variables below are found
 * because the stack reader and the env file reader told the InputLog they read them). The
 * variables are kept by name with a salted hash, never a value. A one-service stack file of
 * the project's own keeps it quick.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandContext } from '../../src/cli/context.js';
import { run, type RunResult } from '../../src/commands/run.js';
import { Engine } from '../../src/stack/engine.js';
import { ensureBuiltIn } from '../../src/stack/images.js';
import { cli, hasTool, removeDir, sh, tempDir } from '../helpers.js';

const IMAGE = 'richie-dev-test/record-app:1';

/** Every file under a folder with its modification time: "nothing written" made checkable. */
function mtimes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name)] = statSync(join(entry.parentPath, entry.name)).mtimeMs;
  }
  return out;
}

describe('the up record', () => {
  const root = tempDir();
  const dir = join(root, 'recordproj');
  const unread = `unread-${randomBytes(8).toString('hex')}`;
  const env = { ...process.env, CAROOT: join(root, 'ca'), HOME: root, RECORD_TEST_ROLE: 'role-one', RECORD_TEST_UNREAD_TOKEN: unread };
  // What the CLI hands run: one context (its environment and --ca-root), and the options.
  const again = (more: { env?: NodeJS.ProcessEnv; caRoot?: string } = {}) => run(commandContext({ projectDir: dir, env, ...more }), { tls: false, ...(more.caRoot ? { caRoot: more.caRoot } : {}) });
  const actions = (result: RunResult) => result.services.map((s) => `${s.name}:${s.action}`);
  const config = (more: object = {}) => writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ stackFile: 'stack.yml', images: { catalog: IMAGE }, ...more }));
  const stackFile = (label: string) =>
    writeFileSync(
      join(dir, 'stack.yml'),
      `services:
  app:
    image: \${RICHIE_DEV_CATALOG_IMAGE}
    env_file:
      - \${RICHIE_DEV_STATE_DIR}/env/catalog.env
      - ./extra.env
    volumes:
      - \${RICHIE_DEV_STATE_DIR}/nginx:/etc/app-conf:ro
      - ./mounted.txt:/etc/mounted.txt:ro
    labels:
      role: \${RECORD_TEST_ROLE:-none}
      other: ${label}
    healthcheck:
      test: ["CMD", "node", "/app/healthcheck.mjs"]
      interval: 1s
      retries: 30
`,
    );

  /** Docker's own health, so the record needs no probe of its own. */
  async function dockerHealthy(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const id = (await sh('docker', ['ps', '-q', '--filter', 'label=com.docker.compose.project=recordproj', '--filter', 'health=healthy'])).stdout.trim();
      if (id) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("the app never turned healthy in Docker's eyes");
  }

  /** The full path, refused for `reason`; then, unchanged again, the record answers. */
  async function refusedThenRecord(reason: string | RegExp, expected: string[], more: { env?: NodeJS.ProcessEnv; caRoot?: string } = {}): Promise<void> {
    const full = await again(more);
    expect(full.path).toBe('full');
    expect(full.recordRefused).toMatch(reason);
    expect(actions(full)).toEqual(expected);
    await dockerHealthy();
    const record = await again(more);
    expect(record.path, record.recordRefused).toBe('record');
    expect(record.engine.writes).toBe(0);
  }

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    await ensureBuiltIn(await Engine.connect(), 'richie-dev/demo-catalog:latest');
    expect((await sh('docker', ['tag', 'richie-dev/demo-catalog:latest', IMAGE])).exitCode).toBe(0);
    mkdirSync(dir, { recursive: true });
    config();
    stackFile('a');
    writeFileSync(join(dir, 'mounted.txt'), 'first\n');
    writeFileSync(join(dir, 'extra.env'), 'GREETING=${RECORD_TEST_GREETING:-none}\n');
  });
  afterAll(async () => {
    await cli(['--project-dir', dir, 'down', '--volumes'], { env });
    await sh('docker', ['rmi', IMAGE]);
    removeDir(root);
  });

  it('an unchanged, healthy stack: the record answers, writing nothing to the engine or to disk', async () => {
    const first = await again();
    expect(first.path).toBe('full');
    expect(first.recordRefused).toBe('no record of a previous up');
    expect(actions(first)).toEqual(['app:create']);
    await dockerHealthy();
    const before = mtimes(join(dir, '.richie-dev'));
    const result = await again();
    expect(result.path, result.recordRefused).toBe('record');
    expect(actions(result)).toEqual(['app:keep']);
    expect(result.engine.writes).toBe(0);
    expect(result.urls.catalog).toBe('http://localhost:8070');
    expect(result.warnings.join('\n')).toContain('HSTS preload'); // the render's warnings, kept
    expect(mtimes(join(dir, '.richie-dev'))).toEqual(before);
    // The CLI says which path answered.
    const json = JSON.parse((await cli(['--project-dir', dir, '--json', 'run'], { env })).stdout);
    expect(json.path, json.recordRefused).toBe('record');
  });

  it('keeps the variables the stack file read by name, with a salted hash: no value, and none it did not read', () => {
    const text = readFileSync(join(dir, '.richie-dev', 'state.json'), 'utf8');
    const { env: vars } = (JSON.parse(text) as { up: { env: { salt: string; hashes: Record<string, string | null> } } }).up;
    expect(vars.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(vars.hashes.RECORD_TEST_ROLE).toMatch(/^[0-9a-f]{64}$/);
    expect(vars.hashes).toHaveProperty('RECORD_TEST_GREETING', null); // read by extra.env, unset
    expect(Object.keys(vars.hashes)).not.toContain('RECORD_TEST_UNREAD_TOKEN');
    expect(Object.keys(vars.hashes)).not.toContain('PATH');
    expect(text).not.toContain('role-one');
    expect(text).not.toContain(unread);
  });

  it('a generated file edited by hand: refused, rendered again, the container kept', async () => {
    const conf = join(dir, '.richie-dev', 'nginx', 'catalog.conf');
    const rendered = readFileSync(conf, 'utf8');
    appendFileSync(conf, '# edited by hand\n');
    await refusedThenRecord(`${conf} changed`, ['app:keep']);
    expect(readFileSync(conf, 'utf8')).toBe(rendered);
  });

  it('the project config changed: refused, and the container recreated', async () => {
    config({ courseRunSync: { mode: 'manual' } });
    await refusedThenRecord(`${join(dir, 'richie-dev.config.json')} changed`, ['app:recreate']);
  });

  it('the stack file changed', async () => {
    stackFile('b');
    await refusedThenRecord(`${join(dir, 'stack.yml')} changed`, ['app:recreate']);
  });

  it('a .env appears beside the stack file (the stack reader looked for it)', async () => {
    writeFileSync(join(dir, '.env'), 'UNUSED_HERE=1\n');
    await refusedThenRecord(`${join(dir, '.env')} changed`, ['app:keep']);
  });

  it('a variable the stack file interpolates changed in the environment', async () => {
    await refusedThenRecord('the environment variable RECORD_TEST_ROLE changed', ['app:recreate'], { env: { ...env, RECORD_TEST_ROLE: 'two' } });
  });

  it('a bind-mounted file changed', async () => {
    writeFileSync(join(dir, 'mounted.txt'), 'second\n');
    await refusedThenRecord(`${join(dir, 'mounted.txt')} changed`, ['app:recreate'], { env: { ...env, RECORD_TEST_ROLE: 'two' } });
  });

  it('the command line means another run (a CA root flag)', async () => {
    await refusedThenRecord('caRootFlag changed', ['app:keep'], { env: { ...env, RECORD_TEST_ROLE: 'two' }, caRoot: join(root, 'ca') });
  });

  it('a stopped container: refused, and started again', async () => {
    const more = { env: { ...env, RECORD_TEST_ROLE: 'two' }, caRoot: join(root, 'ca') };
    expect((await sh('docker', ['stop', '-t', '1', 'recordproj_app_1'])).exitCode).toBe(0);
    await refusedThenRecord('the app container is not running', ['app:start'], more);
  });

  it('the same image tag on another image: refused, and the container recreated', async () => {
    const more = { env: { ...env, RECORD_TEST_ROLE: 'two' }, caRoot: join(root, 'ca') };
    const build = await sh('sh', ['-c', `printf 'FROM richie-dev/demo-catalog:latest\\nLABEL variant=2\\n' | docker build -q -t ${IMAGE} -`]);
    expect(build.exitCode, build.stderr).toBe(0);
    await refusedThenRecord('the app image changed', ['app:recreate'], more);
  });

  it('a record older than 12 hours is not trusted', async () => {
    const more = { env: { ...env, RECORD_TEST_ROLE: 'two' }, caRoot: join(root, 'ca') };
    const stateFile = join(dir, '.richie-dev', 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    state.up.recordedAt -= 13 * 3600_000;
    writeFileSync(stateFile, JSON.stringify(state));
    await refusedThenRecord('the record is older than 12 hours', ['app:keep'], more);
  });

  it("another build of richie-dev: the record names the bundle entry's content hash (npm gives installed files one mtime), and another one is refused", async () => {
    const more = { env: { ...env, RECORD_TEST_ROLE: 'two' }, caRoot: join(root, 'ca') };
    const stateFile = join(dir, '.richie-dev', 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const entry = readFileSync(new URL('../../dist/bin/richie-dev.js', import.meta.url));
    expect(state.up.facts.build).toBe(createHash('sha256').update(entry).digest('hex'));
    state.up.facts.build = createHash('sha256').update(Buffer.concat([entry, Buffer.from('\n')])).digest('hex');
    writeFileSync(stateFile, JSON.stringify(state));
    await refusedThenRecord('build changed', ['app:keep'], more);
  });

  it("right after a restart, before Docker's first check, the record runs the healthcheck itself and answers", async () => {
    const more = { env: { ...env, RECORD_TEST_ROLE: 'two' }, caRoot: join(root, 'ca') };
    expect((await sh('docker', ['restart', '-t', '1', 'recordproj_app_1'])).exitCode).toBe(0);
    // The app answers well before Docker's first check, one interval (1 s) after the start.
    for (let i = 0; i < 40 && (await sh('docker', ['exec', 'recordproj_app_1', 'node', '/app/healthcheck.mjs'])).exitCode !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await sh('docker', ['inspect', '--format', '{{.State.Health.Status}}', 'recordproj_app_1'])).stdout.trim()).toBe('starting');
    const before = mtimes(join(dir, '.richie-dev'));
    const result = await again(more);
    expect(result.path, result.recordRefused).toBe('record');
    expect(actions(result)).toEqual(['app:keep']);
    expect(result.engine.writes).toBe(0);
    expect(mtimes(join(dir, '.richie-dev'))).toEqual(before);
  });

  it('a variable an env_file interpolates changed in the environment (Compose resolves ${V} there too)', async () => {
    const more = { env: { ...env, RECORD_TEST_ROLE: 'two', RECORD_TEST_GREETING: 'hello' }, caRoot: join(root, 'ca') };
    await refusedThenRecord('the environment variable RECORD_TEST_GREETING changed', ['app:recreate'], more);
    const envOf = (await sh('docker', ['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', 'recordproj_app_1'])).stdout;
    expect(envOf).toContain('GREETING=hello\n');
  });
});
