/**
 * DOCKER_HOST=ssh://: the engine client runs the system `ssh`, which runs
 * `docker system dial-stdio` on the other side (as the docker CLI does), against a real sshd
 * on loopback in front of this machine's engine. The sshd and the ssh client's settings are
 * the test's own (a config under its temp folder, passed by an `ssh` on PATH that adds -F):
 * ssh reads ~/.ssh from the passwd entry, not $HOME, and the real one is not touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, olderVersion, API_VERSION } from '../../src/stack/engine.js';
import { sshArgs } from '../../src/stack/ssh-dial.js';
import { cli, freePort, hasTool, removeDir, sh, tempDir } from '../helpers.js';

const SSHD = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';

describe('the engine client over ssh://', () => {
  const root = tempDir();
  const bin = join(root, 'bin');
  let sshd: ChildProcess;
  let port = 0;
  let madePrivsepDir = false;
  let env: NodeJS.ProcessEnv;
  const tag = 'richie-dev-test/ssh-build:1';

  beforeAll(async () => {
    expect(hasTool('ssh')).toBe(true);
    expect(hasTool('docker')).toBe(true);
    if (!existsSync(SSHD) && process.env.CI) throw new Error(`CI is missing ${SSHD} (openssh-server); .ci/run must install it.`);
    expect(existsSync(SSHD)).toBe(true);
    const keygen = (file: string) => sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'richie-dev-test', '-f', file]);
    await Promise.all([keygen(join(root, 'host_key')), keygen(join(root, 'user_key'))]);
    writeFileSync(join(root, 'authorized_keys'), readFileSync(join(root, 'user_key.pub')));
    port = await freePort();
    writeFileSync(
      join(root, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(root, 'host_key')}`,
        `AuthorizedKeysFile ${join(root, 'authorized_keys')}`,
        `PidFile ${join(root, 'sshd.pid')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        '',
      ].join('\n'),
    );
    writeFileSync(join(root, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(root, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    writeFileSync(
      join(root, 'ssh_config'),
      ['Host 127.0.0.1', `  IdentityFile ${join(root, 'user_key')}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(root, 'known_hosts')}`, '  StrictHostKeyChecking yes', '  BatchMode yes', ''].join('\n'),
    );
    mkdirSync(bin);
    writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F '${join(root, 'ssh_config')}' "$@"\n`);
    chmodSync(join(bin, 'ssh'), 0o755);
    // sshd's privilege separation directory; made only when missing, and removed after.
    if (!existsSync(PRIVSEP_DIR)) {
      mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
      madePrivsepDir = true;
    }
    sshd = spawn(SSHD, ['-D', '-e', '-f', join(root, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    sshd.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    for (let i = 0; i < 100 && !log.includes('Server listening'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(log).toContain('Server listening');
    const user = (await sh('id', ['-un'])).stdout.trim();
    env = { DOCKER_HOST: `ssh://${user}@127.0.0.1:${port}`, PATH: `${bin}:${process.env.PATH}`, HOME: root };
  });
  afterAll(async () => {
    sshd?.kill();
    if (madePrivsepDir) rmdirSync(PRIVSEP_DIR);
    await sh('docker', ['rmi', '-f', tag]);
    removeDir(root);
  });

  it('runs ssh as the docker CLI does: ConnectTimeout, no terminal, user and port, then docker system dial-stdio', () => {
    expect(sshArgs({ host: 'h', port: 2222, username: 'me' })).toEqual(['-o', 'ConnectTimeout=30', '-T', '-l', 'me', '-p', '2222', '--', 'h', 'docker', 'system', 'dial-stdio']);
    expect(sshArgs({ host: 'h', port: 22, username: undefined })).toEqual(['-o', 'ConnectTimeout=30', '-T', '-p', '22', '--', 'h', 'docker', 'system', 'dial-stdio']);
  });

  it('reads the same engine as the socket, pinned to the same API version', async () => {
    const daemon = (await sh('docker', ['version', '--format', '{{.Server.APIVersion}}'])).stdout.trim();
    const direct = await Engine.connect({ DOCKER_HOST: 'unix:///var/run/docker.sock' });
    const viaSsh = await Engine.connect(env);
    expect(viaSsh.apiVersion).toBe(olderVersion(daemon, API_VERSION));
    expect(viaSsh.target).toMatchObject({ host: env.DOCKER_HOST, remote: false });
    const ids = (list: { id: string }[]) => list.map((x) => x.id).sort();
    expect(ids(await viaSsh.containerList({}))).toEqual(ids(await direct.containerList({})));
    expect(await viaSsh.networkByName('bridge')).toEqual(await direct.networkByName('bridge'));
    expect(await viaSsh.image('richie-dev/no-such-image:0')).toBeUndefined();
    expect(viaSsh.writes).toBe(0);
  });

  it('builds over ssh, sending the context less what .dockerignore names (paths relative to the context)', async () => {
    const context = join(root, 'context');
    mkdirSync(join(context, 'nested'), { recursive: true });
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY . /ctx/\nLABEL dev.richie.test=ssh\n');
    writeFileSync(join(context, '.dockerignore'), 'secret.txt\nnested/drop.txt\n');
    for (const name of ['keep.txt', 'secret.txt', 'nested/keep.txt', 'nested/drop.txt']) writeFileSync(join(context, name), name);
    const viaSsh = await Engine.connect(env);
    await viaSsh.build(context, tag, { 'dev.richie.test': 'ssh' });
    expect((await viaSsh.image(tag))?.labels['dev.richie.test']).toBe('ssh');
    const created = await sh('docker', ['create', tag, '/none']);
    try {
      const listing = await sh('sh', ['-c', `docker export ${created.stdout.trim()} | tar -t`]);
      const files = listing.stdout.split('\n').filter((f) => f.startsWith('ctx/') && !f.endsWith('/')).sort();
      expect(files).toEqual(['ctx/.dockerignore', 'ctx/Dockerfile', 'ctx/keep.txt', 'ctx/nested/keep.txt']);
    } finally {
      await sh('docker', ['rm', '-f', created.stdout.trim()]);
    }
  });

  it('a build that fails is the one error type, with the engine\'s words (exit 10)', async () => {
    const context = join(root, 'broken');
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY missing.txt /\n');
    const viaSsh = await Engine.connect(env);
    const error = await viaSsh.build(context, 'richie-dev-test/ssh-broken:1', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'EngineError', exitCode: 10, call: 'POST /build (richie-dev-test/ssh-broken:1)' });
    expect((error as Error).message).toMatch(/missing\.txt/);
  });

  it('the CLI over ssh:// ends when its work is done: an idle ssh connection does not hold it', async () => {
    const project = join(root, 'sshproject');
    mkdirSync(project);
    const began = Date.now();
    const status = await cli(['--project-dir', project, '--json', 'status'], { env });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ services: expect.any(Array) });
    expect(Date.now() - began).toBeLessThan(20_000);
  });

  it('an ssh that cannot connect: exit 7, with ssh\'s own reason', async () => {
    const closed = await freePort();
    const error = await Engine.connect({ ...env, DOCKER_HOST: `ssh://root@127.0.0.1:${closed}` }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 7 });
    expect((error as Error).message).toContain(`The Docker engine at ssh://root@127.0.0.1:${closed} cannot be reached`);
    expect((error as Error).message).toContain('Connection refused');
  });
});
