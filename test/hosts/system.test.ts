/**
 * hosts against the real system: the resolver (getent, Node's dns.lookup) reading /etc/hosts
 * in a private mount namespace, concurrent and killed writers, and missing rights. The
 * machine's own /etc is never written: the namespace sees a copy of /etc bind-mounted over it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cli, hasTool, inMountNamespace, isRoot, removeDir, tempDir } from '../helpers.js';

const ORIGINAL = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n# keep me\n';

describe('hosts and the system resolver', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  it('add makes getent and dns.lookup return loopback; remove makes them fail again', async () => {
    expect(isRoot).toBe(true);
    expect(hasTool('unshare')).toBe(true);
    const project = join(root, 'project');
    mkdirSync(project);
    const etc = join(root, 'etc');
    const realHosts = readFileSync('/etc/hosts');
    const lookup = `node -e "require('dns').lookup('edx.local.dev',{all:true},(e,a)=>console.log(e?e.code:a.map(x=>x.address).sort().join(',')))"`;
    const result = await inMountNamespace(`
      cp -a /etc "${etc}"
      printf '${ORIGINAL.replaceAll('\t', '\\t').replaceAll('\n', '\\n')}' > "${etc}/hosts"
      cp "${etc}/hosts" "${root}/hosts.mounted"
      mount --bind "${etc}" /etc
      # As in a container: /etc/hosts itself is a mount point, so rename over it fails (EBUSY).
      mount --bind "${root}/hosts.mounted" /etc/hosts
      echo "before getent=$(getent hosts edx.local.dev || echo none) lookup=$(${lookup})"
      node "${CLI}" --project-dir "${project}" --json hosts add > "${root}/add.json"
      echo "after getent=$(getent ahosts edx.local.dev | awk '{print $1}' | sort -u | paste -sd,) lookup=$(${lookup})"
      node "${CLI}" --project-dir "${project}" hosts check > "${root}/check.txt"; echo "check-exit=$?"
      node "${CLI}" --project-dir "${project}" hosts remove > /dev/null
      echo "removed getent=$(getent hosts edx.local.dev || echo none) lookup=$(${lookup})"
      node "${CLI}" --project-dir "${project}" hosts check > /dev/null || echo "check-exit-after-remove=$?"
      echo "backup=$(ls /etc/hosts.richie-dev.bak)"
    `);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('before getent=none lookup=ENOTFOUND');
    expect(result.stdout).toContain('after getent=127.0.0.1,::1 lookup=127.0.0.1,::1');
    expect(result.stdout).toContain('check-exit=0');
    expect(result.stdout).toContain('removed getent=none lookup=ENOTFOUND');
    expect(result.stdout).toContain('check-exit-after-remove=5');
    // The bind-mounted file could not be renamed over: rewritten in place after a backup, and said so.
    const add = JSON.parse(readFileSync(join(root, 'add.json'), 'utf8'));
    expect(add).toMatchObject({ changed: true, method: 'in-place', backup: '/etc/hosts.richie-dev.bak' });
    expect(add.warnings[0]).toContain('rewritten in place after saving a copy');
    expect(readFileSync(join(root, 'check.txt'), 'utf8')).toMatch(/✔ edx\.local\.dev\n {4}file: 127\.0\.0\.1 \(line \d+, ours\), ::1 \(line \d+, ours\)\n {4}resolver: /);
    expect(readFileSync(join(root, 'hosts.mounted'), 'utf8')).toBe(ORIGINAL);
    // Each in-place write first saves what it replaces: the last one (remove) saved the file with the block.
    const backup = readFileSync(join(etc, 'hosts.richie-dev.bak'), 'utf8');
    expect(backup.startsWith(ORIGINAL)).toBe(true);
    expect(backup).toContain(`# >>> richie-dev ${project} >>>`);
    expect(readFileSync('/etc/hosts')).toEqual(realHosts);
  });
});

describe('hosts under faults', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  function hostsFile(name: string, content = ORIGINAL): string {
    const file = join(root, name);
    writeFileSync(file, content);
    return file;
  }

  it('20 concurrent adds leave exactly one block and every other line', async () => {
    const file = hostsFile('concurrent');
    const runs = await Promise.all(Array.from({ length: 20 }, () => cli(['--project-dir', '/srv/p', 'hosts', 'add', '--hosts-file', file])));
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    const content = readFileSync(file, 'utf8');
    expect(content.startsWith(ORIGINAL)).toBe(true);
    expect(content.split('# >>> richie-dev /srv/p >>>').length).toBe(2);
    expect(content.match(/\tedx\.local\.dev/g)).toHaveLength(2);
  });

  it('a writer killed with SIGKILL leaves the old or the new file, never a truncated one', async () => {
    const lines = [ORIGINAL];
    for (let i = 0; i < 100_000; i++) lines.push(`0.0.0.0 ads${i}.example\n`);
    const original = lines.join('');
    const file = hostsFile('killed', original);
    const added = `${original}# >>> richie-dev /srv/k >>>`;
    for (let i = 0; i < 12; i++) {
      writeFileSync(file, original);
      const child = spawn(process.execPath, [CLI, '--project-dir', '/srv/k', 'hosts', 'add', '--hosts-file', file], { stdio: 'ignore' });
      await new Promise((resolve) => setTimeout(resolve, 80 + i * 15));
      const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('exit', resolve)));
      child.kill('SIGKILL');
      await exited;
      const content = readFileSync(file, 'utf8');
      expect(content === original || content.startsWith(added)).toBe(true);
    }
    // A killed writer may leave its lock behind: the dead pid makes it stale, and the next run recovers.
    const next = await cli(['--project-dir', '/srv/k', 'hosts', 'add', '--hosts-file', file]);
    expect(next.exitCode, next.stderr).toBe(0);
  });

  it('recovers a stale lock whose pid is dead, and waits for a live one', async () => {
    const file = hostsFile('stale');
    const dead = spawn('true');
    await new Promise((resolve) => dead.on('exit', resolve));
    expect(dead.pid).toBeGreaterThan(0);
    writeFileSync(`${file}.richie-dev.lock`, String(dead.pid));
    const result = await cli(['--project-dir', '/srv/s', 'hosts', 'add', '--hosts-file', file]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('richie-dev /srv/s');

    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(`${file}.richie-dev.lock`, String(sleeper.pid));
      const waiting = cli(['--project-dir', '/srv/s', 'hosts', 'remove', '--hosts-file', file]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(readFileSync(file, 'utf8')).toContain('richie-dev /srv/s'); // still waiting
      sleeper.kill('SIGKILL');
      const done = await waiting;
      expect(done.exitCode, done.stderr).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('without write permission: nothing changes, exit 4, the sudo command and --print are offered', async () => {
    expect(isRoot).toBe(true);
    chmodSync(root, 0o755);
    const file = hostsFile('readonly');
    chmodSync(file, 0o644);
    const result = await cli(['--project-dir', '/srv/r', 'hosts', 'add', '--hosts-file', file], { uid: 65534 });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(`No permission to change ${file} (EACCES); nothing was changed.`);
    expect(result.stderr).toContain(`sudo richie-dev --project-dir /srv/r hosts add --hosts-file ${file}`);
    expect(result.stderr).toContain('richie-dev hosts add --print');
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    const printed = await cli(['--project-dir', '/srv/r', 'hosts', 'add', '--print', '--hosts-file', file], { uid: 65534 });
    expect(printed.exitCode).toBe(0);
    expect(printed.stdout).toContain('127.0.0.1\trichie.local.dev');
  });

  it('RICHIE_DEV_HOSTS_FILE points at another file', async () => {
    const file = hostsFile('from-env');
    const result = await cli(['--project-dir', '/srv/e', '--json', 'hosts', 'add'], { env: { RICHIE_DEV_HOSTS_FILE: file } });
    expect(JSON.parse(result.stdout)).toMatchObject({ file, changed: true });
  });
});
