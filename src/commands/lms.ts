/**
 * `richie-dev lms [fake|real]`: show the backend the project is rendered with, or switch the
 * running stack to another one — re-rendering and recreating only the containers whose
 * configuration changed (the apps; nginx's config does not depend on the backend). The switch
 * takes the project's lock, as run, stop and down do.
 */
import type { CommandContext } from '../context.js';
import { UserError } from '../errors.js';
import type { Backend } from '../lms/site.js';
import { readState } from '../state.js';
import { checkStateDir } from '../state-dir.js';
import type { EngineContext } from '../stack/context.js';
import type { ServiceOutcome, UpOptions } from '../stack/up.js';

export interface LmsShowResult {
  backend: 'fake' | 'real' | null;
  mode: 'http' | 'tls' | null;
}

export async function show(ctx: CommandContext): Promise<LmsShowResult> {
  const state = await readState(ctx.paths);
  return { backend: state.lms ?? null, mode: state.mode ?? null };
}

export async function switchTo(ctx: EngineContext, options: { backend: Backend; signal?: AbortSignal; onEvent?: UpOptions['onEvent'] }): Promise<{ backend: Backend; services: ServiceOutcome[] }> {
  // A link planted in .richie-dev/ is refused before the engine is asked anything.
  checkStateDir(ctx.paths.stateDir);
  await ctx.engine();
  const [{ run: render }, { stackContext, withProjectLock }, { up }] = await Promise.all([import('./render.js'), import('../stack/context.js'), import('../stack/up.js')]);
  return withProjectLock(ctx.paths.projectDir, async () => {
    const state = await readState(ctx.paths);
    if (!state.mode) {
      throw new UserError('The project has not been started yet, so there is no backend to switch.', { fix: `richie-dev run-ssl --lms ${options.backend}` });
    }
    // render refuses the real backend over HTTP before anything changes.
    await render(ctx, { tls: state.mode === 'tls', backend: options.backend });
    const stack = await stackContext(ctx);
    const services = await up(stack, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    return { backend: options.backend, services };
  });
}
