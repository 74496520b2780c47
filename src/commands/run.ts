/**
 * `richie-dev run` and `run-ssl`: (setup-ssl + hosts add, for TLS) + render + up, under the
 * project's lock, so concurrent runs (and lms, stop, down) of one project take turns.
 *
 * A re-run on an unchanged, healthy stack answers from the up record (src/stack/record.ts)
 * without loading, rendering or planning; `--json` says which path answered ("path": "record"
 * or "full", and with "full" why the record did not hold). The record's inputs are what the
 * full path's steps say they read, through the InputLog handed down from here (src/inputs.ts),
 * not a list kept here.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProjectConfig } from '../config.js';
import { replayReads } from '../context.js';
import { ExitCode, UserError, isUserError } from '../errors.js';
import { InputLog, type Inputs } from '../inputs.js';
import type { HostsChange } from '../hosts/index.js';
import type { Backend } from '../lms/site.js';
import { caFiles, hostsFilePath } from '../paths.js';
import { checkStateDir, readStateFile, writeStateFile } from '../state-dir.js';
import type { EngineContext } from '../stack/context.js';
import type { ProjectId } from '../stack/project.js';
import { hostsAddresses, interrupted, type Engine } from '../stack/engine.js';
import type { ServiceOutcome, UpOptions } from '../stack/up.js';

export interface RunOptions {
  tls: boolean;
  backend?: Backend | undefined;
  /** --ca-root as given (the context holds the CA root it chose): a fact of the up record. */
  caRoot?: string | undefined;
  hostsFile?: string | undefined;
  /** Domains outside local use the user accepts sending to this machine (--allow-domain; run-ssl's hosts entries). */
  allowDomains?: readonly string[];
  /** The progress of setup-ssl's steps (listr2); the stack's own progress goes to onEvent. */
  progress?: import('../steps.js').ProgressMode;
  stackFile?: string;
  sudoCommand?: string;
  /** Ctrl-C: stops at the next step, removes what this run created, and throws "Interrupted." (exit 130). */
  signal?: AbortSignal;
  onEvent?: UpOptions['onEvent'];
  onImage?: UpOptions['onImage'];
}

export interface RunResult {
  mode: 'http' | 'tls';
  backend: Backend;
  /** The Compose project name the stack runs under (`docker-compose -p <project> ps`). */
  project: string;
  /** Which path answered: the up record, or every step; with "full", why the record did not hold. */
  path: 'record' | 'full';
  recordRefused?: string;
  urls: { catalog: string; lms: string; lmses?: string[] };
  hosts: HostsChange | { skipped: string } | null;
  services: ServiceOutcome[];
  engine: { host: string; remote: boolean; apiVersion: string; writes: number };
  /** Linux, local engine, a container started: how long up waited for the new interfaces' IPv6 DAD (src/stack/settle.ts). */
  settled?: { waitedMs: number; pending: string[] };
  warnings: string[];
}

/**
 * One context for the whole trip (src/context.ts): setup-ssl, hosts, render and the stack are
 * handed the one this command was given, so the config is read once and the CA root worked
 * out once.
 */
export async function run(ctx: EngineContext, options: RunOptions): Promise<RunResult> {
  // A link planted in .richie-dev/ is refused first (src/state-dir.ts): nothing changes anywhere.
  checkStateDir(ctx.paths.stateDir);
  // A project's first run checks its config before the lock makes .richie-dev/: bad input
  // leaves nothing behind. Later runs check it under the lock, after the up record (which
  // answers without loading the schema) and before anything is written.
  if (!(await access(ctx.paths.stateDir).then(() => true, () => false))) {
    await assertHostsAllowed(options, await ctx.config());
  }
  // Refuse what cannot work and reach the engine before changing anything, or waiting.
  const engine = await ctx.engine();
  const { withProjectLock } = await import('../stack/project.js');
  return withProjectLock(ctx.paths.projectDir, () => runLocked(ctx, options, engine));
}

