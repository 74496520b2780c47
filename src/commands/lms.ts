/**
 * `richie-dev lms [fake|real]`: show the backend the project is rendered with, or switch the
 * running stack to another one — re-rendering and recreating only the containers whose
 * configuration changed (the apps; nginx's config does not depend on the backend). The switch
 * takes the project's lock, as run, stop and down do.
 */
import { UserError } from '../errors.js';
import type { Backend } from '../lms/site.js';
import { projectPaths } from '../paths.js';
import { readState } from '../state.js';
import { checkStateDir } from '../state-dir.js';
import { Engine } from '../stack/engine.js';
import type { UpOptions } from '../stack/up.js';
import type { RunResult } from './run.js';

export interface LmsShowResult {
  backend: 'fake' | 'real' | null;
  mode: 'http' | 'tls' | null;
}

export async function show(options: { projectDir: string }): Promise<LmsShowResult> {
  const state = await readState(options.projectDir);
  return { backend: state.lms ?? null, mode: state.mode ?? null };
}

export async function switchTo(options: { projectDir: string; backend: Backend; env?: NodeJS.ProcessEnv; signal?: AbortSignal; onEvent?: UpOptions['onEvent'] }): Promise<{ backend: Backend; services: RunResult['services'] }> {
  // A link planted in .richie-dev/ is refused before the engine is asked anything.
  checkStateDir(projectPaths(options.projectDir).stateDir);
  const engine = await Engine.connect(options.env ?? process.env, options.signal ? { signal: options.signal } : {});
  const [{ run: render }, { stackContext, withProjectLock }, { up }] = await Promise.all([import('./render.js'), import('../stack/context.js'), import('../stack/up.js')]);
  return withProjectLock(options.projectDir, async () => {
    const state = await readState(options.projectDir);
    if (!state.mode) {
      throw new UserError('The project has not been started yet, so there is no backend to switch.', { fix: `richie-dev run-ssl --lms ${options.backend}` });
    }
    // render refuses the real backend over HTTP before anything changes.
    await render({ projectDir: options.projectDir, tls: state.mode === 'tls', backend: options.backend });
    const ctx = await stackContext({ projectDir: options.projectDir, engine, ...(options.env ? { env: options.env } : {}) });
    const services = await up(ctx, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    return { backend: options.backend, services };
  });
}
