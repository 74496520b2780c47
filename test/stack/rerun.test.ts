/**
 * Re-runs on a real Docker engine. There is no up record any more (commands/run.ts says why):
 * every re-run takes the one full path, which on an unchanged, healthy stack writes nothing —
 * neither to the engine nor to disk — and after each kind of change redoes just that.
 * A one-service stack file of the project's own ("stackFile") keeps it quick.
 */
import { readdirSync, statSync, writeFileSync, readFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('re-runs', () => {
  const root = tempDir();
  const dir = join(root, 'recordproj');
  const env = { ...process.env, CAROOT: join(root, 'ca'), HOME: root };
  const again = () => run({ projectDir: dir, tls: false, env });
  const actions = (result: RunResult) => result.services.map((s) => `${s.name}:${s.action}`);

  /** Docker's own health, so a re-run needs no probe of its own. */
  async function dockerHealthy(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const id = (await sh('docker', ['ps', '-q', '--filter', 'label=com.docker.compose.project=recordproj', '--filter', 'health=healthy'])).stdout.trim();
      if (id) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the app never turned healthy in Docker\'s eyes');
  }

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    await ensureBuiltIn(await Engine.connect(), 'richie-dev/demo-catalog:latest');
    expect((await sh('docker', ['tag', 'richie-dev/demo-catalog:latest', IMAGE])).exitCode).toBe(0);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ stackFile: 'stack.yml', images: { catalog: IMAGE } }));
    writeFileSync(
      join(dir, 'stack.yml'),
      `services:
  app:
    image: \${RICHIE_DEV_CATALOG_IMAGE}
    env_file: \${RICHIE_DEV_STATE_DIR}/env/catalog.env
    volumes:
      - \${RICHIE_DEV_STATE_DIR}/nginx:/etc/app-conf:ro
    healthcheck:
      test: ["CMD", "node", "/app/healthcheck.mjs"]
      interval: 1s
      retries: 30
`,
    );
  });
  afterAll(async () => {
    await cli(['--project-dir', dir, 'down', '--volumes'], { env });
    await sh('docker', ['rmi', IMAGE]);
    removeDir(root);
  });

  it('a re-run on an unchanged, healthy stack writes nothing, to the engine or to disk', async () => {
    expect(actions(await run({ projectDir: dir, tls: false, env }))).toEqual(['app:create']);
    await dockerHealthy();
    const before = mtimes(join(dir, '.richie-dev'));
    const result = await again();
    expect(actions(result)).toEqual(['app:keep']);
    expect(result.engine.writes).toBe(0);
    expect(result.urls.catalog).toBe('http://localhost:8070');
    expect(result.warnings.join('\n')).toContain('HSTS preload'); // the render's warnings, kept
    expect(mtimes(join(dir, '.richie-dev'))).toEqual(before);
  });

  it('a generated file edited by hand is rendered again; the container, whose configuration is then unchanged, is kept', async () => {
    const conf = join(dir, '.richie-dev', 'nginx', 'catalog.conf');
    const rendered = readFileSync(conf, 'utf8');
    appendFileSync(conf, '# edited by hand\n');
    const result = await again();
    expect(readFileSync(conf, 'utf8')).toBe(rendered);
    // Back as it was, so the container's configuration is too: kept.
    expect(actions(result)).toEqual(['app:keep']);
    expect(result.engine.writes).toBe(0);
    const before = mtimes(join(dir, '.richie-dev'));
    await again();
    expect(mtimes(join(dir, '.richie-dev'))).toEqual(before);
  });

  it('a stopped container is started again', async () => {
    expect((await sh('docker', ['stop', '-t', '1', 'recordproj_app_1'])).exitCode).toBe(0);
    const result = await again();
    expect(actions(result)).toEqual(['app:start']);
    expect(result.engine.writes).toBe(1);
  });

  it('a config change re-renders and recreates', async () => {
    await dockerHealthy();
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ stackFile: 'stack.yml', images: { catalog: IMAGE }, courseRunSync: { mode: 'manual' } }));
    expect(actions(await again())).toEqual(['app:recreate']);
    // At once, before Docker's first check of the new container: up's own probe says healthy.
    const before = mtimes(join(dir, '.richie-dev'));
    expect(actions(await again())).toEqual(['app:keep']);
    expect(mtimes(join(dir, '.richie-dev'))).toEqual(before);
  });

  it('the same image tag on another image recreates the container', async () => {
    await dockerHealthy();
    const build = await sh('sh', ['-c', `printf 'FROM richie-dev/demo-catalog:latest\\nLABEL variant=2\\n' | docker build -q -t ${IMAGE} -`]);
    expect(build.exitCode, build.stderr).toBe(0);
    expect(actions(await again())).toEqual(['app:recreate']);
  });

  it('right after a restart, before Docker\'s first check, a re-run runs the healthcheck itself and keeps the container', async () => {
    expect((await sh('docker', ['restart', '-t', '1', 'recordproj_app_1'])).exitCode).toBe(0);
    // The app answers well before Docker's first check, one interval (1 s) after the start.
    for (let i = 0; i < 40 && (await sh('docker', ['exec', 'recordproj_app_1', 'node', '/app/healthcheck.mjs'])).exitCode !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await sh('docker', ['inspect', '--format', '{{.State.Health.Status}}', 'recordproj_app_1'])).stdout.trim()).toBe('starting');
    const before = mtimes(join(dir, '.richie-dev'));
    const result = await again();
    expect(actions(result)).toEqual(['app:keep']);
    expect(result.engine.writes).toBe(0);
    expect(mtimes(join(dir, '.richie-dev'))).toEqual(before);
  });
});
