/**
 * hosts against the real system through the CLI: the resolver (getent, Node's dns.lookup)
 * reading /etc/hosts in a private mount namespace, concurrent and killed writers, missing
 * rights. The machine's own /etc is never written: the namespace sees a copy bind-mounted
 * over it (without richie-dev's files from real use), and the test checks the real /etc/hosts
 * and richie-dev's files beside it are unchanged.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, hasTool, inMountNamespace, isRoot, removeDir, tempDir } from '../helpers.js';
import { blocklist } from './fixtures.js';

const ORIGINAL = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n# keep me\n';
const LOOKUP = `node -e "require('dns').lookup(process.argv[1],{all:true},(e,a)=>console.log(e?e.code:a.map(x=>x.address).sort().join(',')))"`;

// The real /etc is never written: its hosts file and whatever richie-dev left beside it in
// real use (a backup, a lock) are the same afterwards.
const realEtc = () => ({ hosts: readFileSync('/etc/hosts'), ours: readdirSync('/etc').filter((f) => f.includes('richie-dev')).map((f) => `${f} ${lstatSync(join('/etc', f)).isSymbolicLink() ? 'link' : readFileSync(join('/etc', f)).toString('base64')}`) });
let realBefore: ReturnType<typeof realEtc>;
beforeAll(() => {
  realBefore = realEtc();
});
afterAll(() => {
  expect(realEtc()).toEqual(realBefore);
});

describe('hosts and the system resolver (private mount namespace)', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  /** A namespace whose /etc is a copy; with `mountPoint`, /etc/hosts is itself a bind mount, as in a container. */
  function namespace(name: string, body: string, mountPoint: boolean): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const base = join(root, name);
    mkdirSync(join(base, 'project'), { recursive: true });
    writeFileSync(join(base, 'hosts.original'), ORIGINAL);
    return inMountNamespace(`
      cd "${base}"
      cp -a /etc etc
      # The machine may have richie-dev's backup, lock or temp files from real use: the copy
      # starts without them, as a machine where richie-dev never ran.
      rm -rf etc/*richie-dev* etc/.*richie-dev*
      cp hosts.original etc/hosts
      mount --bind etc /etc
      ${mountPoint ? `cp hosts.original hosts.mounted; mount --bind hosts.mounted /etc/hosts` : ''}
      rd() { node "${CLI}" --project-dir "${base}/project" "$@"; }
      names() { echo "getent=$(getent ahosts "$1" | awk '{print $1}' | sort -u | paste -sd, || true) lookup=$(${LOOKUP} "$1")"; }
      ${body}
    `);
  }

  it.each([
    ['a plain file (rename)', false],
    ['a bind-mounted file, as in a container (in place)', true],
  ])('%s: add makes getent and dns.lookup return loopback; remove makes them fail again', async (_, mountPoint) => {
    expect(isRoot).toBe(true);
    expect(hasTool('unshare')).toBe(true);
    expect(hasTool('getent')).toBe(true);
    const name = mountPoint ? 'mounted' : 'plain';
    const result = await namespace(
      name,
      `
      echo "before $(names edx.local.dev)"
      rd --json hosts add > add.json
      echo "added $(names edx.local.dev) $(names richie.local.dev)"
      rd hosts check > check.txt && echo "check-exit=0"
      rd hosts remove > /dev/null
      echo "removed $(names edx.local.dev)"
      rd hosts check > /dev/null || echo "check-exit-after-remove=$?"
      cp /etc/hosts final
      ls /etc > etc.list
    `,
      mountPoint,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('before getent= lookup=ENOTFOUND');
    expect(result.stdout).toContain('added getent=127.0.0.1,::1 lookup=127.0.0.1,::1 getent=127.0.0.1,::1 lookup=127.0.0.1,::1');
    expect(result.stdout).toContain('check-exit=0');
    expect(result.stdout).toContain('removed getent= lookup=ENOTFOUND');
    expect(result.stdout).toContain('check-exit-after-remove=5');
    const base = join(root, name);
    expect(readFileSync(join(base, 'final'), 'utf8')).toBe(ORIGINAL);
    expect(readFileSync(join(base, 'check.txt'), 'utf8')).toMatch(/✔ edx\.local\.dev\n {4}file: 127\.0\.0\.1 \(line 7, ours\), ::1 \(line 8, ours\)\n {4}resolver: .*127\.0\.0\.1/);
    const add = JSON.parse(readFileSync(join(base, 'add.json'), 'utf8'));
    if (mountPoint) {
      // rename onto a mount point fails (EBUSY): rewritten in place after a backup, and said so.
      expect(add).toMatchObject({ ok: true, changed: true, method: 'in-place', backup: '/etc/hosts.richie-dev.bak' });
      expect(add.warnings[0]).toContain('(EBUSY: it is a mount point, as in a container or WSL); it was rewritten in place after saving a copy to /etc/hosts.richie-dev.bak');
      expect(readFileSync(join(base, 'hosts.mounted'), 'utf8')).toBe(ORIGINAL);
      // The last in-place write (remove) first saved the file with the block.
      expect(readFileSync(join(base, 'etc', 'hosts.richie-dev.bak'), 'utf8')).toContain(`${ORIGINAL}# >>> richie-dev ${base}/project >>>`);
    } else {
      expect(add).toMatchObject({ ok: true, changed: true, method: 'rename', action: 'added' });
      expect(add.backup).toBeUndefined();
    }
    // No lock, temp or stray file left in /etc.
    expect(readFileSync(join(base, 'etc.list'), 'utf8')).not.toMatch(/richie-dev\.(lock|tmp)|\.tmp$/m);
  });

  it('a symbolic link planted at the backup name: the in-place write fails as root, changing nothing', async () => {
    const result = await namespace(
      'planted-backup',
      `
      printf 'do not touch\\n' > victim
      ln -s "$PWD/victim" /etc/hosts.richie-dev.bak
      rd hosts add > add.out 2> add.err || echo "add-exit=$?"
      cp /etc/hosts final
      ls -A /etc > etc.list
      readlink /etc/hosts.richie-dev.bak > link.txt
    `,
      true,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const base = join(root, 'planted-backup');
    expect(result.stdout).toContain('add-exit=3');
    expect(readFileSync(join(base, 'add.err'), 'utf8')).toContain('/etc/hosts.richie-dev.bak is a symbolic link; richie-dev writes its backup there and will not write through it. Nothing was changed.');
    expect(readFileSync(join(base, 'victim'), 'utf8')).toBe('do not touch\n');
    expect(readFileSync(join(base, 'final'), 'utf8')).toBe(ORIGINAL);
    expect(readFileSync(join(base, 'link.txt'), 'utf8').trim()).toBe(join(base, 'victim'));
    expect(readFileSync(join(base, 'etc.list'), 'utf8')).not.toMatch(/richie-dev-\d+-[0-9a-f]+\.tmp|richie-dev\.lock/);
  });

  it('an earlier entry for our host is reported with its line, left alone, and makes check fail', async () => {
    const result = await namespace(
      'conflict',
      `
      printf '10.9.9.9 edx.local.dev\\n' >> /etc/hosts
      rd hosts add > add.txt
      echo "added $(names edx.local.dev)"
      rd hosts check > check.txt || echo "check-exit=$?"
      rd --json hosts check > check.json || true
      rd hosts remove > /dev/null
      cp /etc/hosts final
    `,
      false,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const base = join(root, 'conflict');
    expect(readFileSync(join(base, 'add.txt'), 'utf8')).toContain('line 4 also maps edx.local.dev to 10.9.9.9, before our block');
    expect(result.stdout).toContain('added getent=10.9.9.9,127.0.0.1,::1');
    expect(result.stdout).toContain('check-exit=5');
    expect(readFileSync(join(base, 'check.txt'), 'utf8')).toContain('✖ edx.local.dev\n    file: 10.9.9.9 (line 4), 127.0.0.1 (line 8, ours), ::1 (line 9, ours)');
    expect(readFileSync(join(base, 'check.txt'), 'utf8')).toContain('→ remove or comment out line 4 of /etc/hosts');
    const json = JSON.parse(readFileSync(join(base, 'check.json'), 'utf8'));
    expect(json).toMatchObject({ ok: false, exitCode: 5, block: 'current', conflicts: [{ host: 'edx.local.dev', line: 4, address: '10.9.9.9', shadows: true }] });
    expect(readFileSync(join(base, 'final'), 'utf8')).toBe(`${ORIGINAL}10.9.9.9 edx.local.dev\n`);
  });

  it('a read-only mount: nothing changes, exit 4, no sudo offered (it would not help)', async () => {
    const result = await namespace(
      'rofs',
      `
      mount -o remount,ro,bind /etc
      rd hosts add 2> err.txt || echo "exit=$?"
    `,
      false,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('exit=4');
    const err = readFileSync(join(root, 'rofs', 'err.txt'), 'utf8');
    expect(err).toContain('✖ Cannot change /etc/hosts: it is on a read-only file system; nothing was changed.');
    expect(err).toContain('hosts add --print');
    expect(err).not.toContain('sudo');
  });
});

describe('hosts under faults', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  function hostsFile(name: string, content: string | Buffer = ORIGINAL): string {
    const dir = join(root, name);
    mkdirSync(dir);
    const file = join(dir, 'hosts');
    writeFileSync(file, content);
    return file;
  }

  it('20 concurrent adds leave exactly one block, every other line, and no lock or temp file', async () => {
    const file = hostsFile('concurrent');
    const runs = await Promise.all(Array.from({ length: 20 }, () => cli(['--project-dir', '/srv/p', '--json', 'hosts', 'add', '--hosts-file', file])));
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    expect(runs.filter((r) => JSON.parse(r.stdout).changed)).toHaveLength(1);
    const content = readFileSync(file, 'utf8');
    expect(content.startsWith(ORIGINAL)).toBe(true);
    expect(content.split('# >>> richie-dev /srv/p >>>')).toHaveLength(2);
    expect(content.match(/\tedx\.local\.dev\n/g)).toHaveLength(2);
    expect(readdirSync(join(root, 'concurrent'))).toEqual(['hosts']);
  });

  it('a writer killed with SIGKILL leaves the old or the new file, never a truncated one; readers never see a partial file', async () => {
    const original = blocklist(150_000);
    const file = hostsFile('killed', original);
    const reference = hostsFile('reference', original);
    const args = ['--project-dir', '/srv/k', 'hosts', 'add', '--hosts-file'];
    const started = Date.now();
    const done = await cli([...args, reference]);
    const duration = Date.now() - started;
    expect(done.exitCode, done.stderr).toBe(0);
    const added = readFileSync(reference);
    const states = { old: 0, new: 0 };
    /** Every state of the file anyone can see must be one of the two. */
    const look = (when: string) => {
      const content = readFileSync(file);
      if (content.equals(original)) return 'old';
      if (content.equals(added)) return 'new';
      return expect.fail(`${when}: the file is neither the old nor the new one (${content.length} bytes)`);
    };
    const runs = 16;
    for (let i = 0; i < runs; i++) {
      writeFileSync(file, original);
      const child = spawn(process.execPath, [CLI, ...args, file], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // Kills spread over a whole run's length, watching the file until then.
      const killAt = Date.now() + (duration * (i + 0.5)) / runs;
      while (Date.now() < killAt && child.exitCode === null) {
        look(`run ${i}, while writing`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      child.kill('SIGKILL');
      await exited;
      states[look(`run ${i}, after SIGKILL`)]++;
    }
    expect(states.old + states.new).toBe(runs);
    // A killed writer may leave its lock and temp file: the dead pid makes both stale.
    const next = await cli(['--project-dir', '/srv/k', 'hosts', 'remove', '--hosts-file', file]);
    expect(next.exitCode, next.stderr).toBe(0);
    expect(readFileSync(file).equals(original)).toBe(true);
    expect(readdirSync(join(root, 'killed'))).toEqual(['hosts']);
  });

  // Deterministic faults: strace stops the writer with SIGKILL at the entry of one system call
  // of the write (the call does not run), at each step of temp file, fsync, rename.
  it.each([
    ['link', 1, 'old', 'linking the lock, written to its own temp file, into place'],
    ['pwritev', 1, 'old', 'writing the temp file'],
    ['fchmod', 1, 'old', 'setting its mode'],
    ['fsync', 1, 'old', 'syncing it'],
    ['rename', 1, 'old', 'replacing the file'],
    ['fsync', 2, 'new', 'syncing the directory after the rename'],
    // unlink 1 removes the lock's temp file once linked into place; 2 releases the lock.
    ['unlink', 2, 'new', 'releasing the lock'],
  ])('SIGKILL at %s (call %d) leaves the %s file (%s); the next run recovers', async (call, nth, expected) => {
    expect(hasTool('strace')).toBe(true);
    const original = blocklist(1_000);
    const file = hostsFile(`strace-${call}-${nth}`, original);
    const argv = ['--project-dir', '/srv/st', 'hosts', 'add', '--hosts-file', file];
    const killed = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${call}`, '-e', `inject=${call}:signal=SIGKILL:when=${nth}`, process.execPath, CLI, ...argv], {
      stdio: 'ignore',
      // strace counts calls per thread: one libuv pool thread makes "call 2" the second call.
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    });
    // strace ends itself the way its tracee ended: killed by SIGKILL.
    expect(killed.signal ?? killed.status).toBe(killed.signal ? 'SIGKILL' : 128 + 9);
    const after = readFileSync(file);
    if (expected === 'old') expect(after.equals(original)).toBe(true);
    else expect(after.toString()).toMatch(/^127\.0\.0\.1 localhost\n[^]*\n# >>> richie-dev \/srv\/st >>> [^\n]*\n(.*\t.*\n){4}# <<< richie-dev \/srv\/st <<<\n$/);
    const next = await cli(argv);
    expect(next.exitCode, next.stderr).toBe(0);
    expect(readFileSync(file).subarray(0, original.length).equals(original)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('# <<< richie-dev /srv/st <<<\n');
    // The dead writer's lock and temp file are gone.
    expect(readdirSync(join(root, `strace-${call}-${nth}`))).toEqual(['hosts']);
  });

  it('without write permission: nothing changes, exit 4, the exact sudo command and --print are offered', async () => {
    expect(isRoot).toBe(true);
    const file = hostsFile('readonly');
    chmodSync(join(root, 'readonly'), 0o755);
    chmodSync(root, 0o755);
    const result = await cli(['--project-dir', '/srv/r', 'hosts', 'add', '--hosts-file', file], { uid: 65534 });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(`No permission to change ${file} (EACCES); nothing was changed.`);
    expect(result.stderr).toContain(`Run: sudo ${process.execPath} ${CLI} --project-dir /srv/r hosts add --hosts-file ${file}`);
    expect(result.stderr).toContain(`or add the block yourself: ${process.execPath} ${CLI} --project-dir /srv/r hosts add --hosts-file ${file} --print`);
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    expect(readdirSync(join(root, 'readonly'))).toEqual(['hosts']);
    // The suggested --print works for that user, and the suggested sudo command works as root.
    const printed = await cli(['--project-dir', '/srv/r', 'hosts', 'add', '--hosts-file', file, '--print'], { uid: 65534 });
    expect(printed.exitCode).toBe(0);
    expect(printed.stdout).toContain('127.0.0.1\trichie.local.dev');
    const elevated = await cli(['--project-dir', '/srv/r', 'hosts', 'add', '--hosts-file', file]);
    expect(elevated.exitCode, elevated.stderr).toBe(0);
    // With the block already there, the same user's add has nothing to do and needs no rights.
    const again = await cli(['--project-dir', '/srv/r', 'hosts', 'add', '--hosts-file', file], { uid: 65534 });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to change');
    // remove gets the same treatment, with its own fix.
    const remove = await cli(['--project-dir', '/srv/r', '--json', 'hosts', 'remove', '--hosts-file', file], { uid: 65534 });
    expect(remove.exitCode).toBe(4);
    expect(JSON.parse(remove.stdout).error.fix).toContain(`sudo ${process.execPath} ${CLI} --project-dir /srv/r --json hosts remove --hosts-file ${file}`);
  });

  it("a user who may write the file but not own it: rewritten in place, so the file keeps its owner", async () => {
    chmodSync(root, 0o755);
    const file = hostsFile('group-writable');
    chownSync(join(root, 'group-writable'), 65534, 65534);
    chownSync(file, 0, 65534);
    chmodSync(file, 0o664);
    const result = await cli(['--project-dir', '/srv/g', '--json', 'hosts', 'add', '--hosts-file', file], { uid: 65534 });
    expect(result.exitCode, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ changed: true, method: 'in-place', backup: `${file}.richie-dev.bak` });
    expect(json.warnings[0]).toContain('a new file could not be given its owner back');
    const info = statSync(file);
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([0, 65534, 0o664]);
    expect(readFileSync(file, 'utf8').startsWith(`${ORIGINAL}# >>> richie-dev /srv/g >>>`)).toBe(true);
    expect(readFileSync(`${file}.richie-dev.bak`, 'utf8')).toBe(ORIGINAL);
  });

  it('a file with no write bit is read-only even for root: nothing changes, exit 4', async () => {
    const file = hostsFile('mode444');
    chmodSync(file, 0o444);
    const result = await cli(['--project-dir', '/srv/m', 'hosts', 'add', '--hosts-file', file]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(`✖ ${file} is read-only (mode 0444); nothing was changed.`);
    expect(result.stderr).toContain(`sudo chmod u+w ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
  });

  it('RICHIE_DEV_HOSTS_FILE points at another file, and the sudo command names it (sudo drops the variable)', async () => {
    const file = hostsFile('from-env');
    const added = await cli(['--project-dir', '/srv/e', '--json', 'hosts', 'add'], { env: { RICHIE_DEV_HOSTS_FILE: file } });
    expect(JSON.parse(added.stdout)).toMatchObject({ file, changed: true });
    chmodSync(root, 0o755);
    chmodSync(join(root, 'from-env'), 0o755);
    const denied = await cli(['--project-dir', '/srv/e', 'hosts', 'remove'], { env: { RICHIE_DEV_HOSTS_FILE: file }, uid: 65534 });
    expect(denied.exitCode).toBe(4);
    expect(denied.stderr).toContain(`--project-dir /srv/e hosts remove --hosts-file ${file}`);
  });

  it('the same project reached through a symlink is the same block', async () => {
    const file = hostsFile('symlinked-project');
    const project = join(root, 'symlinked-project', 'real');
    mkdirSync(project);
    symlinkSync(project, join(root, 'symlinked-project', 'link'));
    const first = await cli(['--project-dir', project, '--json', 'hosts', 'add', '--hosts-file', file]);
    const second = await cli(['--project-dir', join(root, 'symlinked-project', 'link'), '--json', 'hosts', 'add', '--hosts-file', file]);
    expect([JSON.parse(first.stdout).changed, JSON.parse(second.stdout).changed]).toEqual([true, false]);
  });

  it('an invalid host in the config is refused before the hosts file is read', async () => {
    const project = join(root, 'bad-config');
    mkdirSync(project);
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ lms: { host: 'edx_local.dev' } }));
    const result = await cli(['--project-dir', project, 'hosts', 'add', '--hosts-file', join(root, 'no-such-file')]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('lms.host: got "edx_local.dev"; not a valid host name');
    expect(result.stderr).not.toContain('no-such-file');
  });

  it('check --json on a file the resolver does not read: per-host report, exit 5', async () => {
    const file = hostsFile('check');
    const result = await cli(['--project-dir', '/srv/c', '--json', 'hosts', 'check', '--hosts-file', file]);
    expect(result.exitCode).toBe(5);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ ok: false, file, block: 'missing', exitCode: 5 });
    expect(json.hosts.map((h: { host: string; ok: boolean; entries: unknown[] }) => [h.host, h.ok, h.entries])).toEqual([
      ['richie.local.dev', false, []],
      ['edx.local.dev', false, []],
    ]);
  });

  it('hosts --help documents the block, the fallback and the WSL case', async () => {
    const result = await cli(['hosts', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('--hosts-file /mnt/c/Windows/System32/drivers/etc/hosts');
    expect(result.stdout).toContain('generateHosts = false');
    const add = await cli(['hosts', 'add', '--help']);
    expect(add.stdout).toContain('--print');
    expect(add.stdout).toContain('RICHIE_DEV_HOSTS_FILE');
  });
});
