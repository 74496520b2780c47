/**
 * `richie-dev run` and `run-ssl`: (setup-ssl + hosts add, for TLS) + render + up. Up creates
 * networks, images and containers with a config hash, recreating only what changed, starts
 * them in dependency order and waits until each is healthy, with a line per service.
 */
import { access, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readCa } from '../certs/ca.js';
import { loadConfig, type ProjectConfig } from '../config.js';
import { ExitCode, UserError, isUserError } from '../errors.js';
import { readIfExists } from '../fsutil.js';
import type { HostsChange } from '../hosts/index.js';
import type { Backend } from '../lms/site.js';
import { caRoot, hostsFilePath, projectPaths, type ProjectPaths } from '../paths.js';
import { listrOptions, type ProgressMode } from '../steps.js';
import { readStack } from '../stack/compose.js';
import { Engine } from '../stack/engine.js';
import { projectLabels, projectName } from '../stack/project.js';
import { apply, checkPorts, ensureImages, ensureNetworksAndVolumes, plan, rollback, waitHealthy, type StackContext } from '../stack/stack.js';
import { run as render } from './render.js';
import { run as setupSsl } from './setup-ssl.js';
import { add as hostsAdd } from './hosts.js';

export const STACK_FILE = fileURLToPath(new URL('../../docker-compose.richie.yml', import.meta.url));

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
  services: { name: string; action: string; state: string; seconds: number }[];
  engine: { host: string; remote: boolean; writes: number };
  warnings: string[];
}

/** The variables docker-compose.richie.yml reads, from the project and its config. */
export function stackVars(paths: ProjectPaths, config: ProjectConfig): Record<string, string> {
  return {
    RICHIE_DEV_STATE_DIR: paths.stateDir,
    RICHIE_DEV_CATALOG_IMAGE: config.images.catalog,
    RICHIE_DEV_LMS_IMAGE: config.images.lms,
    RICHIE_DEV_NGINX_IMAGE: config.images.nginx,
    RICHIE_DEV_CATALOG_PORT: String(config.catalog.port),
    RICHIE_DEV_LMS_PORT: String(config.lms.port),
    RICHIE_DEV_CATALOG_HOST: config.catalog.host,
    RICHIE_DEV_LMS_HOST: config.lms.host,
  };
}

export async function stackContext(options: { projectDir: string; env?: NodeJS.ProcessEnv; stackFile?: string }): Promise<StackContext & { config: ProjectConfig }> {
  const { config } = await loadConfig(options.projectDir);
  const paths = projectPaths(options.projectDir);
  const engine = await Engine.connect(options.env ?? process.env);
  const stack = await readStack(options.stackFile ?? STACK_FILE, stackVars(paths, config));
  return { engine, stack, project: projectName(paths.projectDir), projectDir: paths.projectDir, config };
}

export async function run(options: RunOptions): Promise<RunResult> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? 'silent';
  const { config } = await loadConfig(options.projectDir);
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
    const ssl = await setupSsl({ projectDir: options.projectDir, caRoot: options.caRoot, progress, env, trust: 'report' });
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
  const rendered = await render({ projectDir: options.projectDir, tls: options.tls, backend });
  warnings.push(...rendered.warnings);
  await stageCa(paths, config, options, env);

  const stack = await readStack(options.stackFile ?? STACK_FILE, stackVars(paths, config));
  const ctx: StackContext = { engine, stack, project: projectName(paths.projectDir), projectDir: paths.projectDir };
  const services = await up(ctx, progress);
  return {
    mode: options.tls ? 'tls' : 'http',
    backend,
    urls: rendered.urls,
    hosts,
    services,
    engine: { host: engine.target.host, remote: engine.target.remote, writes: engine.writes },
    warnings,
  };
}

/** The apps trust the project's CA through a copy in .richie-dev/ssl (mounted read-only). */
async function stageCa(paths: ProjectPaths, config: ProjectConfig, options: RunOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const target = join(paths.sslDir, 'ca.pem');
  await mkdir(paths.sslDir, { recursive: true });
  const ca = await readCa(caRoot({ flag: options.caRoot, configValue: config.caRoot, projectDir: paths.projectDir }, env).dir).catch(() => undefined);
  if (ca) {
    if ((await readIfExists(target)) !== ca.certPem) await copyFile(ca.certFile, target);
  } else if ((await readIfExists(target)) === undefined) {
    // Over HTTP there may be no CA at all: the apps then trust nothing extra.
    await writeFile(target, '');
  }
}

/** Bring the stack up: a re-run on a healthy stack makes no engine writes. */
export async function up(ctx: StackContext, progress: ProgressMode): Promise<RunResult['services']> {
  const { Listr } = await import('listr2');
  const images = new Listr([{ title: 'Images', task: async (_: unknown, task: { output: string }) => void (await ensureImages(ctx, (service, text) => (task.output = `${service}: ${text}`))) }], (await listrOptions(progress)) as never);
  await images.run();

  const plans = await plan(ctx);
  await checkPorts(ctx, plans);
  const createdNetworks = (await ensureNetworksAndVolumes(ctx)).created;
  const ready = new Map<string, { resolve: () => void; reject: (e: unknown) => void; promise: Promise<void> }>();
  for (const p of plans) {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined);
    ready.set(p.service.name, { resolve, reject, promise });
  }

  // Ctrl-C: let in-flight engine calls settle, then remove every container this run made
  // (all of the project's that were not there before) and the networks it created.
  let interrupted = false;
  const preexisting = new Set(plans.flatMap((p) => (p.existing ? [p.existing.id] : [])));
  const inflight = new Set<Promise<unknown>>();
  const onSigint = () => {
    interrupted = true;
    void (async () => {
      await Promise.allSettled([...inflight]);
      const now = await ctx.engine.containers(projectLabels(ctx.project)).catch(() => []);
      await rollback(ctx, now.filter((c) => !preexisting.has(c.id)).map((c) => c.id), createdNetworks);
    })().finally(() => process.exit(ExitCode.interrupted));
  };
  process.once('SIGINT', onSigint);
  const results: RunResult['services'] = [];
  try {
    const list = new Listr(
      plans.map((p) => ({
        title: `${p.service.name}: waiting`,
        task: async (_: unknown, task: { title: string }) => {
          const started = Date.now();
          const show = (state: string) => (task.title = `${p.service.name}: ${state} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          try {
            for (const dep of p.service.dependsOn) await ready.get(dep.service)!.promise;
            if (interrupted) return;
            show(p.action === 'keep' ? 'running, unchanged' : `${p.action === 'recreate' ? 'recreating' : p.action === 'create' ? 'creating' : 'starting'}`);
            const operation = apply(ctx, p);
            inflight.add(operation);
            const id = await operation.finally(() => inflight.delete(operation));
            if (interrupted) return;
            const state = await waitHealthy(ctx, p.service, id, { onState: show });
            results.push({ name: p.service.name, action: p.action, state, seconds: (Date.now() - started) / 1000 });
            ready.get(p.service.name)!.resolve();
          } catch (error) {
            ready.get(p.service.name)!.reject(error);
            throw error;
          }
        },
      })),
      { concurrent: true, ...((await listrOptions(progress)) as object) } as never,
    );
    await list.run();
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (interrupted) throw new UserError('Interrupted.', { exitCode: ExitCode.interrupted });
  const order = plans.map((p) => p.service.name);
  return results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}
