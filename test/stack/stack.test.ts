/**
 * The stack against a real Docker engine (.ci/run starts dockerd): up, an idempotent re-run
 * with no engine writes, a backend switch that recreates the catalog and nginx, failures with their
 * logs and exit codes, a held port reported before anything is created, Ctrl-C cleaning up,
 * and down leaving no labelled resource. No registry: the images are built from the host.
 */
import { spawn } from 'node:child_process';
import { commandContext } from '../../src/cli/context.js';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/commands/run.js';
import { CLI, cli, hasTool, removeDir, sh, tempDir } from '../helpers.js';

const docker = (args: string[]) => sh('docker', args);

async function labelled(project: string): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const filter = `label=com.docker.compose.project=${project}`;
  const list = async (args: string[]) => (await docker(args)).stdout.split('\n').filter(Boolean);
  return {
    containers: await list(['ps', '-aq', '--filter', filter]),
    networks: await list(['network', 'ls', '-q', '--filter', filter]),
    volumes: await list(['volume', 'ls', '-q', '--filter', filter]),
  };
}

describe('the stack on a real Docker engine', () => {
  const root = tempDir();
  const env = { CAROOT: join(root, 'ca'), HOME: root, TRUST_STORES: 'nss' };
  const projects: string[] = [];

  function project(name: string, catalogPort: number, lmsPort: number): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: catalogPort }, lms: { port: lmsPort } }));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    projects.push(dir);
    return dir;
  }

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    const info = await docker(['info', '--format', '{{.ServerVersion}}']);
    expect(info.exitCode, `no Docker engine: ${info.stderr}`).toBe(0);
  });
  afterAll(async () => {
    for (const dir of projects) await cli(['--project-dir', dir, 'down', '--volumes']);
    removeDir(root);
  });

  it('up, a no-op re-run, a backend switch, then down', async () => {
    const dir = project('stackmain', 18070, 18073);
    const first = await run(commandContext({ projectDir: dir, env: { ...process.env, ...env } }), { tls: true, hostsFile: join(dir, 'hosts') });
    expect(first.services.map((s) => [s.name, s.state])).toEqual([
      ['catalog', 'healthy'],
      ['lms', 'healthy'],
      ['nginx', 'healthy'],
    ]);
    expect(first.urls).toEqual({ catalog: 'https://richie.local.dev:18070', lms: 'https://edx.local.dev:18073' });
    const curlMain = () => sh('curl', ['-sS', '--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', 'richie.local.dev:18070:127.0.0.1', 'https://richie.local.dev:18070/']);
    expect((await curlMain()).stdout).toContain('openedx-hawthorn');
    // What the containers read from .richie-dev/ (nginx's servers and certificates, the CA the
    // apps trust) is owner-only, and they read it all the same: they run as root.
    for (const name of readdirSync(join(dir, '.richie-dev'), { recursive: true }) as string[]) {
      const info = statSync(join(dir, '.richie-dev', name));
      expect([name, (info.mode & 0o777).toString(8)]).toEqual([name, info.isDirectory() ? '700' : '600']);
    }

    // A second run-ssl on a healthy stack: no engine writes at all.
    const again = await run(commandContext({ projectDir: dir, env: { ...process.env, ...env } }), { tls: true, hostsFile: join(dir, 'hosts') });
    expect(again.engine.writes).toBe(0);
    expect(again.services.map((s) => s.action)).toEqual(['keep', 'keep', 'keep']);

    // Switching the backend recreates the catalog, and nginx, which depends on it and resolved
    // its old address at start; the LMS's settings do not change.
    const switched = await cli(['--project-dir', dir, '--json', 'lms', 'fake'], { env });
    expect(switched.exitCode, switched.stdout + switched.stderr).toBe(0);
    expect(JSON.parse(switched.stdout).services.map((s: { name: string; action: string }) => `${s.name}:${s.action}`)).toEqual(['catalog:recreate', 'lms:keep', 'nginx:recreate']);
    const served = await sh('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', 'richie.local.dev:18070:127.0.0.1', 'https://richie.local.dev:18070/']);
    expect(served.stdout).toBe('200');
    expect((await cli(['--project-dir', dir, 'lms'])).stdout.trim()).toBe('fake (TLS)');

    // Compose sees our containers by their labels.
    const ps = await sh('docker-compose', ['-p', 'stackmain', '-f', join(process.cwd(), 'docker-compose.richie.yml'), 'ps', '-q'], { RICHIE_DEV_STATE_DIR: join(dir, '.richie-dev') });
    expect(ps.stdout.split('\n').filter(Boolean)).toHaveLength(3);

    // status shows Docker's own health, whose first check of a just-recreated container comes
    // up to one interval later than the probe up uses.
    let status = JSON.parse((await cli(['--project-dir', dir, '--json', 'status'])).stdout);
    for (let i = 0; i < 20 && status.services.some((s: { health: string }) => s.health !== 'healthy'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = JSON.parse((await cli(['--project-dir', dir, '--json', 'status'])).stdout);
    }
    expect(status.services.map((s: { health: string }) => s.health)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(status.backend).toBe('fake');
    expect(status.certificate.daysLeft).toBeGreaterThan(800);

    // A second project up at the same time: each nginx reaches its own apps, though both
    // nginx containers share the edx-lms-outside network.
    const other = project('stackother', 18170, 18173);
    const otherUp = await cli(['--project-dir', other, 'run'], { env });
    expect(otherUp.exitCode, otherUp.stderr).toBe(0);
    for (let i = 0; i < 6; i++) {
      expect((await sh('curl', ['-sS', 'http://localhost:18170/'])).stdout).toContain('LMS backend: dummy at http://localhost:18173');
      expect((await curlMain()).stdout).toContain('LMS backend: dummy at https://edx.local.dev:18073');
    }
    expect((await cli(['--project-dir', other, 'down'], { env })).exitCode).toBe(0);

    const logs = await cli(['--project-dir', dir, 'logs', 'nginx', '--tail', '5']);
    expect(logs.exitCode).toBe(0);

    const down = await cli(['--project-dir', dir, '--json', 'down', '--volumes']);
    expect(down.exitCode, down.stderr).toBe(0);
    const left = await labelled('stackmain');
    expect([left.containers, left.volumes]).toEqual([[], []]);
    // The shared edx-lms-outside network stays while another project's nginx (another test
    // file's, running meanwhile) is on it; this project's own network is gone either way.
    const names = left.networks.length ? (await docker(['network', 'inspect', '--format', '{{.Name}}', ...left.networks])).stdout.split('\n').filter(Boolean) : [];
    expect(names.filter((name) => name !== 'edx-lms-outside')).toEqual([]);
  });

  it('reports a held port, naming its holder, before creating anything', async () => {
    const dir = project('stackport', 28070, 28073);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(28073, '127.0.0.1', resolve));
    try {
      const result = await cli(['--project-dir', dir, 'run'], { env });
      expect(result.exitCode, result.stderr).toBe(8);
      expect(result.stderr).toMatch(/Port 28073 \(service nginx\) is held by node \(pid \d+\); nothing was created\./);
      expect((await labelled('stackport')).containers).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  /** Up a one-service stack file of the test's own; return the error it fails with. */
  /** A project whose config names a stack file of the test's own (stack.yml), run through `richie-dev run`. */
  function stackFileProject(name: string, catalogPort: number, lmsPort: number, yaml: string): string {
    const dir = project(name, catalogPort, lmsPort);
    writeFileSync(join(dir, 'stack.yml'), yaml);
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ stackFile: 'stack.yml' }));
    return dir;
  }

  async function failingUp(name: string, service: string): Promise<{ message: string; exitCode: number; fix: string } | undefined> {
    const dir = project(name, 38070, 38073); // the ports are unused: the file publishes none
    const file = join(dir, 'stack.yml');
    writeFileSync(file, `services:\n  app:\n    image: richie-dev/demo-catalog:latest\n${service}    init: true\n    stop_grace_period: 1s\n`);
    const [{ stackContext }, { up }] = await Promise.all([import('../../src/stack/context.js'), import('../../src/stack/up.js')]);
    const ctx = await stackContext(commandContext({ projectDir: dir }), { stackFile: file });
    return up(ctx).then(
      () => undefined,
      (e: { message: string; exitCode: number; fix: string }) => e,
    );
  }

  it('a file silent on init and stop_grace_period: an init process, and SIGTERM stops a PID-1-style process at once', async () => {
    const dir = project('stackinit', 38170, 38173);
    const file = join(dir, 'stack.yml');
    // node without a SIGTERM handler: as PID 1 it would ignore SIGTERM and wait for SIGKILL.
    writeFileSync(file, 'services:\n  app:\n    image: richie-dev/demo-catalog:latest\n    command: ["node", "-e", "setInterval(() => {}, 1000)"]\n');
    const [{ stackContext }, { up }, { stopAll }] = await Promise.all([import('../../src/stack/context.js'), import('../../src/stack/up.js'), import('../../src/stack/lifecycle.js')]);
    const ctx = await stackContext(commandContext({ projectDir: dir }), { stackFile: file });
    await up(ctx);
    const inspect = async (format: string) => (await docker(['inspect', '--format', format, 'stackinit_app_1'])).stdout.trim();
    expect(await inspect('{{.HostConfig.Init}} {{.Config.StopTimeout}}')).toBe('true 1');
    expect(await stopAll(ctx)).toEqual(['app']);
    // 143 = killed by SIGTERM (relayed by the init process); 137 would be SIGKILL after the grace.
    expect(await inspect('{{.State.ExitCode}}')).toBe('143');
  });

  it('a service that exits fails fast with its last log lines and exit 9', async () => {
    const error = await failingUp(
      'stackexit',
      `    command: ["node", "-e", "console.log('boot failed: missing DATABASE_URL'); process.exit(3)"]
    healthcheck:
      test: ["CMD", "node", "/app/healthcheck.mjs"]
      interval: 1s
      retries: 3
`,
    );
    expect(error?.exitCode).toBe(9);
    expect(error?.message).toContain('Service app exited with code 3.');
    expect(error?.message).toContain('  | boot failed: missing DATABASE_URL');
    expect(error?.fix).toContain('richie-dev logs app');
  });

  it('a service that never turns healthy fails with exit 9 too', async () => {
    const error = await failingUp(
      'stackunhealthy',
      `    healthcheck:
      test: ["CMD", "node", "-e", "console.log('db not ready'); process.exit(1)"]
      interval: 1s
      retries: 2
`,
    );
    expect(error?.exitCode).toBe(9);
    expect(error?.message).toContain('Service app is unhealthy');
  });

  it('Ctrl-C during up removes what the run created, and leaves no temp file or lock behind', async () => {
    const dir = project('stacksigint', 48070, 48073);
    const tmp = join(root, 'sigint-tmp');
    mkdirSync(tmp);
    const child = spawn(process.execPath, [CLI, '--project-dir', dir, 'run'], { env: { ...process.env, ...env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let output = '';
    child.stderr.on('data', (chunk) => (output += chunk));
    // Interrupt once the services' containers are being created and started.
    for (let i = 0; i < 400 && !output.includes('catalog: creating'); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(output).toContain('catalog: creating');
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.kill('SIGINT');
    const code = await exited;
    expect(code, output).toBe(130);
    expect(output).toContain('Interrupted.');
    expect((await labelled('stacksigint')).containers).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(join(dir, '.richie-dev')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('a healthcheck that hangs fails up within its timeout × retries, with exit 9, even with a long interval', async () => {
    const began = Date.now();
    const error = await failingUp(
      'stackhang',
      `    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    healthcheck:
      test: ["CMD", "node", "-e", "setInterval(() => {}, 1000)"]
      interval: 30s
      timeout: 1s
      retries: 3
`,
    );
    const seconds = (Date.now() - began) / 1000;
    expect(error?.exitCode).toBe(9);
    expect(error?.message).toContain('Service app is unhealthy (its healthcheck failed 3 times in a row, each allowed 1 s)');
    // 1 s × 3, plus the container's creation and the last probe's round trip.
    expect(seconds).toBeLessThan(3 + 2);
  });

  it('the first service to fail ends the command: the others are not waited on', async () => {
    const dir = stackFileProject('stackfirstfail', 38370, 38373, `services:
  bad:
    image: richie-dev/demo-catalog:latest
    command: ["node", "-e", "setTimeout(() => process.exit(3), 1500)"]
    healthcheck:
      test: ["CMD", "node", "-e", "process.exit(1)"]
      interval: 1s
      retries: 100
  slow:
    image: richie-dev/demo-catalog:latest
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    healthcheck:
      test: ["CMD", "node", "-e", "process.exit(1)"]
      interval: 1s
      retries: 100
`);
    const began = Date.now();
    const result = await cli(['--project-dir', dir, 'run'], { env });
    expect(result.exitCode, result.stderr).toBe(9);
    expect(result.stderr).toContain('Service bad exited with code 3.');
    // slow would take 100 s to be judged unhealthy.
    expect(Date.now() - began).toBeLessThan(15_000);
  });

  it('every container is created up front, and one whose dependency failed is removed, never started', async () => {
    const dir = stackFileProject('stackdepfail', 38670, 38673, `services:
  bad:
    image: richie-dev/demo-catalog:latest
    command: ["node", "-e", "setTimeout(() => process.exit(3), 1000)"]
    healthcheck:
      test: ["CMD", "node", "-e", "process.exit(1)"]
      interval: 1s
      retries: 100
  after:
    image: richie-dev/demo-catalog:latest
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    depends_on:
      bad:
        condition: service_healthy
`);
    const result = await cli(['--project-dir', dir, 'run'], { env });
    expect(result.exitCode, result.stderr).toBe(9);
    // Both were being created before bad ran: the dependent's creation overlapped bad's start.
    expect(result.stderr).toMatch(/bad: creating[^]*after: creating[^]*bad: starting|after: creating[^]*bad: creating[^]*bad: starting/);
    const names = (await docker(['ps', '-a', '--filter', 'label=com.docker.compose.project=stackdepfail', '--format', '{{.Label "com.docker.compose.service"}} {{.State}}'])).stdout.trim();
    expect(names).toBe('bad exited');
  });

  it('a network the engine refuses to make: the run fails naming why, and nothing it made stays', async () => {
    // Each service waits only for its own networks and volumes, so app may be created (even
    // started) while the engine still makes, then refuses, the network only edge joins.
    // docker-compose config accepts an empty network name; the engine refuses to make it.
    const dir = stackFileProject('stacknetfail', 38770, 38773, `services:
  app:
    image: richie-dev/demo-catalog:latest
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    volumes: ["data:/data"]
  edge:
    image: richie-dev/demo-catalog:latest
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    networks: [default, outside]
networks:
  outside:
    name: ""
volumes:
  data: {}
`);
    const result = await cli(['--project-dir', dir, 'run'], { env });
    expect(result.exitCode, result.stderr).not.toBe(0);
    expect(result.stderr).toContain('POST /networks/create failed');
    expect(await labelled('stacknetfail')).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('run builds the built-in images on what the images keys say: a registry base is pulled from images.registry, and failing that nothing is created', async () => {
    const dir = project('stackimagesbase', 38470, 38473);
    // Nothing listens on port 9: the pull fails at once, naming the registry the config chose.
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 38470 }, lms: { port: 38473 }, images: { base: 'registry', registry: '127.0.0.1:9', nodeBase: 'richie-test/node:none' } }));
    const result = await cli(['--project-dir', dir, 'run'], { env });
    expect(result.exitCode, result.stderr).not.toBe(0);
    expect(result.stderr).toContain('The base image 127.0.0.1:9/richie-test/node:none cannot be pulled from 127.0.0.1:9');
    expect(await labelled('stackimagesbase')).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it("an env_file's ${V} is read from the command's environment", async () => {
    const dir = project('stackenvfile', 38570, 38573);
    writeFileSync(join(dir, 'app.env'), 'GREETING=${RICHIE_TEST_GREETING:-unset}\n');
    writeFileSync(
      join(dir, 'stack.yml'),
      `services:\n  app:\n    image: richie-dev/demo-catalog:latest\n    command: ["node", "-e", "setInterval(() => {}, 1000)"]\n    env_file: app.env\n`,
    );
    const [{ stackContext }, { up }] = await Promise.all([import('../../src/stack/context.js'), import('../../src/stack/up.js')]);
    await up(await stackContext(commandContext({ projectDir: dir, env: { ...process.env, RICHIE_TEST_GREETING: 'from the command' } }), { stackFile: join(dir, 'stack.yml') }));
    const envOf = (await docker(['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', 'stackenvfile_app_1'])).stdout;
    expect(envOf).toContain('GREETING=from the command\n');
  });

  it('a network removed while the stack was stopped (docker network prune) is made again, and the container recreated on it', async () => {
    const dir = stackFileProject('stacknetgone', 38870, 38873, 'services:\n  app:\n    image: richie-dev/demo-catalog:latest\n    command: ["node", "-e", "setInterval(() => {}, 1000)"]\n');
    expect((await cli(['--project-dir', dir, 'run'], { env })).exitCode).toBe(0);
    expect((await cli(['--project-dir', dir, 'stop'], { env })).exitCode).toBe(0);
    expect((await docker(['network', 'rm', 'stacknetgone_default'])).exitCode).toBe(0);
    // The stopped container still names the removed network's id: started as it is, it would fail.
    const again = await cli(['--project-dir', dir, '--json', 'run'], { env });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).services.map((s: { name: string; action: string }) => `${s.name}:${s.action}`)).toEqual(['app:recreate']);
  });

  it('a healthcheck of ["NONE"] means no wait: up returns as soon as the container runs', async () => {
    const dir = project('stacknone', 38270, 38273);
    const file = join(dir, 'stack.yml');
    writeFileSync(file, 'services:\n  app:\n    image: richie-dev/demo-catalog:latest\n    command: ["node", "-e", "setInterval(() => {}, 1000)"]\n    healthcheck:\n      test: ["NONE"]\n');
    const [{ stackContext }, { up }] = await Promise.all([import('../../src/stack/context.js'), import('../../src/stack/up.js')]);
    const ctx = await stackContext(commandContext({ projectDir: dir }), { stackFile: file });
    const began = Date.now();
    expect((await up(ctx)).map((s) => `${s.name}:${s.action}:${s.state}`)).toEqual(['app:create:running']);
    expect(Date.now() - began).toBeLessThan(3000);
    expect((await docker(['inspect', '--format', '{{json .Config.Healthcheck.Test}}', 'stacknone_app_1'])).stdout.trim()).toBe('["NONE"]');
  });

  it('two checkouts with the same folder name run side by side; down in one leaves the other running', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(a);
    mkdirSync(b);
    const first = project('a/twinproj', 18270, 18273);
    const second = project('b/twinproj', 18370, 18373);
    const up = async (dir: string) => {
      const result = await cli(['--project-dir', dir, '--json', 'run'], { env });
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { project: string };
    };
    const one = await up(first);
    const two = await up(second);
    expect(one.project).toBe('twinproj');
    expect(two.project).toMatch(/^twinproj-[0-9a-f]{8}$/);
    // Each is its own Compose project, with its own directory on every container.
    for (const [name, dir] of [
      [one.project, first],
      [two.project, second],
    ] as const) {
      const ps = await sh('docker-compose', ['-p', name, '-f', join(process.cwd(), 'docker-compose.richie.yml'), 'ps', '-q'], { RICHIE_DEV_STATE_DIR: join(dir, '.richie-dev') });
      const ids = ps.stdout.split('\n').filter(Boolean);
      expect(ids).toHaveLength(3);
      const dirs = (await docker(['inspect', '--format', '{{index .Config.Labels "com.docker.compose.project.working_dir"}}', ...ids])).stdout.trim().split('\n');
      expect(new Set(dirs)).toEqual(new Set([dir]));
    }
    // A re-run of each keeps its own containers.
    expect((await up(second)).project).toBe(two.project);
    const down = await cli(['--project-dir', second, '--json', 'down', '--volumes'], { env });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout).containers).toHaveLength(3);
    expect(await labelled(two.project)).toEqual({ containers: [], networks: [], volumes: [] });
    const running = (await docker(['ps', '-q', '--filter', 'label=com.docker.compose.project=twinproj'])).stdout.split('\n').filter(Boolean);
    expect(running).toHaveLength(3);
    expect((await sh('curl', ['-sS', 'http://localhost:18270/'])).stdout).toContain('LMS backend');
    expect((await cli(['--project-dir', first, 'down', '--volumes'], { env })).exitCode).toBe(0);
  });

  it('five concurrent run-ssl of one project take turns and end with one healthy stack', async () => {
    const dir = project('stackfive', 18470, 18473);
    const runs = await Promise.all(Array.from({ length: 5 }, () => cli(['--project-dir', dir, '--json', 'run-ssl', '--hosts-file', join(dir, 'hosts')], { env })));
    for (const r of runs) expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const results = runs.map((r) => JSON.parse(r.stdout) as { services: { action: string; state: string }[] });
    // Exactly one run created the stack; the others found it as it left it.
    expect(results.filter((r) => r.services.every((s) => s.action === 'create'))).toHaveLength(1);
    expect(results.filter((r) => r.services.every((s) => s.action === 'keep'))).toHaveLength(4);
    const { containers } = await labelled('stackfive');
    expect(containers).toHaveLength(3);
    expect(readdirSync(join(dir, '.richie-dev')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('an unreachable engine: says how to start it, exit 7', async () => {
    const dir = project('stacknoengine', 58070, 58073);
    const result = await cli(['--project-dir', dir, 'run'], { env: { DOCKER_HOST: `unix://${join(root, 'no.sock')}` } });
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(`The Docker engine at unix://${join(root, 'no.sock')} cannot be reached`);
    expect(result.stderr).toContain('dockerd');
  });
});
