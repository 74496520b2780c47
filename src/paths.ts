/**
 * Every path richie-dev reads or writes, with its environment overrides, in one module.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';
import { variable, type Inputs } from './inputs.js';

/** The one git-ignored folder of generated files in a project. */
export const STATE_DIR_NAME = '.richie-dev';
export const CONFIG_FILE_NAME = 'richie-dev.config.json';

export interface ProjectPaths {
  projectDir: string;
  configFile: string;
  stateDir: string;
  sslDir: string;
  nginxDir: string;
  envDir: string;
  stateFile: string;
}

export function projectPaths(projectDir: string): ProjectPaths {
  const dir = resolve(projectDir);
  const stateDir = join(dir, STATE_DIR_NAME);
  return {
    projectDir: dir,
    configFile: join(dir, CONFIG_FILE_NAME),
    stateDir,
    sslDir: join(stateDir, 'ssl'),
    nginxDir: join(stateDir, 'nginx'),
    envDir: join(stateDir, 'env'),
    stateFile: join(stateDir, 'state.json'),
  };
}

/** Leaf certificate and key for one host: Richie's own `bin/setup-ssl` names, so user files drop in. */
export function hostCertPaths(paths: ProjectPaths, host: string): { cert: string; key: string } {
  return { cert: join(paths.sslDir, `${host}.pem`), key: join(paths.sslDir, `${host}.key`) };
}

export interface CaRootSource {
  dir: string;
  /** Where the choice came from, for messages. */
  from: 'flag' | 'CAROOT' | 'user-config' | 'default';
}

/** The user's own richie-dev settings: `${XDG_CONFIG_HOME:-~/.config}/richie-dev/config.json`. */
export function userConfigFile(env: NodeJS.ProcessEnv = process.env, inputs?: Inputs): string {
  return join(variable(env, 'XDG_CONFIG_HOME', inputs) || join(homeDir(env, inputs), '.config'), 'richie-dev', 'config.json');
}

/** richie-dev's data dir: the default CA root, and the record of the CAs it created. */
export function dataDir(env: NodeJS.ProcessEnv = process.env, inputs?: Inputs): string {
  return join(variable(env, 'XDG_DATA_HOME', inputs) || join(homeDir(env, inputs), '.local', 'share'), 'richie-dev');
}

/** What richie-dev remembers to go faster and can always compute again: `${XDG_CACHE_HOME:-~/.cache}/richie-dev`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homeDir(env), '.cache'), 'richie-dev');
}

/** Fingerprints of the CAs richie-dev created for this user, one per line. */
export function createdCasFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'created-cas');
}

/**
 * The CA root comes from the user only: `--ca-root`, else `$CAROOT` (mkcert's order), else the
 * user-level config's `caRoot`, else the XDG data dir. Never from the project: a cloned
 * repository must not choose which CA its user trusts (config-schema.ts refuses the key).
 * `inputs` (the up record's) is told each variable and file the choice read.
 */
export function caRoot(options: { flag?: string | undefined; inputs?: Inputs | undefined }, env: NodeJS.ProcessEnv = process.env): CaRootSource {
  if (options.flag) return { dir: resolve(options.flag), from: 'flag' };
  const fromEnv = variable(env, 'CAROOT', options.inputs);
  if (fromEnv) return { dir: resolve(fromEnv), from: 'CAROOT' };
  const fromUser = userConfigCaRoot(env, options.inputs);
  if (fromUser) return { dir: fromUser, from: 'user-config' };
  return { dir: dataDir(env, options.inputs), from: 'default' };
}

function userConfigCaRoot(env: NodeJS.ProcessEnv, inputs: Inputs | undefined): string | undefined {
  const file = userConfigFile(env, inputs);
  inputs?.file(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { fix: `Check ${file}, or remove it.` });
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { caRoot?: unknown } | null)?.caRoot;
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, { fix: `Fix the JSON in ${file}, e.g. {"caRoot": "~/.local/share/richie-dev"}.` });
  }
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new UserError(`${file}: caRoot must be a directory path, got ${JSON.stringify(value)}.`, { fix: `Set "caRoot" in ${file} to a directory, e.g. "~/.local/share/richie-dev".` });
  }
  return resolve(dirname(file), expandHome(value, env, inputs));
}

export function caFiles(dir: string): { cert: string; key: string } {
  // mkcert's own file names, so `CAROOT=<dir> mkcert ...` works on our CA and vice versa.
  return { cert: join(dir, 'rootCA.pem'), key: join(dir, 'rootCA-key.pem') };
}

export function hostsFilePath(
  options: { flag?: string | undefined; inputs?: Inputs | undefined },
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (options.flag) return resolve(options.flag);
  const fromEnv = variable(env, 'RICHIE_DEV_HOSTS_FILE', options.inputs);
  if (fromEnv) return resolve(fromEnv);
  if (platform === 'win32') return `${variable(env, 'SystemRoot', options.inputs) ?? 'C:\\Windows'}\\System32\\drivers\\etc\\hosts`;
  return '/etc/hosts';
}

export function homeDir(env: NodeJS.ProcessEnv = process.env, inputs?: Inputs): string {
  return variable(env, 'HOME', inputs) || homedir();
}

function expandHome(path: string, env: NodeJS.ProcessEnv, inputs?: Inputs): string {
  return path === '~' || path.startsWith('~/') ? join(homeDir(env, inputs), path.slice(1)) : path;
}
