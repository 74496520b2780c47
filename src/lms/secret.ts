/**
 * The project's secrets, random per project, kept in .richie-dev/secrets.json (0600, through
 * src/state-dir.ts: never through a planted link), never printed unless asked
 * (`stack config --show-secrets`):
 * - `courseRunSync`: the course-run sync secret both sides share (the LMS's course hooks sign
 *   with it, Richie's RICHIE_COURSE_RUN_SYNC_SECRETS checks it);
 * - `edxApiKey`: the LMS's EDX_API_KEY, which a server-to-server caller (Joanie) sends as
 *   `X-Edx-Api-Key` (edx-platform openedx/core/lib/api/permissions.py, ApiKeyHeaderPermission);
 * - `jwtSigningKey`: the key Fonzie signs its access tokens with (SIMPLE_JWT's SIGNING_KEY,
 *   openfun/fonzie fonzie/views/user.py), which an app that accepts them (Joanie's
 *   JWT_PRIVATE_SIGNING_KEY) is given too;
 * - `keycloakLmsClientSecret`: with `fonzie-keycloak`, the LMS's client secret in the Keycloak
 *   realm (the stand-in's KEYCLOAK_LMS_CLIENT_SECRET, the LMS's SOCIAL_AUTH_KEYCLOAK_SECRET).
 * A file from an older richie-dev, with the sync secret only, keeps it and gains the others.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { ProjectPaths } from '../paths.js';
import { readStateFile, writeStateFile } from '../state-dir.js';

export interface ProjectSecrets {
  courseRunSync: string;
  edxApiKey: string;
  jwtSigningKey: string;
  keycloakLmsClientSecret: string;
}

const NAMES = ['courseRunSync', 'edxApiKey', 'jwtSigningKey', 'keycloakLmsClientSecret'] as const;

export function secretsFile(paths: ProjectPaths): string {
  return join(paths.stateDir, 'secrets.json');
}

/** Every value of a secrets file's text (what `stack config` masks); none when it is not JSON. */
export function secretValues(text: string | undefined): string[] {
  try {
    const stored = text ? (JSON.parse(text) as Record<string, unknown> | null) : undefined;
    return Object.values(stored ?? {}).filter((v): v is string => typeof v === 'string' && v !== '');
  } catch {
    return [];
  }
}

/**
 * The project's secrets, those missing made anew (`isNew`: saveSecret writes them, once every
 * check has passed).
 */
export async function projectSecrets(paths: ProjectPaths): Promise<{ secrets: ProjectSecrets; isNew: boolean }> {
  const file = secretsFile(paths);
  const text = readStateFile(paths.stateDir, file);
  let stored: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) stored = parsed as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, {
      fix: `Remove it (rm ${file}) and render again: new secrets are made, which the apps then share.`,
    });
  }
  let isNew = false;
  const secrets = Object.fromEntries(
    NAMES.map((name) => {
      const value = stored[name];
      if (typeof value === 'string' && value) return [name, value];
      isNew = true;
      return [name, randomBytes(32).toString('hex')];
    }),
  ) as unknown as ProjectSecrets;
  return { secrets, isNew };
}

export async function saveSecret(paths: ProjectPaths, secrets: ProjectSecrets): Promise<void> {
  const value = Object.fromEntries(NAMES.map((name) => [name, secrets[name]]));
  writeStateFile(paths.stateDir, secretsFile(paths), `${JSON.stringify(value, null, 2)}\n`);
}

/** The stored secrets kept as they are, their file checked again and narrowed to 0600 if an older richie-dev left it wider. */
export async function keepSecret(paths: ProjectPaths): Promise<void> {
  const current = readStateFile(paths.stateDir, secretsFile(paths));
  if (current !== undefined) writeStateFile(paths.stateDir, secretsFile(paths), current, { current });
}
