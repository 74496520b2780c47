/**
 * From one validated config to every file the stack needs: nginx servers for both sites and
 * both apps' env files, for HTTP or TLS and the fake or real backend.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { catalogKeycloakEnv, keycloakEnv, keycloakModel, withLmsKeycloakEnv, type KeycloakModel } from '../auth/keycloak.js';
import type { ProjectConfig } from '../config.js';
import { variable, type Inputs } from '../inputs.js';
import { DEMO_NOW_VARIABLE, catalogEnv, demoNow, lmsEnv, richieSettings } from '../lms/env.js';
import { keepSecret, projectSecrets, saveSecret, secretsFile, type ProjectSecrets } from '../lms/secret.js';
import { siteModels, type Backend, type SiteModel } from '../lms/site.js';
import type { ProjectPaths } from '../paths.js';
import { loadTemplates } from './engine.js';
import { GENERATED_MARKER, envFile, writeGenerated, type RenderedFile } from './files.js';
import { joanieEnv, joanieModel, withJoanieCatalogEnv } from './joanie.js';
import { nginxUpstream, upstreamWarning } from './upstream.js';

export interface RenderOptions {
  config: ProjectConfig;
  /** The command's paths (src/context.ts). */
  paths: ProjectPaths;
  tls: boolean;
  backend: Backend;
  /**
   * Where nginx reaches the apps ("host:port"): loopback in tests. Otherwise each site's
   * `upstream` from the config, else its container in the stack (STACK_UPSTREAMS).
   */
  upstreams?: { catalog: string; lms: string; joanie?: string };
  /** Where nginx finds `<host>.pem` and `.key`: the mounted .richie-dev/ssl in the stack. */
  certDir?: string;
  /** The up record's (run): RICHIE_DEV_DEMO_NOW is read through it. */
  inputs?: Inputs | undefined;
  /** The command's environment (src/context.ts), where RICHIE_DEV_DEMO_NOW is read; else process.env. */
  env?: NodeJS.ProcessEnv | undefined;
}

export interface RenderResult {
  files: RenderedFile[];
  model: SiteModel;
  models: SiteModel[];
  /** The Keycloak site, when `authentication` is set. */
  keycloak?: KeycloakModel | undefined;
  warnings: string[];
  /** What the render read besides the config (the up record's inputs). */
  read: RenderPlan['read'];
}

/** The stack's defaults: app containers on port 8000, certificates mounted at /etc/nginx/ssl. */
export const STACK_UPSTREAMS = { catalog: 'catalog:8000', lms: 'lms:8000' };
export const STACK_CERT_DIR = '/etc/nginx/ssl';
/** The demo Joanie's container (stack/joanie.ts adds it to the stack). */
export const STACK_JOANIE_UPSTREAM = 'joanie:8000';

/** Every file's content, with every check done and nothing written yet. */
export interface RenderPlan {
  paths: ProjectPaths;
  /** The first LMS's model (catalog and EDX_* settings), and every LMS's. */
  model: SiteModel;
  models: SiteModel[];
  keycloak?: KeycloakModel | undefined;
  warnings: string[];
  outputs: [path: string, content: string][];
  /** The project's secrets when some were made for this render, saved with its files. */
  newSecret?: ProjectSecrets;
  /** What the render read besides the config: the secret's file, the templates' folder and files. */
  read: { files: string[]; dirs: string[] };
}

/** The Python settings snippet for a Richie checkout: `.richie-dev/richie/lms_backends.py`. */
export function richieSettingsFile(paths: ProjectPaths): string {
  return join(paths.stateDir, 'richie', 'lms_backends.py');
}

