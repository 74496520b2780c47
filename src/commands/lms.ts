/**
 * `richie-dev lms`: the LMS backend the project was last rendered with.
 */
import { readState } from '../state.js';

export interface LmsShowResult {
  backend: 'fake' | 'real' | null;
  mode: 'http' | 'tls' | null;
}

export async function show(options: { projectDir: string }): Promise<LmsShowResult> {
  const state = await readState(options.projectDir);
  return { backend: state.lms ?? null, mode: state.mode ?? null };
}
