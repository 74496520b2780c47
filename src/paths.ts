/**
 * Every path richie-dev reads or writes, with its environment overrides, in one module.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

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
  from: 'flag' | 'CAROOT' | 'config' | 'default';
}

/**
 * mkcert's order: $CAROOT, else the XDG data dir. A `--ca-root` flag beats both; the
 * project config's `caRoot` sits between the environment and the default.
 */
export function caRoot(
  options: { flag?: string | undefined; configValue?: string | undefined; projectDir?: string },
  env: NodeJS.ProcessEnv = process.env,
): CaRootSource {
  if (options.flag) return { dir: resolve(options.flag), from: 'flag' };
  if (env.CAROOT) return { dir: resolve(env.CAROOT), from: 'CAROOT' };
  if (options.configValue) return { dir: resolve(options.projectDir ?? '.', expandHome(options.configValue, env)), from: 'config' };
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return { dir: join(dataHome, 'richie-dev'), from: 'default' };
}

export function caFiles(dir: string): { cert: string; key: string } {
  // mkcert's own file names, so `CAROOT=<dir> mkcert ...` works on our CA and vice versa.
  return { cert: join(dir, 'rootCA.pem'), key: join(dir, 'rootCA-key.pem') };
}

export function hostsFilePath(
  options: { flag?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (options.flag) return resolve(options.flag);
  if (env.RICHIE_DEV_HOSTS_FILE) return resolve(env.RICHIE_DEV_HOSTS_FILE);
  if (platform === 'win32') return `${env.SystemRoot ?? 'C:\\Windows'}\\System32\\drivers\\etc\\hosts`;
  return '/etc/hosts';
}

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || homedir();
}

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path === '~' || path.startsWith('~/') ? join(homeDir(env), path.slice(1)) : path;
}
