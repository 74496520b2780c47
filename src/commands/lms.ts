/**
 * `richie-dev lms [fake|real]`: show the backend the project is rendered with, or switch the
 * running stack to another one — re-rendering and recreating only the containers whose
 * configuration changed (the apps; nginx's config does not depend on the backend).
 */
import { UserError } from '../errors.js';
import type { Backend } from '../lms/site.js';
import type { ProgressMode } from '../steps.js';
import { readState } from '../state.js';
import { run as render } from './render.js';
import { stackContext } from '../stack/context.js';
import { up } from '../stack/up.js';
import type { RunResult } from './run.js';

export interface LmsShowResult {
  backend: 'fake' | 'real' | null;
  mode: 'http' | 'tls' | null;
}

export async function show(options: { projectDir: string }): Promise<LmsShowResult> {
  const state = await readState(options.projectDir);
  return { backend: state.lms ?? null, mode: state.mode ?? null };
}

export async function switchTo(options: { projectDir: string; backend: Backend; progress?: ProgressMode; env?: NodeJS.ProcessEnv }): Promise<{ backend: Backend; services: RunResult['services'] }> {
  const state = await readState(options.projectDir);
  if (!state.mode) {
    throw new UserError('The project has not been started yet, so there is no backend to switch.', { fix: `richie-dev run-ssl --lms ${options.backend}` });
  }
  // render refuses the real backend over HTTP before anything changes.
  await render({ projectDir: options.projectDir, tls: state.mode === 'tls', backend: options.backend });
  const ctx = await stackContext(options);
  const services = await up(ctx, options.progress ?? 'silent');
  return { backend: options.backend, services };
}
