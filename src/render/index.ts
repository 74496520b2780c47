/**
 * From one validated config to every file the stack needs: nginx servers for both sites and
 * both apps' env files, for HTTP or TLS and the fake or real backend.
 */
import { join } from 'node:path';
import type { ProjectConfig } from '../config.js';
import { catalogEnv, lmsEnv, richieSettings } from '../lms/env.js';
import { courseRunSyncSecret, saveSecret } from '../lms/secret.js';
import { siteModel, type Backend, type SiteModel } from '../lms/site.js';
import { projectPaths } from '../paths.js';
import { loadTemplates } from './engine.js';
import { GENERATED_MARKER, envFile, writeGenerated, type RenderedFile } from './files.js';
import { nginxUpstream, upstreamWarning } from './upstream.js';

export interface RenderOptions {
  config: ProjectConfig;
  projectDir: string;
  tls: boolean;
  backend: Backend;
  /**
   * Where nginx reaches the apps ("host:port"): loopback in tests. Otherwise each site's
   * `upstream` from the config, else its container in the stack (STACK_UPSTREAMS).
   */
  upstreams?: { catalog: string; lms: string };
  /** Where nginx finds `<host>.pem` and `.key`: the mounted .richie-dev/ssl in the stack. */
  certDir?: string;
}

export interface RenderResult {
  files: RenderedFile[];
  model: SiteModel;
  warnings: string[];
}

/** The stack's defaults: app containers on port 8000, certificates mounted at /etc/nginx/ssl. */
export const STACK_UPSTREAMS = { catalog: 'catalog:8000', lms: 'lms:8000' };
export const STACK_CERT_DIR = '/etc/nginx/ssl';

/** Every file's content, with every check done and nothing written yet. */
export interface RenderPlan {
  projectDir: string;
  model: SiteModel;
  outputs: [path: string, content: string][];
  /** A sync secret made for this render, saved with its files. */
  newSecret?: string;
}

/** The Python settings snippet for a Richie checkout: `.richie-dev/richie/lms_backends.py`. */
export function richieSettingsFile(projectDir: string): string {
  return join(projectPaths(projectDir).stateDir, 'richie', 'lms_backends.py');
}

/** Every check and every file's content, nothing written: bad input changes nothing. */
export async function planRender(options: RenderOptions): Promise<RenderPlan> {
  const paths = projectPaths(options.projectDir);
  const { secret, isNew } = await courseRunSyncSecret(options.projectDir);
  const model = await siteModel(options.config, { tls: options.tls, backend: options.backend, secret });
  const templates = await loadTemplates('nginx');
  const site = (name: 'catalog' | 'lms') => {
    const configured = options.config[name].upstream;
    if (options.upstreams || !configured) return { server: (options.upstreams ?? STACK_UPSTREAMS)[name], https: false, sslName: '' };
    const upstream = nginxUpstream(configured);
    const warning = upstreamWarning(`${name}.upstream`, configured, upstream);
    if (warning) model.warnings.push(warning);
    return { server: upstream.server, https: upstream.scheme === 'https', sslName: upstream.host };
  };
  const context = {
    tls: model.tls,
    catalog: model.catalog,
    lms: model.lms,
    upstreams: { catalog: site('catalog'), lms: site('lms') },
    certDir: options.certDir ?? STACK_CERT_DIR,
  };
  const outputs: RenderPlan['outputs'] = [
    [join(paths.nginxDir, 'catalog.conf'), templates['catalog.conf']!({ ...context, certHost: model.catalog.host })],
    [join(paths.nginxDir, 'lms.conf'), templates['lms.conf']!({ ...context, certHost: model.lms.host })],
    [join(paths.envDir, 'catalog.env'), envFile(`catalog (Richie) settings: ${model.tls ? 'TLS' : 'HTTP'}, ${model.backend} LMS backend`, catalogEnv(model))],
    [join(paths.envDir, 'lms.env'), envFile(`LMS (OpenEdX) settings for ${model.release}: ${model.tls ? 'TLS' : 'HTTP'}, ${model.backend} backend`, lmsEnv(model))],
    [richieSettingsFile(options.projectDir), richieSettings(model, GENERATED_MARKER)],
  ];
  return { projectDir: options.projectDir, model, outputs, ...(isNew ? { newSecret: secret } : {}) };
}

export async function writeRender(plan: RenderPlan): Promise<RenderResult> {
  if (plan.newSecret) await saveSecret(plan.projectDir, plan.newSecret);
  // In parallel: each write is a temp file, an fsync and a rename. Env files and the settings
  // snippet carry the sync secret: owner-only.
  const files = await Promise.all(plan.outputs.map(([path, content]) => writeGenerated(path, content, /\.(env|py)$/.test(path) ? 0o600 : 0o644)));
  const warnings = [...plan.model.warnings];
  for (const file of files) {
    if (file.status === 'user-owned') warnings.push(`${file.path} no longer has richie-dev's first line, so it is yours and was not overwritten.`);
  }
  return { files, model: plan.model, warnings };
}

export async function renderAll(options: RenderOptions): Promise<RenderResult> {
  return writeRender(await planRender(options));
}
