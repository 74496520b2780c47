/**
 * The course-run sync secret both sides share: random per project, kept in .richie-dev/ (0600,
 * through src/state-dir.ts: never through a planted link), never printed.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { ProjectPaths } from '../paths.js';
import { readStateFile, writeStateFile } from '../state-dir.js';

export function secretsFile(paths: ProjectPaths): string {
  return join(paths.stateDir, 'secrets.json');
}

/** The project's secret, or a new one not yet saved (saveSecret writes it, once every check has passed). */
export async function courseRunSyncSecret(paths: ProjectPaths): Promise<{ secret: string; isNew: boolean }> {
  const file = secretsFile(paths);
  const text = readStateFile(paths.stateDir, file);
  let stored: unknown;
  try {
    stored = text ? (JSON.parse(text) as { courseRunSync?: unknown } | null)?.courseRunSync : undefined;
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, {
      fix: `Remove it (rm ${file}) and render again: a new secret is made, which both apps then share.`,
    });
  }
  if (typeof stored === 'string' && stored) return { secret: stored, isNew: false };
  return { secret: randomBytes(32).toString('hex'), isNew: true };
}

export async function saveSecret(paths: ProjectPaths, secret: string): Promise<void> {
  writeStateFile(paths.stateDir, secretsFile(paths), `${JSON.stringify({ courseRunSync: secret }, null, 2)}\n`);
}

/** The stored secret kept as it is, its file checked again and narrowed to 0600 if an older richie-dev left it wider. */
export async function keepSecret(paths: ProjectPaths): Promise<void> {
  const current = readStateFile(paths.stateDir, secretsFile(paths));
  if (current !== undefined) writeStateFile(paths.stateDir, secretsFile(paths), current, { current });
}
