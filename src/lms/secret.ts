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

export async function courseRunSyncSecret(projectDir: string): Promise<string> {
  const file = secretsFile(projectDir);
  const text = await readIfExists(file);
  const stored = text ? (JSON.parse(text) as { courseRunSync?: string }).courseRunSync : undefined;
  if (stored) return stored;
  const secret = randomBytes(32).toString('hex');
  await writeFileAtomic(file, `${JSON.stringify({ courseRunSync: secret }, null, 2)}\n`, 0o600);
  return secret;
}
