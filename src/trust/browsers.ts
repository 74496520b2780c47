/**
 * Which browsers are installed, and where each keeps the NSS database it reads. A browser is
 * found by its program on PATH or its snap; finding one never starts it and never writes.
 */
import { access, constants, open, realpath, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { homeDir } from '../paths.js';

export type BrowserFamily = 'chromium' | 'firefox';

export interface Browser {
  /** "Chromium", "Google Chrome", "Firefox ESR", "Chromium (snap)". */
  name: string;
  family: BrowserFamily;
  /** The program found (on PATH, or the snap's directory). */
  path: string;
  snap: boolean;
  /** The directory of the real program (links resolved), where its distribution/ lives. */
  installDir?: string;
}

/** Program names as the distributions and Google's packages install them. */
const PROGRAMS: readonly { file: string; name: string; family: BrowserFamily }[] = [
  { file: 'chromium', name: 'Chromium', family: 'chromium' },
  { file: 'chromium-browser', name: 'Chromium', family: 'chromium' },
  { file: 'google-chrome', name: 'Google Chrome', family: 'chromium' },
  { file: 'google-chrome-stable', name: 'Google Chrome', family: 'chromium' },
  // firefox-esr first: Debian's /usr/bin/firefox may be a link to it, and then it is the ESR.
  { file: 'firefox-esr', name: 'Firefox ESR', family: 'firefox' },
  { file: 'firefox', name: 'Firefox', family: 'firefox' },
];

const SNAPS: readonly { dir: string; name: string; family: BrowserFamily }[] = [
  { dir: '/snap/chromium', name: 'Chromium (snap)', family: 'chromium' },
  { dir: '/snap/firefox', name: 'Firefox (snap)', family: 'firefox' },
];

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function onPath(file: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, file);
    const ok = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return candidate;
  }
  return undefined;
}

/** Installed browsers, one per real program (chromium and chromium-browser may be one). */
export async function findBrowsers(env: NodeJS.ProcessEnv = process.env): Promise<Browser[]> {
  const found: Browser[] = [];
  const seen = new Set<string>();
  for (const program of PROGRAMS) {
    const path = await onPath(program.file, env);
    if (!path) continue;
    const real = await realpath(path).catch(() => path);
    // /snap/bin/chromium is a link to /usr/bin/snap: that browser is the snap's, found below.
    if (real.endsWith('/snap') || path.startsWith('/snap/')) continue;
    if (seen.has(real)) continue;
    seen.add(real);
    // A wrapper script that execs a program already found is that browser (Debian's
    // /usr/bin/firefox, diverted by firefox-esr, runs `exec firefox-esr "$@"`).
    const head = await firstBytes(real, 4096);
    if (head.startsWith('#!') && found.some((b) => new RegExp(`exec\\s+(\\S*/)?${b.path.split('/').pop()}\\b`).test(head))) continue;
    // Firefox's install dir (where distribution/ lives) holds omni.ja; a wrapper's dir does not.
    const installDir = program.family === 'firefox' && (await exists(join(dirname(real), 'omni.ja'))) ? dirname(real) : undefined;
    found.push({ name: program.name, family: program.family, path, snap: false, ...(installDir ? { installDir } : {}) });
  }
  for (const snap of SNAPS) {
    if (await exists(snap.dir)) found.push({ name: snap.name, family: snap.family, path: snap.dir, snap: true });
  }
  return found;
}

/** The start of a file (a program: a script's shebang and exec line), without reading a whole binary. */
async function firstBytes(path: string, length: number): Promise<string> {
  const handle = await open(path).catch(() => undefined);
  if (!handle) return '';
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(length), 0, length, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}

export function dataHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_DATA_HOME || join(homeDir(env), '.local', 'share');
}

export function configHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_CONFIG_HOME || join(homeDir(env), '.config');
}

/**
 * Chromium's NSS database, both places. Chromium's docs/linux/cert_management.md: "Since M146,
 * Chromium defaults to $HOME/.local/share/pki/nssdb for the NSS Shared DB. If you still have an
 * existing $HOME/.pki/nssdb database, Chromium will use that instead" (the new path follows
 * XDG_DATA_HOME, as base/nix/xdg_util.cc resolves it). A snap's HOME is ~/snap/<name>/current
 * (mkcert's truststore_nss.go for the old path).
 */
export function chromiumNssDirs(env: NodeJS.ProcessEnv, snap = false): { legacy: string; current: string } {
  if (snap) {
    const base = join(homeDir(env), 'snap', 'chromium', 'current');
    return { legacy: join(base, '.pki', 'nssdb'), current: join(base, '.local', 'share', 'pki', 'nssdb') };
  }
  return { legacy: join(homeDir(env), '.pki', 'nssdb'), current: join(dataHome(env), 'pki', 'nssdb') };
}

/**
 * The directory Chromium opens: the legacy one if it exists, else the new one. richie-dev never
 * creates the legacy one: Chromium would then leave the database it uses for it.
 */
export async function chromiumNssDir(env: NodeJS.ProcessEnv, snap = false): Promise<string> {
  const { legacy, current } = chromiumNssDirs(env, snap);
  return (await exists(legacy)) ? legacy : current;
}

/**
 * Where Firefox keeps its profiles. toolkit/xre/nsXREDirProvider.cpp (AppendLegacyOrXDGHomePath):
 * ~/.mozilla/firefox when ~/.mozilla exists, else $XDG_CONFIG_HOME/mozilla/firefox (default
 * ~/.config) — a fresh Firefox ESR 153 makes ~/.config/mozilla/firefox. The snap's profiles
 * are under ~/snap/firefox/common/.mozilla/firefox (mkcert's truststore_nss.go).
 */
export function firefoxProfileRoots(env: NodeJS.ProcessEnv): string[] {
  const home = homeDir(env);
  const roots = [
    join(home, '.mozilla', 'firefox'),
    join(configHome(env), 'mozilla', 'firefox'),
    join(home, '.config', 'mozilla', 'firefox'),
    join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
  ];
  return [...new Set(roots)];
}
