/**
 * The hostile corpus (issue 19, README "The project's `.richie-dev/`"): a cloned repository can commit
 * links in `.richie-dev/`. A link is planted at every path richie-dev writes there, at the
 * folder itself and at each folder in it, and a hard link at a few; every command that writes
 * runs as the CLI, as root and as an unprivileged user (nobody, in a project it owns). Every
 * command exits 3 naming the planted path, and every target outside the project is
 * byte-identical afterwards. Then the modes: files 0600, folders 0700, `.gitignore` first.
 *
 * Run it under the heavy lock (DEVELOPERS.md): the refusal comes before the engine is asked
 * anything, but a regression would let run, lms, stop and down reach Docker.
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lchownSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, isRoot, removeDir, tempDir } from './helpers.js';

const NOBODY = 65534;
const root = tempDir('richie-dev-hostile-');
chmodSync(root, 0o755); // nobody walks through it to its own folders
afterAll(() => removeDir(root));

/** Every path richie-dev writes under .richie-dev/ (the default hosts: richie.local.dev, edx.local.dev). */
const FILES = [
  'state.json',
  'secrets.json',
  '.gitignore',
  'env/catalog.env',
  'env/lms.env',
  'nginx/catalog.conf',
  'nginx/lms.conf',
  'richie/lms_backends.py',
  'ssl/richie.local.dev.pem',
  'ssl/richie.local.dev.key',
  'ssl/edx.local.dev.pem',
  'ssl/edx.local.dev.key',
  'ssl/ca.pem',
  'stack.richie-dev.lock',
];
const FOLDERS = ['', 'ssl', 'env', 'nginx', 'richie'];
const HARD = ['secrets.json', 'state.json', 'ssl/ca.pem', 'env/catalog.env', 'stack.richie-dev.lock'];

type Plant = { at: string; kind: 'symlink' | 'hardlink' | 'folder' };
const PLANTS: Plant[] = [
  ...FILES.map((at) => ({ at, kind: 'symlink' as const })),
  ...FOLDERS.map((at) => ({ at, kind: 'folder' as const })),
  ...HARD.map((at) => ({ at, kind: 'hardlink' as const })),
];

/** Every command that writes under .richie-dev/ (run-ssl also writes the hosts file given). */
function commands(hostsFile: string): string[][] {
  return [
    ['render'],
    ['render', '--ssl'],
    ['render', '--print', 'catalog'],
    ['render', '--ssl', '--print', 'lms'],
    ['setup-ssl'],
    ['setup-ssl', '--no-cert'],
    ['run'],
    ['run-ssl', '--hosts-file', hostsFile],
    ['lms', 'real'],
    ['stop'],
    ['down'],
  ];
}

/** A home of the user's own: no CLI run here touches the real user dirs. */
function userEnv(home: string): NodeJS.ProcessEnv {
  return {
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    CAROOT: join(home, 'ca'),
    TRUST_STORES: 'nss',
  };
}

function chownTree(path: string, uid: number): void {
  lchownSync(path, uid, uid);
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), uid);
}

/** Every entry under `dir`, links not followed: the link's own target, a file's hash and mode. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    const info = lstatSync(path);
    if (info.isSymbolicLink()) out[name] = `link:${readlinkSync(path)}`;
    else if (info.isFile()) out[name] = `file:${info.mode.toString(8)}:${info.nlink}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    else out[name] = `dir:${info.mode.toString(8)}`;
  }
  return out;
}

const users = [
  { name: 'root', uid: undefined, own: 0 },
  { name: 'nobody', uid: NOBODY, own: NOBODY },
] as const;

describe.runIf(isRoot)('a link planted in .richie-dev/ is refused by every command, as root and as a user', () => {
  describe.each(users)('as $name', (user) => {
    it.each(PLANTS.map((p, i) => ({ ...p, i })))('$kind at .richie-dev/$at', async ({ at, kind, i }) => {
      const base = join(root, `${user.name}-${kind}-${i}`);
      const project = join(base, 'project');
      const outside = join(base, 'outside');
      const home = join(base, 'home');
      mkdirSync(project, { recursive: true });
      mkdirSync(join(outside, 'folder'), { recursive: true });
      mkdirSync(home, { recursive: true });
      writeFileSync(join(outside, 'victim'), 'do not touch\n');
      writeFileSync(join(outside, 'folder', 'kept'), 'do not touch either\n');
      const hostsFile = join(outside, 'hosts');
      writeFileSync(hostsFile, '127.0.0.1 localhost\n');
      const state = join(project, '.richie-dev');
      const planted = join(state, at);
      if (at !== '') mkdirSync(dirname(planted), { recursive: true, mode: 0o700 });
      if (kind === 'symlink') symlinkSync(join(outside, 'victim'), planted);
      else if (kind === 'hardlink') linkSync(join(outside, 'victim'), planted);
      else symlinkSync(join(outside, 'folder'), planted);
      chownTree(base, user.own);
      const before = snapshot(outside);

      const results = await Promise.all(commands(hostsFile).map(async (args) => ({ args, result: await cli(['--project-dir', project, ...args], { env: userEnv(home), ...(user.uid === undefined ? {} : { uid: user.uid }) }) })));
      for (const { args, result } of results) {
        expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(3);
        expect(result.stderr, args.join(' ')).toContain(`${planted} is a ${kind === 'hardlink' ? 'hard' : 'symbolic'} link`);
        expect(result.stderr, args.join(' ')).toContain(`rm ${planted}`);
      }
      expect(snapshot(outside)).toEqual(before);
      // The link itself is left as it was, and no CA was made for a refused run.
      expect(lstatSync(planted).isSymbolicLink()).toBe(kind !== 'hardlink');
      expect(existsSync(join(home, 'ca'))).toBe(false);
    }, 60_000);
  });
});

/** Every entry under .richie-dev/ with its type, mode and owner. */
function modes(state: string): { path: string; dir: boolean; mode: number; uid: number }[] {
  return (readdirSync(state, { recursive: true }) as string[]).concat('').map((name) => {
    const info = lstatSync(join(state, name));
    return { path: name, dir: info.isDirectory(), mode: info.mode & 0o7777, uid: info.uid };
  });
}