/** Every check and every file's content, nothing written: bad input changes nothing. */
export async function planRender(options: RenderOptions): Promise<RenderPlan> {
  const { paths } = options;
  const { secrets, isNew } = await projectSecrets(paths);
  const models = await siteModels(options.config, { tls: options.tls, backend: options.backend, secret: secrets.courseRunSync });
  const now = demoNow(variable(options.env ?? process.env, DEMO_NOW_VARIABLE, options.inputs));
  const model = models[0]!;
  const keycloak = keycloakModel(options.config, { tls: options.tls });
  const warnings = [...new Set(models.flatMap((m) => m.warnings))];
  const loaded = await loadTemplates('nginx');
  const templates = loaded.render;
  /** How nginx reaches a site: the test's loopback, the configured upstream, or its container. */
  const site = (key: string, configured: string | undefined, container: string) => {
    if (options.upstreams || !configured) return { server: container, https: false, sslName: '' };
    const upstream = nginxUpstream(configured);
    const warning = upstreamWarning(`${key}.upstream`, configured, upstream);
    if (warning) warnings.push(warning);
    return { server: upstream.server, https: upstream.scheme === 'https', sslName: upstream.host };
  };
  const base = { tls: model.tls, catalog: model.catalog, certDir: options.certDir ?? STACK_CERT_DIR };
  const joanie = joanieModel(options.config, model);
  const catalogUpstream = site('catalog', options.config.catalog.upstream, (options.upstreams ?? STACK_UPSTREAMS).catalog);
  const outputs: RenderPlan['outputs'] = [
    [join(paths.nginxDir, 'catalog.conf'), templates['catalog.conf']!({ ...base, upstream: catalogUpstream, certHost: model.catalog.host })],
    [join(paths.envDir, 'catalog.env'), envFile(`catalog (Richie) settings: ${model.tls ? 'TLS' : 'HTTP'}, ${model.backend} LMS backend`, { ...withJoanieCatalogEnv(catalogEnv(models, { demoNow: now }), joanie), ...(keycloak ? catalogKeycloakEnv(keycloak, model.lms.origin) : {}) })],
    [richieSettingsFile(paths), richieSettings(models, GENERATED_MARKER)],
  ];
  // Each LMS: its nginx server (its upstream block named after its stem) and its env file; with
  // fonzie-keycloak, the first logs users in through Keycloak (Richie's login goes there).
  const lmsEnvOf = (m: SiteModel, i: number) => {
    const env = lmsEnv(m, { secrets, demoNow: now, first: i === 0 });
    return i === 0 && keycloak ? withLmsKeycloakEnv(env, keycloak, secrets) : env;
  };
  models.forEach((m, i) => {
    const lmsConfig = options.config.lmses[i]!;
    const container = i === 0 && options.upstreams ? options.upstreams.lms : `${m.stem}:8000`;
    const upstream = site(m.key, lmsConfig.upstream, container);
    outputs.push(
      [join(paths.nginxDir, `${m.stem}.conf`), templates['lms.conf']!({ ...base, lms: m.lms, upstream, upstreamName: `richie_dev_${m.stem.replaceAll('-', '_')}`, certHost: m.lms.host })],
      [join(paths.envDir, `${m.stem}.env`), envFile(`LMS (OpenEdX) settings for ${m.release}${models.length > 1 ? ` (${m.key}, "${m.name}")` : ''}: ${m.tls ? 'TLS' : 'HTTP'}, ${m.backend} backend`, lmsEnvOf(m, i))],
    );
  });
  // Keycloak: its nginx server and the stand-in's env file. Once Keycloak is turned off, its
  // server becomes a comment, so nginx is not left proxying to a container that is gone.
  const keycloakUpstream = keycloak && { ...site('authentication', options.config.authentication?.upstream, 'keycloak:8000'), external: Boolean(keycloak.upstream) };
  const keycloakConf = join(paths.nginxDir, 'keycloak.conf');
  if (keycloak || existsSync(keycloakConf)) outputs.push([keycloakConf, templates['keycloak.conf']!({ ...base, keycloak, upstream: keycloakUpstream, certHost: keycloak?.host })]);
  if (keycloak && !keycloak.upstream) outputs.push([join(paths.envDir, 'keycloak.env'), envFile(`Keycloak stand-in: realm ${keycloak.realm}, client ${keycloak.clientId}`, keycloakEnv(keycloak, secrets))]);
  // Joanie (config `joanie`): its nginx site, and the demo Joanie's env file (render/joanie.ts).
  // Once Joanie is turned off, its server becomes a comment, as Keycloak's does.
  const joanieConf = join(paths.nginxDir, 'joanie.conf');
  if (!joanie && existsSync(joanieConf)) outputs.push([joanieConf, templates['joanie.conf']!({ ...base, joanie: undefined })]);
  if (joanie) {
    const upstream = site('joanie', joanie.upstream, options.upstreams?.joanie ?? STACK_JOANIE_UPSTREAM);
    outputs.push(
      [join(paths.nginxDir, 'joanie.conf'), templates['joanie.conf']!({ ...base, joanie: joanie.site, upstream, certHost: joanie.site.host })],
      [join(paths.envDir, 'joanie.env'), envFile(`Joanie settings (Joanie's own names): ${model.tls ? 'TLS' : 'HTTP'}`, { ...joanieEnv(joanie, model, secrets), ...(now ? { [DEMO_NOW_VARIABLE]: now } : {}) })],
    );
  }
  const read = { files: [secretsFile(paths), ...loaded.files], dirs: [loaded.dir] };
  return { paths, model, models, keycloak, warnings, outputs, read, ...(isNew ? { newSecret: secrets } : {}) };
}

export async function writeRender(plan: RenderPlan): Promise<RenderResult> {
  if (plan.newSecret) await saveSecret(plan.paths, plan.newSecret);
  else await keepSecret(plan.paths);
  // Each write is a new file (0600, owner-only: env files and the snippet carry the sync
  // secret), an fsync and a rename, in .richie-dev/ (src/state-dir.ts).
  const { stateDir } = plan.paths;
  const files: RenderedFile[] = [];
  for (const [path, content] of plan.outputs) files.push(await writeGenerated(stateDir, path, content));
  const warnings = [...plan.warnings];
  for (const file of files) {
    if (file.status === 'user-owned') warnings.push(`${file.path} no longer has richie-dev's first line, so it is yours and was not overwritten.`);
  }
  return { files, model: plan.model, models: plan.models, keycloak: plan.keycloak, warnings, read: plan.read };
}

export async function renderAll(options: RenderOptions): Promise<RenderResult> {
  return writeRender(await planRender(options));
}
