/**
 * The project's state file, `.richie-dev/state.json`: small facts commands share (the mode and
 * backend last rendered, ...). Each writer merges its own keys and keeps the others'.
 * Read and written through src/state-dir.ts: a link planted at it is refused, never followed.
 */
import { projectPaths, type ProjectPaths } from './paths.js';
import { readStateFile, writeStateFile } from './state-dir.js';

export interface ProjectState {
  mode?: 'http' | 'tls';
  lms?: 'fake' | 'real';
  renderedAt?: string;
  [key: string]: unknown;
}

/** `where`: the command's paths (src/context.ts); a project dir from the stack's own callers. */
export async function readState(where: ProjectPaths | string): Promise<ProjectState> {
  const paths = pathsOf(where);
  return parseState(readStateFile(paths.stateDir, paths.stateFile));
}

function parseState(text: string | undefined): ProjectState {
  if (!text) return {};
  try {
    return JSON.parse(text) as ProjectState;
  } catch {
    return {}; // a damaged state file only loses what it remembered
  }
}

export async function mergeState(where: ProjectPaths | string, patch: ProjectState): Promise<ProjectState> {
  const paths = pathsOf(where);
  const current = readStateFile(paths.stateDir, paths.stateFile);
  const next = { ...parseState(current), ...patch };
  // Unchanged, untouched: a re-run that changes nothing writes nothing.
  writeStateFile(paths.stateDir, paths.stateFile, `${JSON.stringify(next, null, 2)}\n`, { current });
  return next;
}

function pathsOf(where: ProjectPaths | string): ProjectPaths {
  return typeof where === 'string' ? projectPaths(where) : where;
}
