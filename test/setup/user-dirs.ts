/**
 * The real user's and the machine's richie-dev files, which no test may change (BRIEF, issue
 * 19 item 9): what vitest's global setup snapshots before the run and compares after it, and
 * what each test file compares around itself (test/setup/isolate.ts).
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';

/** The variables that decide where richie-dev (and NSS, browsers) read and write a user's files. */
export const USER_DIR_KEYS = ['HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'CAROOT'] as const;
export type UserDirKey = (typeof USER_DIR_KEYS)[number];

/** What the run started with: the values of USER_DIR_KEYS and the paths watched. */
export interface RealUserDirs {
  env: Partial<Record<UserDirKey, string>>;
  /** The real home from the password database (what Node's homedir() falls back to without HOME). */
  passwdHome: string;
  /** Every path the tests must leave as they found it: whole trees, or a dir's matching entries. */
  watched: { path: string; only?: string }[];
}

export function realUserDirs(env: NodeJS.ProcessEnv = process.env): RealUserDirs {
  const values: Partial<Record<UserDirKey, string>> = {};
  for (const key of USER_DIR_KEYS) if (env[key]) values[key] = env[key];
  const passwdHome = userInfo().homedir;
  const homes = [...new Set([values.HOME, passwdHome].filter((h): h is string => Boolean(h)))];
  const trees = homes.flatMap((home) => [
    join(home, '.local', 'share', 'richie-dev'), // the CA root by default, and created-cas
    join(home, '.config', 'richie-dev'),
    join(home, '.cache', 'richie-dev'),
    join(home, '.pki', 'nssdb'), // Chromium's NSS database, old path
    join(home, '.local', 'share', 'pki', 'nssdb'), // and new (Chromium 146+)
  ]);
  if (values.XDG_DATA_HOME) trees.push(join(values.XDG_DATA_HOME, 'richie-dev'), join(values.XDG_DATA_HOME, 'pki', 'nssdb'));
  if (values.XDG_CONFIG_HOME) trees.push(join(values.XDG_CONFIG_HOME, 'richie-dev'));
  if (values.XDG_CACHE_HOME) trees.push(join(values.XDG_CACHE_HOME, 'richie-dev'));
  if (values.CAROOT) trees.push(values.CAROOT);
  return {
    env: values,
    passwdHome,
    watched: [
      ...[...new Set(trees.map((t) => resolve(t)))].map((path) => ({ path })),
      // The machine: the hosts file, richie-dev's backup, lock and temp files beside it, and
      // richie-dev anchors in every system store layout (src/trust/linux.ts).
      { path: '/etc/hosts' },
      { path: '/etc', only: 'richie-dev' },
      ...['/usr/local/share/ca-certificates', '/etc/pki/ca-trust/source/anchors', '/etc/ca-certificates/trust-source/anchors', '/usr/share/pki/trust/anchors'].map((path) => ({ path, only: 'richie-dev' })),
    ],
  };
}

/** Path → "file <sha256> <mode>", "dir <mode>", "link <target>"; a missing path has no entry. */
export type Snapshot = Record<string, string>;

export function snapshot(watched: RealUserDirs['watched']): Snapshot {
  const out: Snapshot = {};
  const visit = (path: string, recurse: boolean) => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[path] = `link ${readlinkSync(path)}`;
    else if (st.isFile()) out[path] = `file ${hashFile(path)} ${mode}`;
    else if (st.isDirectory()) {
      out[path] = `dir ${mode}`;
      if (recurse) for (const name of safeReaddir(path)) visit(join(path, name), true);
    } else out[path] = `other ${mode}`;
  };
  for (const { path, only } of watched) {
    if (only === undefined) visit(path, true);
    else for (const name of safeReaddir(path)) if (name.includes(only)) visit(join(path, name), true);
  }
  return out;
}

function hashFile(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (error) {
    return `unreadable (${(error as NodeJS.ErrnoException).code})`;
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

/** Human lines for what changed between two snapshots, empty when nothing did. */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const lines: string[] = [];
  for (const path of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (before[path] === after[path]) continue;
    if (before[path] === undefined) lines.push(`created ${path} (${after[path]})`);
    else if (after[path] === undefined) lines.push(`removed ${path}`);
    else lines.push(`changed ${path} (${before[path]} → ${after[path]})`);
  }
  return lines;
}
