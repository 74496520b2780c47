/**
 * `richie-dev render [--ssl] [--lms fake|real]`: write every generated file, say what changed.
 */
import { loadConfig } from '../config.js';
import type { Backend } from '../lms/site.js';
import { renderAll, type RenderOptions } from '../render/index.js';
import type { RenderedFile } from '../render/files.js';
import { mergeState } from '../state.js';

export interface RenderCommandOptions {
  projectDir: string;
  tls: boolean;
  /** Defaults: fake over HTTP, real over TLS (as `run` and `run-ssl`). */
  backend?: Backend | undefined;
  upstreams?: RenderOptions['upstreams'];
  certDir?: string;
}

export interface RenderCommandResult {
  mode: 'http' | 'tls';
  backend: Backend;
  urls: { catalog: string; lms: string };
  files: RenderedFile[];
  warnings: string[];
}

export async function run(options: RenderCommandOptions): Promise<RenderCommandResult> {
  const { config } = await loadConfig(options.projectDir);
  const backend = options.backend ?? (options.tls ? 'real' : 'fake');
  const result = await renderAll({
    config,
    projectDir: options.projectDir,
    tls: options.tls,
    backend,
    ...(options.upstreams ? { upstreams: options.upstreams } : {}),
    ...(options.certDir ? { certDir: options.certDir } : {}),
  });
  const mode = options.tls ? 'tls' : 'http';
  await mergeState(options.projectDir, { mode, lms: backend });
  return { mode, backend, urls: { catalog: result.model.catalog.origin, lms: result.model.lms.origin }, files: result.files, warnings: result.warnings };
}
