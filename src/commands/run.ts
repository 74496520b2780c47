/**
 * `richie-dev run` and `run-ssl`: (setup-ssl + hosts add, for TLS) + render + up. A re-run on
 * an unchanged, healthy stack stops at the up record (src/stack/record.ts); otherwise every
 * step runs, each redoing only what changed.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProjectConfig } from '../config.js';
import { ExitCode, UserError, isUserError } from '../errors.js';
import { readIfExists } from '../fsutil.js';
import type { HostsChange } from '../hosts/index.js';
import type { Backend } from '../lms/site.js';
import { caFiles, caRoot, hostsFilePath, projectPaths, type ProjectPaths } from '../paths.js';
import { TEMPLATES_DIR } from '../render/engine.js';
import type { ProgressMode } from '../steps.js';
import { Engine } from '../stack/engine.js';
import { projectName } from '../stack/project.js';
import { currentRecord, saveRecord } from '../stack/record.js';
import type { ServiceOutcome } from '../stack/up.js';

const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

export interface RunOptions {
  projectDir: string;
  tls: boolean;
  backend?: Backend | undefined;
  caRoot?: string | undefined;
  hostsFile?: string | undefined;
  progress?: ProgressMode;
  env?: NodeJS.ProcessEnv;
  stackFile?: string;
  sudoCommand?: string;
}

export interface RunResult {
  mode: 'http' | 'tls';
  backend: Backend;
  urls: { catalog: string; lms: string };
  hosts: HostsChange | { skipped: string } | null;
  services: ServiceOutcome[];
  engine: { host: string; remote: boolean; writes: number };
  warnings: string[];
}

export async function run(options: RunOptions): Promise<RunResult> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? 'silent';
  const paths = projectPaths(options.projectDir);
  const warnings: string[] = [];
  const backend: Backend = options.backend ?? (options.tls ? 'real' : 'fake');
  // Refuse what cannot work (real over HTTP, ...) and reach the engine before changing anything.
  const engine = await Engine.connect(env);
  if (engine.target.remote) {
    warnings.push(`The Docker engine is remote (${engine.target.host}): the ports are published on ${engine.target.address}, and the hosts entries point there.`);
  }

  let hosts: RunResult['hosts'] = null;
  if (options.tls) {
    // Bad input changes nothing: check the hosts file is there before creating certificates.
    await access(hostsFilePath({ flag: options.hostsFile }, env)).catch(() => {
      throw new UserError(`The hosts file ${hostsFilePath({ flag: options.hostsFile }, env)} does not exist.`, { fix: 'Check --hosts-file or RICHIE_DEV_HOSTS_FILE.' });
    });
    // Loaded only for TLS: certificates, trust stores and the hosts file are not needed over HTTP.
    const [{ run: setupSsl }, { add: hostsAdd }] = await Promise.all([import('./setup-ssl.js'), import('./hosts.js')]);
    const ssl = await setupSsl({ projectDir: options.projectDir, caRoot: options.caRoot, progress, env, trust: 'report', render: false });
    warnings.push(...ssl.warnings);
    const untrusted = ssl.trust.filter((t) => t.after === 'not-trusted').map((t) => t.label);
    if (untrusted.length) warnings.push(`The CA is not trusted yet in ${untrusted.join(', ')}: run "richie-dev trust install".`);
    try {
      hosts = await hostsAdd({
        projectDir: options.projectDir,
        hostsFile: options.hostsFile,
        env,
        sudoCommand: options.sudoCommand ?? 'sudo richie-dev hosts add',
        ...(engine.target.remote ? { addresses: [engine.target.address] } : {}),
      });
      for (const conflict of hosts.conflicts.filter((c) => c.shadows)) {
        warnings.push(`${hostsFilePath({ flag: options.hostsFile }, env)} line ${conflict.line} maps ${conflict.host} to ${conflict.address} before richie-dev's entries.`);
      }
    } catch (error) {
      if (!isUserError(error) || error.exitCode !== ExitCode.permission) throw error;
      hosts = { skipped: error.message };
      warnings.push(`Hosts entries not added (no permission): run "${options.sudoCommand ?? 'sudo richie-dev hosts add'}", or add them by hand ("richie-dev hosts add --print").`);
    }
  }
  const mode = options.tls ? 'tls' : 'http';
  const project = projectName(paths.projectDir);
  const result = (urls: RunResult['urls'], services: ServiceOutcome[]): RunResult => ({
    mode,
    backend,
    urls,
    hosts,
    services,
    engine: { host: engine.target.host, remote: engine.target.remote, writes: engine.writes },
    warnings,
  });

  // What this command line means beyond the files it reads: the same files under another
  // backend, CA root or engine are another run.
  const facts = { mode, backend, projectDir: paths.projectDir, stackFile: options.stackFile, caRootFlag: options.caRoot, CAROOT: env.CAROOT, XDG_DATA_HOME: env.XDG_DATA_HOME, HOME: env.HOME, engine: engine.target.host };
  const record = await currentRecord({ projectDir: paths.projectDir, facts, engine, project });
  if (record) {
    warnings.push(...record.result.warnings);
    return result(
      record.result.urls,
      record.services.map((s) => ({ name: s.name, action: 'keep', state: s.healthcheck ? 'healthy' : 'running', seconds: 0 })),
    );
  }

  // The full path: loaded here, so the re-run above never pays for them.
  const [{ loadConfig }, { run: render }, { stackFilePath, stackVars }, { readStack }, { up }] = await Promise.all([
    import('../config.js'),
    import('./render.js'),
    import('../stack/context.js'),
    import('../stack/compose.js'),
    import('../stack/up.js'),
  ]);
  const { config } = await loadConfig(options.projectDir);
  const rendered = await render({ projectDir: options.projectDir, tls: options.tls, backend });
  const renderWarnings = rendered.warnings;
  warnings.push(...renderWarnings);
  const caCert = await stageCa(paths, config, options, env);

  const stack = await readStack(options.stackFile ?? stackFilePath(paths, config), stackVars(paths, config));
  const services = await up({ engine, stack, project, projectDir: paths.projectDir }, progress);
  const [{ secretsFile }, { BUILT_IN }] = await Promise.all([import('../lms/secret.js'), import('../stack/images.js')]);
  await saveRecord({
    projectDir: paths.projectDir,
    facts,
    engine,
    project,
    // Everything the run read: config, stack file, templates, generated files, the CA, and
    // every env file and bind mount of every service.
    paths: [
      paths.configFile,
      stack.file,
      PACKAGE_JSON,
      join(TEMPLATES_DIR, 'nginx'),
      ...Object.values(BUILT_IN).map((name) => join(TEMPLATES_DIR, 'images', name)),
      paths.envDir,
      paths.nginxDir,
      paths.sslDir,
      secretsFile(paths.projectDir),
      caCert,
      ...stack.services.flatMap((s) => [...s.envFiles, ...s.volumes.filter((v) => v.type === 'bind').map((v) => v.source)]),
    ],
    // The runtimes the built-in images are made of.
    stamps: [process.execPath, '/usr/sbin/nginx'],
    services: stack.services.map((s) => ({ name: s.name, healthcheck: s.healthcheck?.test ?? null })),
    result: { urls: rendered.urls, warnings: renderWarnings },
  });
  return result(rendered.urls, services);
}

/** The apps trust the project's CA through a copy in .richie-dev/ssl (mounted read-only). */
async function stageCa(paths: ProjectPaths, config: ProjectConfig, options: RunOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const target = join(paths.sslDir, 'ca.pem');
  await mkdir(paths.sslDir, { recursive: true });
  // Only the public certificate: setup-ssl has already checked the CA (run-ssl), and over HTTP
  // a CA that is there is worth trusting all the same.
  const caCert = caFiles(caRoot({ flag: options.caRoot }, env).dir).cert;
  const caPem = await readIfExists(caCert).catch(() => undefined);
  if (caPem !== undefined) {
    if ((await readIfExists(target)) !== caPem) await writeFile(target, caPem);
  } else if ((await readIfExists(target)) === undefined) {
    // Over HTTP there may be no CA at all: the apps then trust nothing extra.
    await writeFile(target, '');
  }
  return caCert;
}