async function runLocked(ctx: EngineContext, options: RunOptions, engine: Engine): Promise<RunResult> {
  const { env } = ctx;
  const [{ identify, recordIdentity }, { checkRecord, saveRecord }] = await Promise.all([import('../stack/project.js'), import('../stack/record.js')]);
  const id = await identify(engine, ctx.paths.projectDir);
  // Left out of the record's inputs: the record itself is kept there.
  const stateFile = ctx.paths.stateFile;
  const mode = options.tls ? 'tls' : 'http';
  const backend: Backend = options.backend ?? (options.tls ? 'real' : 'fake');
  // What this command line means beyond what it reads: the same files under another backend,
  // flag or engine are another run.
  const facts = {
    mode,
    backend,
    project: id.project,
    stackFile: options.stackFile ?? null,
    caRootFlag: options.caRoot ?? null,
    hostsFileFlag: options.hostsFile ?? null,
    allowDomains: [...(options.allowDomains ?? [])].sort(),
    engine: engine.target.host,
    published: engine.target.address,
  };
  const engineInfo = () => ({ host: engine.target.host, remote: engine.target.remote, apiVersion: engine.apiVersion, writes: engine.writes });

  const check = await checkRecord({ id, stateFile, facts, env, engine });
  if (check.record) {
    const r = check.record;
    return {
      mode,
      backend,
      project: id.project,
      path: 'record',
      urls: r.result.urls,
      hosts: null,
      services: r.services.map((s) => ({ name: s.name, action: 'keep', state: s.healthcheck ? 'healthy' : 'running', seconds: 0 })),
      engine: engineInfo(),
      warnings: r.result.warnings,
    };
  }

  // Bad input changes nothing: the config is checked before the project's identity is written.
  await assertHostsAllowed(options, await ctx.config());
  await recordIdentity(id);
  const log = new InputLog(env);
  const result = await fullPath(ctx, options, log, engine, id);
  // What the context read for this command (the config file, the CA root's variables and
  // file) is read by the full path too: the record's inputs.
  replayReads(ctx, log);
  await saveRecord({ id, stateFile, facts, log, engine, services: result.services, healthchecks: result.healthchecks, result: { urls: result.urls, warnings: result.warnings } });
  return { mode, backend, project: id.project, path: 'full', recordRefused: check.refused, urls: result.urls, hosts: result.hosts, services: result.services, engine: engineInfo(), ...(result.settled ? { settled: result.settled } : {}), warnings: result.warnings };
}

/**
 * run-ssl adds hosts entries: names outside the domains reserved for local use are refused
 * before anything changes unless --allow-domain names them (src/hosts/index.ts says why).
 */
async function assertHostsAllowed(options: RunOptions, config: ProjectConfig): Promise<void> {
  // Keycloak is served over TLS only: `run` (HTTP) with it is refused here, before anything is written.
  (await import('../auth/keycloak.js')).keycloakModel(config, { tls: options.tls });
  if (!options.tls) return;
  const [{ configuredHosts }, { assertHostsAccepted }] = await Promise.all([import('../config.js'), import('../hosts/index.js')]);
  assertHostsAccepted({ hosts: configuredHosts(config), allowDomains: options.allowDomains ?? [], rerun: 'richie-dev run-ssl' });
}

