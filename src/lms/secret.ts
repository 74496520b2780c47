/**
 * The course-run sync secret both sides share: random per project, kept in .richie-dev/ (0600),
 * never printed.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readIfExists, writeFileAtomic } from '../fsutil.js';
import { projectPaths } from '../paths.js';

export function secretsFile(projectDir: string): string {
  return join(projectPaths(projectDir).stateDir, 'secrets.json');
}

/** The project's secret, or a new one not yet saved (saveSecret writes it, once every check has passed). */
export async function courseRunSyncSecret(projectDir: string): Promise<{ secret: string; isNew: boolean }> {
  const text = await readIfExists(secretsFile(projectDir));
  const stored = text ? (JSON.parse(text) as { courseRunSync?: string }).courseRunSync : undefined;
  if (stored) return { secret: stored, isNew: false };
  return { secret: randomBytes(32).toString('hex'), isNew: true };
}

export async function saveSecret(projectDir: string, secret: string): Promise<void> {
  await writeFileAtomic(secretsFile(projectDir), `${JSON.stringify({ courseRunSync: secret }, null, 2)}\n`, 0o600);
}