describe.runIf(isRoot)('.richie-dev/ is private: files 0600, folders 0700, .gitignore first', () => {
  it.each(users)('render and setup-ssl as $name: every file 0600 and folder 0700, owned by the user', async (user) => {
    const base = join(root, `modes-${user.name}`);
    const project = join(base, 'project');
    const home = join(base, 'home');
    mkdirSync(project, { recursive: true });
    mkdirSync(home, { recursive: true });
    chownTree(base, user.own);
    const as = { env: userEnv(home), ...(user.uid === undefined ? {} : { uid: user.uid }) };
    for (const args of [['setup-ssl'], ['render', '--ssl']]) {
      const result = await cli(['--project-dir', project, ...args], as);
      expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }
    const state = join(project, '.richie-dev');
    const seen = modes(state);
    expect(seen.map((e) => e.path).sort()).toEqual(expect.arrayContaining(['.gitignore', 'secrets.json', 'state.json', 'ssl/richie.local.dev.pem', 'ssl/richie.local.dev.key', 'env/catalog.env', 'nginx/lms.conf', 'richie/lms_backends.py']));
    for (const entry of seen) {
      expect({ ...entry, mode: entry.mode.toString(8) }).toEqual({ ...entry, mode: (entry.dir ? 0o700 : 0o600).toString(8), uid: user.own });
    }
    expect(readFileSync(join(state, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  }, 60_000);

  it('files and folders an older richie-dev left wider are narrowed by the next render, unchanged or not', async () => {
    const project = join(root, 'modes-older');
    mkdirSync(project, { recursive: true });
    const as = { env: userEnv(join(root, 'modes-older-home')) };
    expect((await cli(['--project-dir', project, 'render'], as)).exitCode).toBe(0);
    const state = join(project, '.richie-dev');
    for (const entry of modes(state)) chmodSync(join(state, entry.path), entry.dir ? 0o755 : 0o644);
    const again = await cli(['--project-dir', project, '--json', 'render'], as);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { files: { status: string }[] }).files.every((f) => f.status === 'unchanged')).toBe(true);
    for (const entry of modes(state)) expect([entry.path, entry.mode.toString(8)]).toEqual([entry.path, entry.dir ? '700' : '600']);
  });

  it('render --print makes the self-ignoring .gitignore before the secret it saves', async () => {
    const project = join(root, 'print-gitignore');
    mkdirSync(project, { recursive: true });
    const result = await cli(['--project-dir', project, 'render', '--print', 'catalog'], { env: userEnv(join(root, 'print-gitignore-home')) });
    expect(result.exitCode, result.stderr).toBe(0);
    const state = join(project, '.richie-dev');
    expect(readdirSync(state).sort()).toEqual(['.gitignore', 'secrets.json']);
    expect(readFileSync(join(state, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(lstatSync(join(state, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it("a .richie-dev/ owned by another user is refused, naming it and the chown; under sudo the invoking user's is accepted and stays theirs", async () => {
    const base = join(root, 'owners');
    const project = join(base, 'project');
    const home = join(base, 'home');
    mkdirSync(join(project, '.richie-dev'), { recursive: true, mode: 0o700 });
    mkdirSync(home, { recursive: true });
    chownTree(base, NOBODY);
    chownSync(join(project, '.richie-dev'), 12345, 12345);
    const refused = await cli(['--project-dir', project, 'render'], { env: userEnv(home), uid: NOBODY });
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain(`${join(project, '.richie-dev')} belongs to uid 12345, not to you (uid ${NOBODY})`);
    expect(refused.stderr).toContain(`sudo chown -R ${NOBODY} ${join(project, '.richie-dev')}`);
    expect(readdirSync(join(project, '.richie-dev'))).toEqual([]);
    // Root, without sudo, in a folder of another user: refused too.
    expect((await cli(['--project-dir', project, 'render'], { env: userEnv(home) })).exitCode).toBe(3);

    // sudo richie-dev render in nobody's project: accepted, and what root makes is nobody's.
    chownSync(join(project, '.richie-dev'), NOBODY, NOBODY);
    const sudo = await cli(['--project-dir', project, 'render'], { env: { ...userEnv(home), SUDO_UID: String(NOBODY), SUDO_GID: String(NOBODY) } });
    expect(sudo.exitCode, sudo.stderr).toBe(0);
    for (const entry of modes(join(project, '.richie-dev'))) expect([entry.path, entry.uid]).toEqual([entry.path, NOBODY]);
  });
});