/** Every step, each redoing only what changed. */
async function fullPath(ctx: EngineContext, options: RunOptions, inputs: Inputs, engine: Engine, id: ProjectId) {
  const { env } = ctx;
  const warnings: string[] = [];
  const backend: Backend = options.backend ?? (options.tls ? 'real' : 'fake');
  const stopped = () => {
    if (options.signal?.aborted) throw interrupted();
  };
  // The built-in images' check reads this machine's runtime: begun now, it overlaps setup-ssl and render.
  void import('../stack/images.js').then((m) => m.warmHostRuntime(engine, env));
  if (hostsAddresses(engine.target)) {
    warnings.push(`The Docker engine is ${engine.target.remote ? 'remote' : 'reached'} at ${engine.target.host}: the ports are published on ${engine.target.address}, and the hosts entries point there.`);
  }

  let hosts: RunResult['hosts'] = null;
  if (options.tls) {
    // Bad input changes nothing: check the hosts file is there before creating certificates.
    const hostsFile = hostsFilePath({ flag: options.hostsFile, inputs }, env);
    inputs.file(hostsFile);
    await access(hostsFile).catch(() => {
      throw new UserError(`The hosts file ${hostsFile} does not exist.`, { fix: 'Check --hosts-file or RICHIE_DEV_HOSTS_FILE.' });
    });
    // Loaded only for TLS: certificates, trust stores and the hosts file are not needed over HTTP.
    const [{ run: setupSsl }, { add: hostsAdd }] = await Promise.all([import('./setup-ssl.js'), import('./hosts.js')]);
    const ssl = await setupSsl(ctx, { progress: options.progress ?? 'silent', trust: 'report', render: false });
    warnings.push(...ssl.warnings);
    // The CA and the certificates setup-ssl checked (the CA root's variables: stageCa below).
    const checked = [...(ssl.ca ? Object.values(caFiles(ssl.ca.dir)) : []), ...ssl.certificate.files.flatMap((f) => [f.cert, f.key])];
    for (const path of checked) inputs.file(path);
    const untrusted = ssl.trust.filter((t) => t.after === 'not-trusted').map((t) => t.label);
    if (untrusted.length) warnings.push(`The CA is not trusted yet in ${untrusted.join(', ')}: run "richie-dev trust install".`);
    stopped();
    try {
      hosts = await hostsAdd(ctx, {
        hostsFile: options.hostsFile,
        sudoCommand: options.sudoCommand ?? 'sudo richie-dev hosts add',
        allowDomains: options.allowDomains ?? [],
        rerun: 'richie-dev run-ssl',
        addresses: hostsAddresses(engine.target),
      });
      for (const conflict of hosts.conflicts.filter((c) => c.shadows)) {
        warnings.push(`${hostsFile} line ${conflict.line} maps ${conflict.host} to ${conflict.address} before richie-dev's entries.`);
      }
    } catch (error) {
      if (!isUserError(error) || error.exitCode !== ExitCode.permission) throw error;
      hosts = { skipped: error.message };
      warnings.push(`Hosts entries not added (no permission): run "${options.sudoCommand ?? 'sudo richie-dev hosts add'}", or add them by hand ("richie-dev hosts add --print").`);
    }
  }
  stopped();

  const [{ run: render }, { stackContext }, { up }, { probeOf }] = await Promise.all([import('./render.js'), import('../stack/context.js'), import('../stack/up.js'), import('../stack/stack.js')]);
  const rendered = await render(ctx, { tls: options.tls, backend, inputs });
  warnings.push(...rendered.warnings);
  stopped();
  // The stack from here: the context's config, paths and engine, the stack read, the project's identity.
  const stack = await stackContext(ctx, { id, inputs, ...(options.stackFile ? { stackFile: options.stackFile } : {}) });
  warnings.push(...stack.stack.warnings);
  await stageCa(ctx, inputs);
  let settled: RunResult['settled'];
  const services = await up(stack, {
    onSettled: (s) => (settled = s),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.onImage ? { onImage: options.onImage } : {}),
  });
  const healthchecks = Object.fromEntries(stack.stack.services.map((s) => {
    const probe = probeOf(s);
    return [s.name, probe ? { test: probe.test, timeoutNs: probe.timeoutMs * 1e6 } : null];
  }));
  return { urls: rendered.urls, hosts, services, warnings, healthchecks, settled };
}

/**
 * The apps trust the project's CA through a copy in .richie-dev/ssl (mounted read-only),
 * written through src/state-dir.ts: 0600 (the containers read it as root) and never through
 * a link planted there.
 */
async function stageCa(ctx: EngineContext, inputs?: Inputs): Promise<string> {
  const { paths } = ctx;
  const target = join(paths.sslDir, 'ca.pem');
  // Only the one certificate readCa parsed and checked (src/certs/ca.ts), never the file as it
  // is: rootCA.pem holding a second certificate would have the apps trust it too. Over HTTP a CA
  // root that does not read as a CA leaves the apps trusting nothing extra.
  const root = ctx.caRoot().dir;
  const caCert = caFiles(root).cert;
  inputs?.file(caCert);
  inputs?.file(target);
  const { readCa } = await import('../certs/ca.js');
  const caPem = (await readCa(root).catch(() => undefined))?.certPem;
  const current = readStateFile(paths.stateDir, target);
  // Over HTTP there may be no CA at all: the apps then trust nothing extra.
  if (caPem !== undefined || current === undefined) writeStateFile(paths.stateDir, target, caPem ?? '', { current });
  return caCert;
}
