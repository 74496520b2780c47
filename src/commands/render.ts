/**
 * `richie-dev render [--ssl] [--lms fake|real]`: write every generated file, say what changed.
 */
import { join } from 'node:path';
import { realmSettings, type RealmSettings } from '../auth/keycloak.js';
import { loadConfig } from '../config.js';
import type { Inputs } from '../inputs.js';
import { saveSecret } from '../lms/secret.js';
import type { Backend } from '../lms/site.js';
import { planRender, renderAll, richieSettingsFile, type RenderOptions } from '../render/index.js';
import type { RenderedFile } from '../render/files.js';
import { projectPaths } from '../paths.js';
import { mergeState } from '../state.js';
import { checkStateDir } from '../state-dir.js';

export interface RenderCommandOptions {
  projectDir: string;
  tls: boolean;
  /** Defaults: fake over HTTP, real over TLS (as `run` and `run-ssl`). */
  backend?: Backend | undefined;
  upstreams?: RenderOptions['upstreams'];
  certDir?: string;
  /** The up record's (run): told the config, the templates, the secret and every file written. */
  inputs?: Inputs;
}

export interface RenderCommandResult {
  mode: 'http' | 'tls';
  backend: Backend;
  /** `lms`: the first LMS; `lmses`: every LMS, in priority order, when there are several. */
  urls: { catalog: string; lms: string; lmses?: string[] };
  files: RenderedFile[];
  warnings: string[];
  /** With `authentication`: the realm and client a real Keycloak needs (the stand-in has them). */
  keycloak?: RealmSettings;
}

export async function run(options: RenderCommandOptions): Promise<RenderCommandResult> {
  const { config } = await loadConfig(options.projectDir, options.inputs);
  checkStateDir(projectPaths(options.projectDir).stateDir);
  const backend = options.backend ?? (options.tls ? 'real' : 'fake');
  const result = await renderAll({
    config,
    projectDir: options.projectDir,
    tls: options.tls,
    backend,
    ...(options.upstreams ? { upstreams: options.upstreams } : {}),
    ...(options.certDir ? { certDir: options.certDir } : {}),
    inputs: options.inputs,
  });
  const mode = options.tls ? 'tls' : 'http';
  await mergeState(options.projectDir, { mode, lms: backend });
  if (options.inputs) {
    // The files written are inputs too: one edited by hand is rendered again.
    for (const path of [...result.read.files, ...result.files.map((f) => f.path)]) options.inputs.file(path);
    for (const path of result.read.dirs) options.inputs.dir(path);
  }
  return { mode, backend, urls: { catalog: result.model.catalog.origin, lms: result.model.lms.origin, ...(result.models.length > 1 ? { lmses: result.models.map((m) => m.lms.origin) } : {}) }, files: result.files, warnings: result.warnings, ...(result.keycloak ? { keycloak: realmSettings(result.keycloak) } : {}) };
}

export type App = 'catalog' | 'lms';

export interface PrintResult {
  app: App;
  mode: 'http' | 'tls';
  backend: Backend;
  /** What the app loads: its env file (one per LMS), and for the catalog the Python settings snippet. */
  files: { path: string; content: string }[];
}

/**
 * `render --print <app>`: the files one app loads, for an app of the user's own (a Richie
 * checkout, an OpenEdX) — checked as render checks them, nothing written but a new sync secret,
 * which must stay the one both sides share.
 */
export async function print(options: RenderCommandOptions & { app: App }): Promise<PrintResult> {
  const { config } = await loadConfig(options.projectDir);
  checkStateDir(projectPaths(options.projectDir).stateDir);
  const backend = options.backend ?? (options.tls ? 'real' : 'fake');
  const plan = await planRender({ config, projectDir: options.projectDir, tls: options.tls, backend });
  // saveSecret writes .richie-dev/.gitignore first (src/state-dir.ts): git never stages it.
  if (plan.newSecret) await saveSecret(options.projectDir, plan.newSecret);
  const envDir = projectPaths(options.projectDir).envDir;
  const wanted = options.app === 'catalog' ? [join(envDir, 'catalog.env'), richieSettingsFile(options.projectDir)] : plan.models.map((m) => join(envDir, `${m.stem}.env`));
  const files = wanted.map((path) => ({ path, content: plan.outputs.find(([p]) => p === path)![1] }));
  return { app: options.app, mode: options.tls ? 'tls' : 'http', backend, files };
}
