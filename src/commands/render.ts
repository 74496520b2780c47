/**
 * `richie-dev render [--ssl] [--lms fake|real]`: write every generated file, say what changed.
 */
import { join } from 'node:path';
import { realmSettings, type RealmSettings } from '../auth/keycloak.js';
import type { CommandContext } from '../context.js';
import type { Inputs } from '../inputs.js';
import { saveSecret } from '../lms/secret.js';
import type { Backend } from '../lms/site.js';
import { planRender, renderAll, richieSettingsFile, type RenderOptions } from '../render/index.js';
import type { RenderedFile } from '../render/files.js';
import { mergeState } from '../state.js';
import { checkStateDir } from '../state-dir.js';

export interface RenderCommandOptions {
  tls: boolean;
  /** Defaults: fake over HTTP, real over TLS (as `run` and `run-ssl`). */
  backend?: Backend | undefined;
  upstreams?: RenderOptions['upstreams'];
  certDir?: string;
  /** The up record's (run): told the templates, the secret and every file written (the config: the context's reads). */
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

export async function run(ctx: CommandContext, options: RenderCommandOptions): Promise<RenderCommandResult> {
  const config = await ctx.config();
  checkStateDir(ctx.paths.stateDir);
  const backend = options.backend ?? (options.tls ? 'real' : 'fake');
  const result = await renderAll({
    config,
    paths: ctx.paths,
    tls: options.tls,
    backend,
    ...(options.upstreams ? { upstreams: options.upstreams } : {}),
    ...(options.certDir ? { certDir: options.certDir } : {}),
    inputs: options.inputs,
    env: ctx.env,
  });
  const mode = options.tls ? 'tls' : 'http';
  await mergeState(ctx.paths, { mode, lms: backend });
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
export async function print(ctx: CommandContext, options: RenderCommandOptions & { app: App }): Promise<PrintResult> {
  const config = await ctx.config();
  checkStateDir(ctx.paths.stateDir);
  const backend = options.backend ?? (options.tls ? 'real' : 'fake');
  const plan = await planRender({ config, paths: ctx.paths, tls: options.tls, backend });
  // saveSecret writes .richie-dev/.gitignore first (src/state-dir.ts): git never stages it.
  if (plan.newSecret) await saveSecret(ctx.paths, plan.newSecret);
  const { envDir } = ctx.paths;
  const wanted = options.app === 'catalog' ? [join(envDir, 'catalog.env'), richieSettingsFile(ctx.paths)] : plan.models.map((m) => join(envDir, `${m.stem}.env`));
  const files = wanted.map((path) => ({ path, content: plan.outputs.find(([p]) => p === path)![1] }));
  return { app: options.app, mode: options.tls ? 'tls' : 'http', backend, files };
}
